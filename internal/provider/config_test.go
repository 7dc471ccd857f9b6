package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
)

func blockTypes(t *testing.T, name string) map[string]attr.Type {
	t.Helper()
	var resp fwprovider.SchemaResponse
	New("test")().Schema(context.Background(), fwprovider.SchemaRequest{}, &resp)
	ot, ok := resp.Schema.Attributes[name].GetType().(types.ObjectType)
	if !ok {
		t.Fatalf("%s is not an object attribute", name)
	}
	return ot.AttrTypes
}

// model builds a provider block; nil means the block is absent.
func model(t *testing.T, h *hcloudModel, a *azureModel) providerModel {
	t.Helper()
	ctx := context.Background()
	m := providerModel{HCloud: types.ObjectNull(blockTypes(t, "hcloud")), Azure: types.ObjectNull(blockTypes(t, "azure"))}
	var d diag.Diagnostics
	if h != nil {
		m.HCloud, d = types.ObjectValueFrom(ctx, blockTypes(t, "hcloud"), h)
		if d.HasError() {
			t.Fatal(d)
		}
	}
	if a != nil {
		m.Azure, d = types.ObjectValueFrom(ctx, blockTypes(t, "azure"), a)
		if d.HasError() {
			t.Fatal(d)
		}
	}
	return m
}

func env(kv map[string]string) lookupEnv {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func str(s string) types.String { return types.StringValue(s) }

func TestResolveEnvFallbacks(t *testing.T) {
	tests := []struct {
		name       string
		h          *hcloudModel
		a          *azureModel
		env        map[string]string
		wantHCloud clients.HCloudConfig
		wantAzure  clients.AzureConfig
	}{
		{name: "no blocks, no env"},
		{
			name: "env only",
			env: map[string]string{
				"HCLOUD_TOKEN": "envtok", "HCLOUD_ENDPOINT": "http://127.0.0.1:9/hcloud/v1", "HCLOUD_POLL_INTERVAL": "250ms",
				"ARM_SUBSCRIPTION_ID": "sub", "ARM_TENANT_ID": "ten", "ARM_CLIENT_ID": "cli", "ARM_CLIENT_SECRET": "sec",
				"ARM_ENVIRONMENT": "USGovernment", "ARM_RESOURCE_MANAGER_ENDPOINT": "https://arm.example", "ARM_USE_MSI": "false",
			},
			wantHCloud: clients.HCloudConfig{Token: "envtok", Endpoint: "http://127.0.0.1:9/hcloud/v1", PollInterval: 250 * time.Millisecond},
			wantAzure: clients.AzureConfig{SubscriptionID: "sub", TenantID: "ten", ClientID: "cli", ClientSecret: "sec",
				Environment: "usgovernment", ResourceManagerEndpoint: "https://arm.example"},
		},
		{
			name:       "config wins over env",
			h:          &hcloudModel{Token: str("cfgtok"), PollInterval: str("2s")},
			a:          &azureModel{SubscriptionID: str("cfgsub"), UseCLI: types.BoolValue(true)},
			env:        map[string]string{"HCLOUD_TOKEN": "envtok", "HCLOUD_POLL_INTERVAL": "1ms", "ARM_SUBSCRIPTION_ID": "envsub", "ARM_USE_CLI": "false"},
			wantHCloud: clients.HCloudConfig{Token: "cfgtok", PollInterval: 2 * time.Second},
			wantAzure:  clients.AzureConfig{SubscriptionID: "cfgsub", UseCLI: true},
		},
		{
			name:      "explicit false beats env true",
			a:         &azureModel{UseMSI: types.BoolValue(false), AccessToken: str("tok")},
			env:       map[string]string{"ARM_USE_MSI": "true", "ARM_SUBSCRIPTION_ID": "s"},
			wantAzure: clients.AzureConfig{SubscriptionID: "s", AccessToken: "tok"},
		},
		{
			name:      "oidc from env",
			env:       map[string]string{"ARM_USE_OIDC": "1", "ARM_OIDC_TOKEN": "jwt", "ARM_CLIENT_ID": "c", "ARM_TENANT_ID": "t", "ARM_SUBSCRIPTION_ID": "s"},
			wantAzure: clients.AzureConfig{SubscriptionID: "s", TenantID: "t", ClientID: "c", UseOIDC: true, OIDCToken: "jwt"},
		},
		{
			name:      "empty env values count as unset",
			env:       map[string]string{"ARM_USE_CLI": "", "HCLOUD_TOKEN": ""},
			wantAzure: clients.AzureConfig{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := resolveConfig(context.Background(), model(t, tt.h, tt.a), env(tt.env))
			if d.HasError() {
				t.Fatalf("unexpected diagnostics: %v", d)
			}
			if got.HCloudUnknown || got.AzureUnknown {
				t.Errorf("known config marked unknown: %+v", got)
			}
			if got.HCloud != tt.wantHCloud {
				t.Errorf("hcloud = %+v, want %+v", got.HCloud, tt.wantHCloud)
			}
			if got.Azure != tt.wantAzure {
				t.Errorf("azure = %+v, want %+v", got.Azure, tt.wantAzure)
			}
		})
	}
}

func TestResolveValidation(t *testing.T) {
	tests := []struct {
		name     string
		h        *hcloudModel
		a        *azureModel
		env      map[string]string
		wantPath string // "" means no error
		wantText string
	}{
		{name: "poll interval not a duration", h: &hcloudModel{PollInterval: str("soon")}, wantPath: "hcloud.poll_interval", wantText: `"soon"`},
		{name: "poll interval zero", env: map[string]string{"HCLOUD_POLL_INTERVAL": "0s"}, wantPath: "hcloud.poll_interval", wantText: "positive"},
		{name: "hcloud endpoint unparsable", h: &hcloudModel{Endpoint: str("api.hetzner.cloud/v1")}, wantPath: "hcloud.endpoint", wantText: "https://"},
		{name: "hcloud endpoint plain http remote", env: map[string]string{"HCLOUD_ENDPOINT": "http://api.hetzner.cloud/v1"}, wantPath: "hcloud.endpoint", wantText: "clear text"},
		{name: "hcloud token with newline", env: map[string]string{"HCLOUD_TOKEN": "abc\n"}, wantPath: "hcloud.token", wantText: "control"},
		{name: "invalid environment from env", env: map[string]string{"ARM_ENVIRONMENT": "german"}, wantPath: "azure.environment", wantText: "public, usgovernment, china"},
		{name: "arm endpoint remote http", a: &azureModel{ResourceManagerEndpoint: str("http://10.0.0.1/azure")}, wantPath: "azure.resource_manager_endpoint", wantText: "loopback"},
		{name: "bool env not a bool", env: map[string]string{"ARM_USE_CLI": "yes please"}, wantPath: "azure.use_cli", wantText: "ARM_USE_CLI"},
		{name: "conflicting credentials across config and env", a: &azureModel{UseCLI: types.BoolValue(true)},
			env: map[string]string{"ARM_CLIENT_SECRET": "pw"}, wantPath: "azure.use_cli", wantText: "client_secret (ARM_CLIENT_SECRET), use_cli"},
		{name: "incomplete credential is not a configure error", env: map[string]string{"ARM_CLIENT_SECRET": "pw"}},
		{name: "loopback emulator endpoint ok", a: &azureModel{ResourceManagerEndpoint: str("http://127.0.0.1:8080/azure"), AccessToken: str("t")},
			h: &hcloudModel{Endpoint: str("http://127.0.0.1:8080/hcloud/v1"), Token: str("t")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, d := resolveConfig(context.Background(), model(t, tt.h, tt.a), env(tt.env))
			if tt.wantPath == "" {
				if d.HasError() {
					t.Fatalf("unexpected error: %v", d)
				}
				return
			}
			if d.ErrorsCount() != 1 {
				t.Fatalf("want one error, got %v", d)
			}
			e := d.Errors()[0]
			wp, ok := e.(diag.DiagnosticWithPath)
			if !ok || wp.Path().String() != tt.wantPath {
				t.Fatalf("error %q is not on %s", e.Summary(), tt.wantPath)
			}
			if !strings.Contains(e.Detail(), tt.wantText) {
				t.Errorf("detail %q does not contain %q", e.Detail(), tt.wantText)
			}
		})
	}
}

func TestResolveUnknownDoesNotError(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name                       string
		m                          providerModel
		wantHCUnknown, wantAZUnkwn bool
	}{
		{"unknown token", model(t, &hcloudModel{Token: types.StringUnknown(), PollInterval: str("not-checked-yet")}, nil), true, false},
		{"unknown azure value beside a conflict", model(t, nil, &azureModel{UseCLI: types.BoolValue(true), UseMSI: types.BoolValue(true),
			SubscriptionID: types.StringUnknown()}), false, true},
		{"unknown blocks", providerModel{HCloud: types.ObjectUnknown(blockTypes(t, "hcloud")), Azure: types.ObjectUnknown(blockTypes(t, "azure"))}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := resolveConfig(ctx, tt.m, env(nil))
			if d.HasError() {
				t.Fatalf("unknown values must not error at plan time: %v", d)
			}
			if got.HCloudUnknown != tt.wantHCUnknown || got.AzureUnknown != tt.wantAZUnkwn {
				t.Errorf("unknown = %v/%v, want %v/%v", got.HCloudUnknown, got.AzureUnknown, tt.wantHCUnknown, tt.wantAZUnkwn)
			}
			o, d := buildClients(got, "dev")
			if d.HasError() {
				t.Fatal(d)
			}
			if tt.wantHCUnknown && (o.HCloud != nil || !strings.Contains(o.HCloudUnavailable, "not known until apply")) {
				t.Errorf("hcloud: client %v, reason %q", o.HCloud, o.HCloudUnavailable)
			}
			if tt.wantAZUnkwn && (o.Azure != nil || !strings.Contains(o.AzureUnavailable, "not known until apply")) {
				t.Errorf("azure: access %v, reason %q", o.Azure, o.AzureUnavailable)
			}
		})
	}
}

func TestBuildClients(t *testing.T) {
	tests := []struct {
		name             string
		cfg              resolvedConfig
		wantHCloud       bool
		wantAzure        clients.CredentialKind // CredentialNone: unavailable
		wantAzureReason  string
		wantHCloudReason string
	}{
		{name: "nothing", wantHCloudReason: "HCLOUD_TOKEN", wantAzureReason: "Neither a subscription nor a credential"},
		{name: "hcloud only", cfg: resolvedConfig{HCloud: clients.HCloudConfig{Token: "x"}}, wantHCloud: true, wantAzureReason: "Neither"},
		{name: "subscription without credential", cfg: resolvedConfig{Azure: clients.AzureConfig{SubscriptionID: "s"}},
			wantHCloudReason: "HCLOUD_TOKEN", wantAzureReason: "no credential is chosen"},
		{name: "credential without subscription", cfg: resolvedConfig{Azure: clients.AzureConfig{UseCLI: true}},
			wantHCloudReason: "HCLOUD_TOKEN", wantAzureReason: "ARM_SUBSCRIPTION_ID"},
		{name: "incomplete client secret", cfg: resolvedConfig{Azure: clients.AzureConfig{SubscriptionID: "s", ClientSecret: "pw", ClientID: "c"}},
			wantHCloudReason: "HCLOUD_TOKEN", wantAzureReason: "ARM_TENANT_ID"},
		{name: "emulator", cfg: resolvedConfig{
			HCloud: clients.HCloudConfig{Token: "t", Endpoint: "http://127.0.0.1:1/hcloud/v1"},
			Azure:  clients.AzureConfig{SubscriptionID: "s", AccessToken: "t", ResourceManagerEndpoint: "http://127.0.0.1:1/azure"},
		}, wantHCloud: true, wantAzure: clients.CredentialAccessToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, d := buildClients(tt.cfg, "dev")
			if d.HasError() {
				t.Fatal(d)
			}
			if (o.HCloud != nil) != tt.wantHCloud || !strings.Contains(o.HCloudUnavailable, tt.wantHCloudReason) {
				t.Errorf("hcloud: client %v, reason %q", o.HCloud != nil, o.HCloudUnavailable)
			}
			if tt.wantAzure == clients.CredentialNone {
				if o.Azure != nil || !strings.Contains(o.AzureUnavailable, tt.wantAzureReason) {
					t.Errorf("azure: access %v, reason %q, want reason %q", o.Azure, o.AzureUnavailable, tt.wantAzureReason)
				}
				return
			}
			if o.Azure == nil || o.Azure.Kind != tt.wantAzure {
				t.Errorf("azure = %+v, want kind %s (reason %q)", o.Azure, tt.wantAzure, o.AzureUnavailable)
			}
		})
	}
}
