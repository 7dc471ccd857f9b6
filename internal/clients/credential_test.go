package clients

import (
	"strings"
	"testing"
)

func TestChooseCredential(t *testing.T) {
	sp := AzureConfig{ClientID: "app", TenantID: "tenant"}
	with := func(f func(*AzureConfig)) AzureConfig {
		c := sp
		f(&c)
		return c
	}
	tests := []struct {
		name           string
		cfg            AzureConfig
		want           CredentialKind
		wantAttr       string // attribute of the problem; "" means no problem
		wantIncomplete bool
		wantInDetail   string
	}{
		{name: "nothing chosen", cfg: AzureConfig{SubscriptionID: "s"}, want: CredentialNone},
		{name: "client id and tenant alone choose nothing", cfg: sp, want: CredentialNone},
		{name: "client secret", cfg: with(func(c *AzureConfig) { c.ClientSecret = "pw" }), want: CredentialClientSecret},
		{name: "client secret without tenant", cfg: AzureConfig{ClientID: "app", ClientSecret: "pw"},
			want: CredentialClientSecret, wantAttr: "tenant_id", wantIncomplete: true, wantInDetail: "ARM_TENANT_ID"},
		{name: "client secret without client id", cfg: AzureConfig{TenantID: "t", ClientSecret: "pw"},
			want: CredentialClientSecret, wantAttr: "client_id", wantIncomplete: true, wantInDetail: "ARM_CLIENT_ID"},
		{name: "oidc", cfg: with(func(c *AzureConfig) { c.UseOIDC = true; c.OIDCToken = "jwt" }), want: CredentialOIDC},
		{name: "oidc without token", cfg: with(func(c *AzureConfig) { c.UseOIDC = true }),
			want: CredentialOIDC, wantAttr: "oidc_token", wantIncomplete: true, wantInDetail: "ARM_OIDC_TOKEN"},
		{name: "oidc token alone is not a choice", cfg: with(func(c *AzureConfig) { c.OIDCToken = "jwt" }), want: CredentialNone},
		{name: "msi system assigned", cfg: AzureConfig{UseMSI: true}, want: CredentialMSI},
		{name: "msi user assigned", cfg: with(func(c *AzureConfig) { c.UseMSI = true }), want: CredentialMSI},
		{name: "cli", cfg: AzureConfig{UseCLI: true}, want: CredentialCLI},
		{name: "access token", cfg: AzureConfig{AccessToken: "tok"}, want: CredentialAccessToken},
		{name: "access token and client secret conflict", cfg: with(func(c *AzureConfig) { c.AccessToken = "tok"; c.ClientSecret = "pw" }),
			want: CredentialNone, wantAttr: "client_secret", wantInDetail: "access_token (ARM_ACCESS_TOKEN), client_secret (ARM_CLIENT_SECRET)"},
		{name: "cli and msi conflict", cfg: AzureConfig{UseCLI: true, UseMSI: true},
			want: CredentialNone, wantAttr: "use_cli", wantInDetail: "use_msi"},
		{name: "three choices conflict", cfg: AzureConfig{UseCLI: true, UseOIDC: true, AccessToken: "t"},
			want: CredentialNone, wantAttr: "use_oidc", wantInDetail: "Keep exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ChooseCredential(tt.cfg)
			if got != tt.want {
				t.Errorf("kind = %s, want %s", got, tt.want)
			}
			if tt.wantAttr == "" {
				if err != nil {
					t.Fatalf("unexpected problem: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want a problem on %s, got none", tt.wantAttr)
			}
			if err.Attribute != tt.wantAttr || err.Incomplete != tt.wantIncomplete {
				t.Errorf("problem on %s (incomplete=%v), want %s (incomplete=%v)", err.Attribute, err.Incomplete, tt.wantAttr, tt.wantIncomplete)
			}
			if !strings.Contains(err.Detail, tt.wantInDetail) {
				t.Errorf("detail %q does not contain %q", err.Detail, tt.wantInDetail)
			}
		})
	}
}

func TestConfigErrorDoesNotLeakSecrets(t *testing.T) {
	_, err := ChooseCredential(AzureConfig{AccessToken: "tok-zq7", ClientSecret: "pw-zq7", UseMSI: true})
	if err == nil {
		t.Fatal("want a conflict")
	}
	if strings.Contains(err.Error(), "zq7") {
		t.Errorf("error reveals a secret: %s", err.Error())
	}
}
