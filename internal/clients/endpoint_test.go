package clients

import (
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		raw     string
		wantErr string // substring; "" means valid
	}{
		{"https://api.hetzner.cloud/v1", ""},
		{"https://management.usgovcloudapi.net", ""},
		{"http://127.0.0.1:8080/azure", ""},
		{"http://127.0.0.2:8080/hcloud/v1", ""},
		{"http://[::1]:8080/azure", ""},
		{"http://localhost:8080/azure", ""},
		{"http://10.0.0.5:8080/azure", "non-loopback"},
		{"http://example.com/azure", "non-loopback"},
		{"http://127.0.0.1.nip.io/azure", "non-loopback"},
		{"ftp://127.0.0.1/x", "must start with https://"},
		{"127.0.0.1:8080/azure", "is not a URL"},
		{"localhost:8080/azure", "must start with https://"},
		{"https:///v1", "no host"},
		{"https://user:pw@api.hetzner.cloud/v1", "must not contain credentials"},
		{"https://api.hetzner.cloud/%zz", "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			_, err := ParseEndpoint(tt.raw)
			if !errWanted(t, err, tt.wantErr) {
				return
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error reveals the password: %v", err)
			}
		})
	}
}
