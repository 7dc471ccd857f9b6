package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
)

// lookupEnv has the signature of os.LookupEnv.
type lookupEnv func(string) (string, bool)

type providerModel struct {
	HCloud types.Object `tfsdk:"hcloud"`
	Azure  types.Object `tfsdk:"azure"`
}

type hcloudModel struct {
	Token        types.String `tfsdk:"token"`
	Endpoint     types.String `tfsdk:"endpoint"`
	PollInterval types.String `tfsdk:"poll_interval"`
}

type azureModel struct {
	SubscriptionID          types.String `tfsdk:"subscription_id"`
	TenantID                types.String `tfsdk:"tenant_id"`
	ClientID                types.String `tfsdk:"client_id"`
	ClientSecret            types.String `tfsdk:"client_secret"`
	UseCLI                  types.Bool   `tfsdk:"use_cli"`
	UseMSI                  types.Bool   `tfsdk:"use_msi"`
	UseOIDC                 types.Bool   `tfsdk:"use_oidc"`
	OIDCToken               types.String `tfsdk:"oidc_token"`
	Environment             types.String `tfsdk:"environment"`
	ResourceManagerEndpoint types.String `tfsdk:"resource_manager_endpoint"`
	AccessToken             types.String `tfsdk:"access_token"`
	PollInterval            types.String `tfsdk:"poll_interval"`
}

// resolvedConfig is the provider block after environment fallbacks. A cloud
// whose block holds a value unknown at plan time is marked Unknown and is
// neither validated nor built: Terraform configures the provider again at
// apply, with every value known.
type resolvedConfig struct {
	HCloud        clients.HCloudConfig
	HCloudUnknown bool
	Azure         clients.AzureConfig
	AzureUnknown  bool
}

var (
	hcloudPath = path.Root("hcloud")
	azurePath  = path.Root("azure")
)

// resolver applies "config value, else environment variable" and records
// whether any value was unknown.
type resolver struct {
	env     lookupEnv
	diags   diag.Diagnostics
	unknown bool
}

func (r *resolver) str(v types.String, envKey string) string {
	if v.IsUnknown() {
		r.unknown = true
		return ""
	}
	if s := v.ValueString(); s != "" {
		return s
	}
	s, _ := r.env(envKey)
	return s
}

func (r *resolver) boolean(v types.Bool, envKey string, p path.Path) bool {
	if v.IsUnknown() {
		r.unknown = true
		return false
	}
	if !v.IsNull() {
		return v.ValueBool()
	}
	s, ok := r.env(envKey)
	if !ok || strings.TrimSpace(s) == "" {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		r.diags.AddAttributeError(p, "Invalid environment variable "+envKey,
			fmt.Sprintf("%s=%q is not a boolean. Set it to true or false, or unset it.", envKey, s))
	}
	return b
}

// resolveConfig reads both blocks, applies the environment fallbacks and
// validates what is known. Missing credentials are not errors here.
func resolveConfig(ctx context.Context, m providerModel, env lookupEnv) (resolvedConfig, diag.Diagnostics) {
	var out resolvedConfig
	var diags diag.Diagnostics

	var hm hcloudModel
	if m.HCloud.IsUnknown() {
		out.HCloudUnknown = true
	} else if !m.HCloud.IsNull() {
		diags.Append(m.HCloud.As(ctx, &hm, basetypes.ObjectAsOptions{})...)
	}
	var am azureModel
	if m.Azure.IsUnknown() {
		out.AzureUnknown = true
	} else if !m.Azure.IsNull() {
		diags.Append(m.Azure.As(ctx, &am, basetypes.ObjectAsOptions{})...)
	}
	if diags.HasError() {
		return out, diags
	}

	if !out.HCloudUnknown {
		r := &resolver{env: env}
		out.HCloud.Token = r.str(hm.Token, "HCLOUD_TOKEN")
		out.HCloud.Endpoint = r.str(hm.Endpoint, "HCLOUD_ENDPOINT")
		poll := r.str(hm.PollInterval, "HCLOUD_POLL_INTERVAL")
		out.HCloudUnknown = r.unknown
		if !r.unknown {
			out.HCloud.PollInterval = validateHCloud(out.HCloud, poll, &r.diags)
		}
		diags.Append(r.diags...)
	}

	if !out.AzureUnknown {
		r := &resolver{env: env}
		a := &out.Azure
		a.SubscriptionID = r.str(am.SubscriptionID, "ARM_SUBSCRIPTION_ID")
		a.TenantID = r.str(am.TenantID, "ARM_TENANT_ID")
		a.ClientID = r.str(am.ClientID, "ARM_CLIENT_ID")
		a.ClientSecret = r.str(am.ClientSecret, "ARM_CLIENT_SECRET")
		a.UseCLI = r.boolean(am.UseCLI, "ARM_USE_CLI", azurePath.AtName("use_cli"))
		a.UseMSI = r.boolean(am.UseMSI, "ARM_USE_MSI", azurePath.AtName("use_msi"))
		a.UseOIDC = r.boolean(am.UseOIDC, "ARM_USE_OIDC", azurePath.AtName("use_oidc"))
		a.OIDCToken = r.str(am.OIDCToken, "ARM_OIDC_TOKEN")
		a.Environment = strings.ToLower(r.str(am.Environment, "ARM_ENVIRONMENT"))
		a.ResourceManagerEndpoint = r.str(am.ResourceManagerEndpoint, "ARM_RESOURCE_MANAGER_ENDPOINT")
		a.AccessToken = r.str(am.AccessToken, "ARM_ACCESS_TOKEN")
		poll := r.str(am.PollInterval, "ARM_POLL_INTERVAL")
		out.AzureUnknown = r.unknown
		if !r.unknown {
			a.PollInterval = parsePoll(poll, azurePath.AtName("poll_interval"), "azure.poll_interval (or ARM_POLL_INTERVAL)", &r.diags)
		}
		if !r.unknown && !r.diags.HasError() {
			validateAzure(*a, &r.diags)
		}
		diags.Append(r.diags...)
	}
	return out, diags
}

// validateHCloud checks the resolved hcloud values and returns the parsed
// poll interval (zero: the client's default).
func validateHCloud(h clients.HCloudConfig, poll string, diags *diag.Diagnostics) time.Duration {
	if h.Token != "" {
		if err := clients.ValidateHCloudToken(h.Token); err != nil {
			diags.AddAttributeError(hcloudPath.AtName("token"), "Invalid Hetzner Cloud token",
				"hcloud.token (or HCLOUD_TOKEN): "+err.Error())
		}
	}
	if h.Endpoint != "" {
		if _, err := clients.ParseEndpoint(h.Endpoint); err != nil {
			diags.AddAttributeError(hcloudPath.AtName("endpoint"), "Invalid Hetzner Cloud endpoint",
				"hcloud.endpoint (or HCLOUD_ENDPOINT): "+err.Error())
		}
	}
	return parsePoll(poll, hcloudPath.AtName("poll_interval"), "hcloud.poll_interval (or HCLOUD_POLL_INTERVAL)", diags)
}

// parsePoll reads a poll interval; empty means the client's default.
func parsePoll(poll string, at path.Path, name string, diags *diag.Diagnostics) time.Duration {
	if poll == "" {
		return 0
	}
	d, err := time.ParseDuration(poll)
	if err != nil || d <= 0 {
		diags.AddAttributeError(at, "Invalid poll interval",
			fmt.Sprintf("%s is %q; use a positive Go duration such as \"1s\" or \"500ms\".", name, poll))
		return 0
	}
	return d
}

// validateAzure reports mistakes that are wrong whatever the rest of the
// configuration: unknown environment, bad endpoint, conflicting credentials.
func validateAzure(a clients.AzureConfig, diags *diag.Diagnostics) {
	if _, err := clients.CloudConfiguration(a.Environment); err != nil {
		diags.AddAttributeError(azurePath.AtName("environment"), "Invalid Azure environment",
			"azure.environment (or ARM_ENVIRONMENT): "+err.Error())
	}
	if a.ResourceManagerEndpoint != "" {
		if _, err := clients.ParseEndpoint(a.ResourceManagerEndpoint); err != nil {
			diags.AddAttributeError(azurePath.AtName("resource_manager_endpoint"), "Invalid Azure Resource Manager endpoint",
				"azure.resource_manager_endpoint (or ARM_RESOURCE_MANAGER_ENDPOINT): "+err.Error())
		}
	}
	if _, cerr := clients.ChooseCredential(a); cerr != nil && !cerr.Incomplete {
		diags.AddAttributeError(azurePath.AtName(cerr.Attribute), cerr.Summary, cerr.Detail)
	}
	if a.OIDCToken != "" && !a.UseOIDC {
		diags.AddAttributeWarning(azurePath.AtName("oidc_token"), "OIDC token is not used",
			"azure.oidc_token (or ARM_OIDC_TOKEN) is set but use_oidc is not true, so it is ignored. "+
				"Set use_oidc = true (or ARM_USE_OIDC=true) to authenticate with it.")
	}
}

// buildClients turns a validated configuration into clients.Options,
// recording why a cloud is unavailable instead of failing.
func buildClients(cfg resolvedConfig, version string) (clients.Options, diag.Diagnostics) {
	var o clients.Options
	var diags diag.Diagnostics
	const unknownReason = "The %s block depends on values that are not known until apply, so the provider cannot use it during this plan."

	switch {
	case cfg.HCloudUnknown:
		o.HCloudUnavailable = fmt.Sprintf(unknownReason, "hcloud")
	case cfg.HCloud.Token == "":
		o.HCloudUnavailable = "No Hetzner Cloud API token is set (hcloud.token / HCLOUD_TOKEN)."
	default:
		c, err := clients.NewHCloud(cfg.HCloud, version)
		if err != nil {
			diags.AddAttributeError(hcloudPath, "Cannot configure Hetzner Cloud", err.Error())
		}
		o.HCloud = c
	}

	if cfg.AzureUnknown {
		o.AzureUnavailable = fmt.Sprintf(unknownReason, "azure")
		return o, diags
	}
	kind, cerr := clients.ChooseCredential(cfg.Azure)
	switch {
	case cerr != nil:
		o.AzureUnavailable = cerr.Error()
	case kind == clients.CredentialNone && cfg.Azure.SubscriptionID == "":
		o.AzureUnavailable = "Neither a subscription nor a credential is set."
	case kind == clients.CredentialNone:
		o.AzureUnavailable = "azure.subscription_id is set, but no credential is chosen."
	case cfg.Azure.SubscriptionID == "":
		o.AzureUnavailable = fmt.Sprintf("A %s credential is chosen, but azure.subscription_id (or ARM_SUBSCRIPTION_ID) is not set.", kind)
	default:
		a, err := clients.NewAzure(cfg.Azure, version)
		if err != nil {
			diags.AddAttributeError(azurePath, "Cannot configure Azure", err.Error())
		}
		o.Azure = a
	}
	return o, diags
}

// maskSecrets keeps tokens out of provider logs: by field name for
// structured fields, and by value anywhere else a secret could appear.
func maskSecrets(ctx context.Context, cfg resolvedConfig) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "token", "client_secret", "oidc_token", "access_token")
	var secrets []string
	for _, s := range []string{cfg.HCloud.Token, cfg.Azure.ClientSecret, cfg.Azure.OIDCToken, cfg.Azure.AccessToken} {
		if s != "" { // an empty pattern would mask every position of every string
			secrets = append(secrets, s)
		}
	}
	if len(secrets) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, secrets...)
		ctx = tflog.MaskMessageStrings(ctx, secrets...)
	}
	return ctx
}
