package provider

import (
	"context"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
)

// These tests run the real terraform CLI (from PATH) against the provider
// served in-process. They need no account and no network: nothing here makes
// an API call. A test-only data source, crosscloud_test_clients, reports
// what Configure handed over, because Terraform skips configuring a provider
// that nothing uses.

type probeProvider struct{ fwprovider.Provider }

func (p probeProvider) DataSources(ctx context.Context) []func() datasource.DataSource {
	return append(p.Provider.DataSources(ctx), func() datasource.DataSource { return &probeDataSource{} })
}

type probeDataSource struct{ c *clients.Clients }

type probeModel struct {
	Require         types.String `tfsdk:"require"`
	HCloudReady     types.Bool   `tfsdk:"hcloud_ready"`
	AzureReady      types.Bool   `tfsdk:"azure_ready"`
	AzureCredential types.String `tfsdk:"azure_credential"`
}

func (d *probeDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_test_clients"
}

func (d *probeDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"require":          schema.StringAttribute{Optional: true, Description: `"hcloud" or "azure": fail like a resource would when that cloud is missing`},
		"hcloud_ready":     schema.BoolAttribute{Computed: true},
		"azure_ready":      schema.BoolAttribute{Computed: true},
		"azure_credential": schema.StringAttribute{Computed: true},
	}}
}

func (d *probeDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	c, diags := clients.FromProviderData(req.ProviderData)
	resp.Diagnostics.Append(diags...)
	d.c = c
}

func (d *probeDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m probeModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	_, hd := d.c.HCloud()
	az, ad := d.c.Azure()
	switch m.Require.ValueString() {
	case "hcloud":
		resp.Diagnostics.Append(hd...)
	case "azure":
		resp.Diagnostics.Append(ad...)
	}
	m.HCloudReady = types.BoolValue(!hd.HasError())
	m.AzureReady = types.BoolValue(!ad.HasError())
	m.AzureCredential = types.StringValue(credentialKindOf(az))
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func probeFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"crosscloud": providerserver.NewProtocol6WithError(probeProvider{New("test")()}),
	}
}

// clearCloudEnv keeps the developer's own credentials out of these tests.
func clearCloudEnv(t *testing.T) {
	for _, k := range []string{"HCLOUD_TOKEN", "HCLOUD_ENDPOINT", "HCLOUD_POLL_INTERVAL", "ARM_SUBSCRIPTION_ID",
		"ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_USE_CLI", "ARM_USE_MSI", "ARM_USE_OIDC",
		"ARM_OIDC_TOKEN", "ARM_ENVIRONMENT", "ARM_RESOURCE_MANAGER_ENDPOINT", "ARM_ACCESS_TOKEN"} {
		t.Setenv(k, "")
	}
}

const probeOutputs = `
data "crosscloud_test_clients" "c" {}
output "hcloud_ready" { value = data.crosscloud_test_clients.c.hcloud_ready }
output "azure_ready" { value = data.crosscloud_test_clients.c.azure_ready }
output "azure_credential" { value = data.crosscloud_test_clients.c.azure_credential }
`

func TestConfigureWithoutAccounts(t *testing.T) {
	clearCloudEnv(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: probeFactories(),
		Steps: []resource.TestStep{
			{
				// The smallest configuration: a provider block, no resources.
				Config: `
provider "crosscloud" {
  hcloud = { token = "x" }
}
locals { greeting = "configured" }
output "greeting" { value = local.greeting }
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("greeting", knownvalue.StringExact("configured")),
				},
			},
			{
				// Configure really ran: Hetzner is ready, Azure is absent, and
				// reading a data source did not need Azure.
				Config: `
provider "crosscloud" {
  hcloud = { token = "x" }
}
` + probeOutputs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("hcloud_ready", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("azure_ready", knownvalue.Bool(false)),
				},
			},
			{
				// The emulator's settings: a static token over loopback http.
				Config: `
provider "crosscloud" {
  hcloud = { token = "sim", endpoint = "http://127.0.0.1:1/hcloud/v1", poll_interval = "50ms" }
  azure = {
    subscription_id           = "00000000-0000-0000-0000-000000000001"
    access_token              = "sim"
    resource_manager_endpoint = "http://127.0.0.1:1/azure"
  }
}
` + probeOutputs,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("hcloud_ready", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("azure_ready", knownvalue.Bool(true)),
					statecheck.ExpectKnownOutputValue("azure_credential", knownvalue.StringExact("access_token")),
				},
			},
		},
	})
}

// TestConfigureUnknownAtPlan feeds the token from a value only known at
// apply; planning must not fail, and apply must configure Hetzner.
func TestConfigureUnknownAtPlan(t *testing.T) {
	clearCloudEnv(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: probeFactories(),
		Steps: []resource.TestStep{{
			Config: `
resource "terraform_data" "token" { input = "from-apply" }
provider "crosscloud" {
  hcloud = { token = terraform_data.token.output }
}
# depends_on defers the read to apply, when the provider is configured again
# with the token known; that is when resources do their API calls too.
data "crosscloud_test_clients" "c" { depends_on = [terraform_data.token] }
output "hcloud_ready" { value = data.crosscloud_test_clients.c.hcloud_ready }
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("hcloud_ready", knownvalue.Bool(true)),
			},
		}},
	})
}

func TestConfigureErrors(t *testing.T) {
	clearCloudEnv(t)
	tests := []struct {
		name   string
		config string
		want   *regexp.Regexp
	}{
		{"missing hcloud token names attribute and env", `provider "crosscloud" {}
data "crosscloud_test_clients" "c" { require = "hcloud" }`, regexp.MustCompile(`(?s)Hetzner Cloud is not configured.*hcloud\.token.*HCLOUD_TOKEN`)},
		{"missing azure names subscription and credentials", `provider "crosscloud" {
  azure = { subscription_id = "s" }
}
data "crosscloud_test_clients" "c" { require = "azure" }`, regexp.MustCompile(`(?s)Azure is not configured.*no credential is chosen.*azure\.subscription_id.*ARM_SUBSCRIPTION_ID.*use_cli`)},
		{"conflicting credentials", `provider "crosscloud" {
  azure = { subscription_id = "s", use_cli = true, use_msi = true }
}
data "crosscloud_test_clients" "c" {}`, regexp.MustCompile(`Conflicting Azure credentials`)},
		{"invalid environment at validate time", `provider "crosscloud" {
  azure = { environment = "german" }
}
data "crosscloud_test_clients" "c" {}`, regexp.MustCompile(`(?s)azure\.environment.*public`)},
		{"bad poll interval", `provider "crosscloud" {
  hcloud = { token = "x", poll_interval = "often" }
}
data "crosscloud_test_clients" "c" {}`, regexp.MustCompile(`(?s)Invalid poll interval.*often`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: probeFactories(),
				Steps:                    []resource.TestStep{{Config: tt.config, ExpectError: tt.want}},
			})
		})
	}
}
