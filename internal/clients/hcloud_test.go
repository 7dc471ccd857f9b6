package clients

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestValidateHCloudToken(t *testing.T) {
	tests := []struct {
		token   string
		wantErr bool
	}{
		{"AbCdEf0123456789", false},
		{"x", false},
		{"tok en", true},
		{"token\n", true},
		{"tökén", true},
		{"tok\x7f", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.token), func(t *testing.T) {
			err := ValidateHCloudToken(tt.token)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error reveals the token: %v", err)
			}
		})
	}
}

func TestNewHCloudRejects(t *testing.T) {
	tests := []struct {
		name    string
		cfg     HCloudConfig
		wantErr string
	}{
		{"no token", HCloudConfig{}, "HCLOUD_TOKEN"},
		{"bad token", HCloudConfig{Token: "a b"}, "space"},
		{"plain http remote", HCloudConfig{Token: "t", Endpoint: "http://api.hetzner.cloud/v1"}, "non-loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewHCloud(tt.cfg, "dev")
			errWanted(t, err, tt.wantErr)
		})
	}
}

// TestNewHCloudAgainstLoopback checks what the emulator relies on: the
// endpoint override (with its path prefix), the bearer token and a
// User-Agent naming the provider and its version.
func TestNewHCloudAgainstLoopback(t *testing.T) {
	var mu sync.Mutex
	var gotAuth, gotPath, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotAuth, gotPath, gotUA = r.Header.Get("Authorization"), r.URL.Path, r.Header.Get("User-Agent")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"network":{"id":42,"name":"net","ip_range":"10.0.0.0/12","subnets":[],"routes":[],"servers":[],"labels":{},"protection":{"delete":false},"created":"2024-01-01T00:00:00Z"}}`)
	}))
	defer srv.Close()

	c, err := NewHCloud(HCloudConfig{Token: "sim-token", Endpoint: srv.URL + "/hcloud/v1/", PollInterval: 10 * time.Millisecond}, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := c.Network.GetByID(context.Background(), 42)
	if err != nil {
		t.Fatal(err)
	}
	if n == nil || n.Name != "net" || n.IPRange.String() != "10.0.0.0/12" {
		t.Errorf("network not decoded: %+v", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotAuth != "Bearer sim-token" {
		t.Errorf("Authorization = %q", gotAuth)
	}
	if gotPath != "/hcloud/v1/networks/42" {
		t.Errorf("path = %s, want /hcloud/v1/networks/42", gotPath)
	}
	if !strings.HasPrefix(gotUA, ApplicationName+"/1.2.3") {
		t.Errorf("User-Agent = %q, want it to start with %s/1.2.3", gotUA, ApplicationName)
	}
}
