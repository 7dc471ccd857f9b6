package sdkopts

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

func TestStaticTokenRedacts(t *testing.T) {
	c := NewStaticToken("very-secret")
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c)} {
		if strings.Contains(s, "very-secret") {
			t.Errorf("formatted credential reveals the token: %s", s)
		}
	}
	tok, err := c.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://management.core.windows.net//.default"}})
	if err != nil || tok.Token != "very-secret" || tok.ExpiresOn.IsZero() {
		t.Errorf("GetToken = %+v, %v", tok, err)
	}
}

func TestIsLoopbackHTTP(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"http://127.0.0.1:1234/azure", true},
		{"http://127.9.9.9/azure", true},
		{"http://[::1]/azure", true},
		{"http://[::ffff:127.0.0.1]/azure", true},
		{"HTTP://LOCALHOST/azure", true},
		{"https://127.0.0.1/azure", false}, // TLS needs no exception
		{"http://192.168.1.1/azure", false},
		{"http://[::2]/azure", false},
		{"http://localhost.example.com/azure", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := IsLoopbackHTTP(u); got != tt.want {
				t.Errorf("IsLoopbackHTTP(%s) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
	if IsLoopbackHTTP(nil) {
		t.Error("nil URL must not count as loopback")
	}
}

// The emulator's callers give no cloud: they get the public one with the
// emulator as Resource Manager, and plain http is allowed only because the
// endpoint is loopback.
func TestARMOptionsForTheEmulator(t *testing.T) {
	o := ARM{Endpoint: "http://127.0.0.1:4000/azure", DisableRPRegistration: true}.Options()
	rm := o.Cloud.Services[cloud.ResourceManager]
	if rm.Endpoint != "http://127.0.0.1:4000/azure" || rm.Audience != "https://management.core.windows.net/" {
		t.Errorf("resource manager = %+v", rm)
	}
	if !o.InsecureAllowCredentialWithHTTP || !o.DisableRPRegistration {
		t.Errorf("InsecureAllowCredentialWithHTTP = %v, DisableRPRegistration = %v, want both", o.InsecureAllowCredentialWithHTTP, o.DisableRPRegistration)
	}
	if o := (ARM{Endpoint: "http://10.0.0.1/azure"}).Options(); o.InsecureAllowCredentialWithHTTP {
		t.Error("plain http off loopback must not carry a token")
	}
}

// One cloud value serves many clients: an override must not write into it.
func TestARMOptionsCopyTheCloud(t *testing.T) {
	cc, err := AzureCloud("china")
	if err != nil {
		t.Fatal(err)
	}
	o := ARM{Cloud: cc, Endpoint: "https://arm.example.cn/", Retry: policy.RetryOptions{MaxRetries: 4}}.Options()
	if got := o.Cloud.Services[cloud.ResourceManager]; got.Endpoint != "https://arm.example.cn" || got.Audience != "https://management.core.chinacloudapi.cn/" {
		t.Errorf("override = %+v", got)
	}
	if got := cc.Services[cloud.ResourceManager].Endpoint; got != "https://management.chinacloudapi.cn" {
		t.Errorf("the caller's cloud was modified: %s", got)
	}
	if o.Retry.MaxRetries != 4 {
		t.Errorf("retry = %+v", o.Retry)
	}
}
