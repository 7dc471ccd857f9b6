package clients

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
)

func TestCloudConfiguration(t *testing.T) {
	tests := []struct {
		env, authority, endpoint, audience string
	}{
		{"", "https://login.microsoftonline.com/", "https://management.azure.com", "https://management.core.windows.net/"},
		{"public", "https://login.microsoftonline.com/", "https://management.azure.com", "https://management.core.windows.net/"},
		{"USGovernment", "https://login.microsoftonline.us/", "https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net/"},
		{"china", "https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/"},
	}
	for _, tt := range tests {
		t.Run("env="+tt.env, func(t *testing.T) {
			c, err := CloudConfiguration(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			rm := c.Services[cloud.ResourceManager]
			if c.ActiveDirectoryAuthorityHost != tt.authority || rm.Endpoint != tt.endpoint || rm.Audience != tt.audience {
				t.Errorf("got authority %s endpoint %s audience %s", c.ActiveDirectoryAuthorityHost, rm.Endpoint, rm.Audience)
			}
		})
	}
	if _, err := CloudConfiguration("german"); err == nil || !strings.Contains(err.Error(), "public, usgovernment, china") {
		t.Errorf("unknown environment: error %v should list the valid ones", err)
	}
}

func TestClientOptions(t *testing.T) {
	tests := []struct {
		name          string
		cfg           AzureConfig
		wantEndpoint  string
		wantAudience  string
		wantAllowHTTP bool
		wantErr       string
	}{
		{name: "public default", cfg: AzureConfig{},
			wantEndpoint: "https://management.azure.com", wantAudience: "https://management.core.windows.net/"},
		{name: "emulator on loopback http", cfg: AzureConfig{ResourceManagerEndpoint: "http://127.0.0.1:8080/azure/"},
			wantEndpoint: "http://127.0.0.1:8080/azure", wantAudience: "https://management.core.windows.net/", wantAllowHTTP: true},
		{name: "https override keeps the environment audience", cfg: AzureConfig{Environment: "china", ResourceManagerEndpoint: "https://arm.example.cn"},
			wantEndpoint: "https://arm.example.cn", wantAudience: "https://management.core.chinacloudapi.cn/"},
		{name: "https on loopback needs no exception", cfg: AzureConfig{ResourceManagerEndpoint: "https://127.0.0.1:8443/azure"},
			wantEndpoint: "https://127.0.0.1:8443/azure", wantAudience: "https://management.core.windows.net/"},
		{name: "plain http elsewhere refused", cfg: AzureConfig{ResourceManagerEndpoint: "http://10.1.1.4/azure"}, wantErr: "non-loopback"},
		{name: "bad environment", cfg: AzureConfig{Environment: "mars"}, wantErr: "unknown Azure environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := ClientOptions(tt.cfg, "1.0.0")
			if errWanted(t, err, tt.wantErr) {
				return
			}
			rm := o.Cloud.Services[cloud.ResourceManager]
			if rm.Endpoint != tt.wantEndpoint || rm.Audience != tt.wantAudience {
				t.Errorf("endpoint %s audience %s, want %s %s", rm.Endpoint, rm.Audience, tt.wantEndpoint, tt.wantAudience)
			}
			if o.InsecureAllowCredentialWithHTTP != tt.wantAllowHTTP {
				t.Errorf("InsecureAllowCredentialWithHTTP = %v, want %v", o.InsecureAllowCredentialWithHTTP, tt.wantAllowHTTP)
			}
			if o.Retry.MaxRetries < 3 {
				t.Errorf("MaxRetries = %d: too few to ride out ARM throttling", o.Retry.MaxRetries)
			}
		})
	}
	// An override must not leak into azcore's shared AzurePublic configuration.
	if ep := cloud.AzurePublic.Services[cloud.ResourceManager].Endpoint; ep != "" && ep != "https://management.azure.com" {
		t.Errorf("cloud.AzurePublic was modified: %s", ep)
	}
}

func TestApplicationIDFitsAzcoreLimit(t *testing.T) {
	for _, v := range []string{"dev", "1.2.3", "0.0.0-SNAPSHOT-abcdef0123456789 x"} {
		id := applicationID(v)
		if len(id) > 24 || strings.Contains(id, " ") || !strings.HasPrefix(id, "crosscloud/") {
			t.Errorf("applicationID(%q) = %q", v, id)
		}
	}
}

// TestAccessTokenOverLoopbackHTTP drives the real armnetwork client against
// a loopback server, the way the provider talks to crosscloud-sim: the static
// token must arrive as a bearer token over plain http, under the endpoint path.
func TestAccessTokenOverLoopbackHTTP(t *testing.T) {
	var mu sync.Mutex
	var gotAuth, gotPath, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		gotAuth, gotPath, gotUA = r.Header.Get("Authorization"), r.URL.Path, r.Header.Get("User-Agent")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"name":"vnet","properties":{"addressSpace":{"addressPrefixes":["10.1.0.0/16"]}}}`)
	}))
	defer srv.Close()

	az, err := NewAzure(AzureConfig{
		SubscriptionID:          "00000000-0000-0000-0000-000000000001",
		AccessToken:             "sim-token",
		ResourceManagerEndpoint: srv.URL + "/azure",
	}, "9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	if az.Kind != CredentialAccessToken {
		t.Errorf("kind = %s", az.Kind)
	}
	f, err := az.Network()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := f.NewVirtualNetworksClient().Get(context.Background(), "rg", "vnet", nil)
	if err != nil {
		t.Fatalf("GET over loopback http failed: %v", err)
	}
	if resp.Properties == nil || len(resp.Properties.AddressSpace.AddressPrefixes) != 1 {
		t.Errorf("response not decoded: %+v", resp)
	}
	mu.Lock()
	defer mu.Unlock()
	if gotAuth != "Bearer sim-token" {
		t.Errorf("Authorization = %q, want the static token", gotAuth)
	}
	wantPath := "/azure/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
	if gotPath != wantPath {
		t.Errorf("path = %s, want %s", gotPath, wantPath)
	}
	if !strings.Contains(gotUA, "crosscloud/9.9.9") {
		t.Errorf("User-Agent %q does not carry the provider version", gotUA)
	}
}

func TestNewAzureCredentialKinds(t *testing.T) {
	base := AzureConfig{SubscriptionID: "sub", TenantID: "00000000-0000-0000-0000-0000000000aa", ClientID: "00000000-0000-0000-0000-0000000000bb"}
	tests := []struct {
		name    string
		mod     func(*AzureConfig)
		want    CredentialKind
		wantErr string
	}{
		{"client secret", func(c *AzureConfig) { c.ClientSecret = "pw" }, CredentialClientSecret, ""},
		{"oidc", func(c *AzureConfig) { c.UseOIDC = true; c.OIDCToken = "jwt" }, CredentialOIDC, ""},
		{"msi", func(c *AzureConfig) { c.UseMSI = true }, CredentialMSI, ""},
		{"cli", func(c *AzureConfig) { c.UseCLI = true }, CredentialCLI, ""},
		{"none", func(*AzureConfig) {}, CredentialNone, "no Azure credential"},
		{"no subscription", func(c *AzureConfig) { c.SubscriptionID = ""; c.UseCLI = true }, CredentialNone, "subscription_id"},
		{"incomplete", func(c *AzureConfig) { c.UseOIDC = true }, CredentialNone, "oidc_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.mod(&cfg)
			az, err := NewAzure(cfg, "dev")
			if errWanted(t, err, tt.wantErr) {
				return
			}
			if az.Kind != tt.want || az.Credential == nil || az.SubscriptionID != "sub" {
				t.Errorf("got kind %s cred %T sub %s", az.Kind, az.Credential, az.SubscriptionID)
			}
		})
	}
}
