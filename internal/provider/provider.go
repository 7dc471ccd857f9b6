// Package provider is the crosscloud provider: its schema, and the
// translation of the provider block (plus HCLOUD_* / ARM_* environment
// variables) into the SDK clients that resources receive as ProviderData.
package provider

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/gatewayroute"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipseclink"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/prefixplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sharedkey"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/strongswanconfig"
)

// TypeName is the provider's type name: every resource is crosscloud_<name>.
const TypeName = "crosscloud"

var (
	_ provider.Provider                       = (*crosscloudProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*crosscloudProvider)(nil)
)

type crosscloudProvider struct {
	version string
	// lookupEnv is os.LookupEnv; tests swap it to exercise the fallbacks
	// without touching the process environment.
	lookupEnv lookupEnv
}

// New returns the provider factory that main.go serves. version is "dev" for
// local builds and the release version when built by goreleaser; it ends up
// in the User-Agent of every API request.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &crosscloudProvider{version: version, lookupEnv: os.LookupEnv}
	}
}

// Metadata sets the type name and version shown by `terraform version`.
func (p *crosscloudProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = TypeName
	resp.Version = p.version
}

// Schema describes the provider block. Both blocks are optional so that a
// configuration using only the pure data sources needs no account.
func (p *crosscloudProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Joins a Hetzner Cloud network and an Azure virtual network through an IKEv2/IPsec " +
			"site-to-site tunnel. Both blocks are optional: configure a cloud when you use resources that manage it. " +
			"Every attribute falls back to an environment variable, so CI can configure the provider without HCL.",
		Attributes: map[string]schema.Attribute{
			"hcloud": schema.SingleNestedAttribute{
				Optional:            true,
				MarkdownDescription: "Hetzner Cloud API access (used by `crosscloud_ipsec_link` and `crosscloud_hcloud_gateway_route`).",
				Attributes: map[string]schema.Attribute{
					"token": schema.StringAttribute{
						Optional:  true,
						Sensitive: true,
						MarkdownDescription: "Hetzner Cloud API token with read & write permission, from the Cloud Console " +
							"(Security > API tokens). Falls back to `HCLOUD_TOKEN`.",
					},
					"endpoint": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "Hetzner Cloud API base URL. Falls back to `HCLOUD_ENDPOINT`, then " +
							"`https://api.hetzner.cloud/v1`. Plain `http://` is accepted only on a loopback address " +
							"(the `crosscloud-sim` emulator, e.g. `http://127.0.0.1:8080/hcloud/v1`).",
					},
					"poll_interval": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "Pause between polls of a running Hetzner action, as a Go duration such as " +
							"`1s` or `250ms`. Falls back to `HCLOUD_POLL_INTERVAL`, then `1s`, which keeps long waits " +
							"within Hetzner's default rate limit of 3600 requests per hour.",
					},
				},
			},
			"azure": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Azure Resource Manager access (used by `crosscloud_ipsec_link`). Choose exactly one " +
					"credential: `client_id` + `client_secret` + `tenant_id`, `use_oidc`, `use_msi`, `use_cli` or `access_token`.",
				Attributes: azureAttributes(),
			},
		},
	}
}

func azureAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"subscription_id": schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "Subscription that holds the VPN gateway. Falls back to `ARM_SUBSCRIPTION_ID`.",
		},
		"tenant_id": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Microsoft Entra tenant of the service principal (client secret, OIDC) or the tenant " +
				"to request tokens from with the Azure CLI. Falls back to `ARM_TENANT_ID`.",
		},
		"client_id": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Application (client) ID of the service principal, or of the user-assigned managed " +
				"identity with `use_msi`. Falls back to `ARM_CLIENT_ID`.",
		},
		"client_secret": schema.StringAttribute{
			Optional:            true,
			Sensitive:           true,
			MarkdownDescription: "Client secret of the service principal; needs `client_id` and `tenant_id`. Falls back to `ARM_CLIENT_SECRET`.",
		},
		"use_cli": schema.BoolAttribute{
			Optional:            true,
			MarkdownDescription: "Authenticate as the identity logged in with `az login`. Falls back to `ARM_USE_CLI`.",
		},
		"use_msi": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Authenticate with the managed identity of the machine running Terraform (system-assigned, " +
				"or user-assigned when `client_id` is set). Falls back to `ARM_USE_MSI`.",
		},
		"use_oidc": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Authenticate with workload identity federation, exchanging `oidc_token` for an Azure " +
				"token; needs `client_id` and `tenant_id`. Falls back to `ARM_USE_OIDC`.",
		},
		"oidc_token": schema.StringAttribute{
			Optional:            true,
			Sensitive:           true,
			MarkdownDescription: "ID token from the CI system's OIDC issuer, used with `use_oidc`. Falls back to `ARM_OIDC_TOKEN`.",
		},
		"environment": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Azure cloud: `public`, `usgovernment` or `china`. Falls back to `ARM_ENVIRONMENT`, " +
				"then `public`. Sets the Entra ID authority, the ARM endpoint and the token audience.",
			Validators: []validator.String{stringvalidator.OneOfCaseInsensitive(clients.Environments...)},
		},
		"resource_manager_endpoint": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Overrides the ARM endpoint of `environment` (sovereign or private clouds, or the " +
				"`crosscloud-sim` emulator, e.g. `http://127.0.0.1:8080/azure`). Falls back to " +
				"`ARM_RESOURCE_MANAGER_ENDPOINT`. Plain `http://` is accepted only on a loopback address.",
		},
		"poll_interval": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "How often to poll Azure when it sends no `Retry-After` (a connection coming up, a gateway " +
				"adopted mid-provisioning), as a Go duration. Default `10s`. Falls back to `ARM_POLL_INTERVAL`.",
		},
		"access_token": schema.StringAttribute{
			Optional:  true,
			Sensitive: true,
			MarkdownDescription: "A ready ARM bearer token, used as is: no identity service is called. For pipelines " +
				"that already hold a token, and for `crosscloud-sim`, which issues its own. Falls back to `ARM_ACCESS_TOKEN`.",
		},
	}
}

// Configure resolves the provider block against the environment, validates
// it and builds the clients. A cloud that is not configured is not an error
// here: the resource that needs it reports that, so data sources work alone.
func (p *crosscloudProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg, diags := resolveConfig(ctx, m, p.lookupEnv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = maskSecrets(ctx, cfg)

	opts, diags := buildClients(cfg, p.version)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	tflog.Debug(ctx, "crosscloud provider configured", map[string]any{
		"hcloud_configured": opts.HCloud != nil,
		"hcloud_endpoint":   cfg.HCloud.Endpoint,
		"azure_configured":  opts.Azure != nil,
		"azure_credential":  credentialKindOf(opts.Azure),
		"azure_environment": cfg.Azure.Environment,
		"azure_endpoint":    cfg.Azure.ResourceManagerEndpoint,
	})
	c := clients.New(opts)
	resp.ResourceData = c
	resp.DataSourceData = c
}

// Resources lists the resource constructors.
func (p *crosscloudProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		ipseclink.NewResource,
		gatewayroute.NewResource,
	}
}

// DataSources lists the data source constructors.
func (p *crosscloudProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		strongswanconfig.NewDataSource,
		prefixplan.NewDataSource,
	}
}

// EphemeralResources lists the ephemeral resource constructors: values that
// are never persisted, for secrets (Terraform 1.10+, OpenTofu 1.11+).
func (p *crosscloudProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		sharedkey.NewEphemeralResource,
		strongswanconfig.NewEphemeralResource,
	}
}

func credentialKindOf(a *clients.Azure) string {
	if a == nil {
		return clients.CredentialNone.String()
	}
	return a.Kind.String()
}
