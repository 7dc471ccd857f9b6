// Package clients holds the SDK access that the provider's Configure builds
// and hands to every resource as ProviderData.
//
// Each cloud is optional: a configuration that uses only data sources (which
// are pure) needs no account at all, so a missing or incomplete cloud
// configuration is not an error until a resource actually asks for that
// cloud through HCloud or Azure.
package clients

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// Clients is the ProviderData of the crosscloud provider. The zero value (or
// nil) is a provider with no cloud configured; every accessor then returns
// a diagnostic telling the user what to set.
type Clients struct {
	hcloud       *hcloud.Client
	hcloudReason string
	azure        *Azure
	azureReason  string
}

// Options is what the provider's Configure resolved. A nil client with a
// reason records why that cloud is unavailable, so the eventual error can say
// exactly what is missing instead of a generic "not configured".
type Options struct {
	// HCloud is the ready Hetzner Cloud client, or nil.
	HCloud *hcloud.Client
	// HCloudUnavailable explains why HCloud is nil (optional).
	HCloudUnavailable string
	// Azure is the ready Azure access, or nil.
	Azure *Azure
	// AzureUnavailable explains why Azure is nil (optional).
	AzureUnavailable string
}

// New wraps what Configure built. It never fails: an unusable cloud is
// reported lazily, by the accessor of the resource that needs it.
func New(o Options) *Clients {
	return &Clients{
		hcloud:       o.HCloud,
		hcloudReason: o.HCloudUnavailable,
		azure:        o.Azure,
		azureReason:  o.AzureUnavailable,
	}
}

// HCloud returns the Hetzner Cloud client, or one error diagnostic naming
// the provider attribute and environment variable that configure it.
func (c *Clients) HCloud() (*hcloud.Client, diag.Diagnostics) {
	if c == nil {
		c = &Clients{}
	}
	return configured(c.hcloud, c.hcloudReason, "Hetzner Cloud is not configured",
		"This resource manages Hetzner Cloud objects and needs an API token. "+
			"Set hcloud.token in the crosscloud provider block (`hcloud = { token = ... }`), or export HCLOUD_TOKEN. "+
			"Create a token in the Hetzner Cloud Console under Security > API tokens (read & write).")
}

// Azure returns the Azure access, or one error diagnostic naming the
// subscription attribute, its environment variable and the credential options.
func (c *Clients) Azure() (*Azure, diag.Diagnostics) {
	if c == nil {
		c = &Clients{}
	}
	return configured(c.azure, c.azureReason, "Azure is not configured",
		"This resource manages Azure objects and needs a subscription and a credential. "+
			"Set azure.subscription_id in the crosscloud provider block (or export ARM_SUBSCRIPTION_ID) "+
			"and choose exactly one credential: "+
			"client_id + client_secret + tenant_id (ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID), "+
			"use_oidc = true with oidc_token, client_id and tenant_id (ARM_USE_OIDC, ARM_OIDC_TOKEN), "+
			"use_msi = true (ARM_USE_MSI), use_cli = true after `az login` (ARM_USE_CLI), "+
			"or access_token (ARM_ACCESS_TOKEN, e.g. from crosscloud-sim's env file).")
}

// configured is what both accessors do: the client when the cloud is
// configured, otherwise one error whose text is why not (when Configure
// knew) followed by how to configure it.
func configured[T any](client *T, reason, summary, help string) (*T, diag.Diagnostics) {
	if client != nil {
		return client, nil
	}
	var diags diag.Diagnostics
	diags.AddError(summary, joinReason(reason, help))
	return nil, diags
}

// FromProviderData is the helper for resources' and data sources' Configure.
// Terraform calls Configure before the provider is configured (for example
// during validation) with nil data; that is not an error, so it returns nil
// and no diagnostics, and the resource must tolerate a nil *Clients until then.
func FromProviderData(data any) (*Clients, diag.Diagnostics) {
	var diags diag.Diagnostics
	if data == nil {
		return nil, nil
	}
	c, ok := data.(*Clients)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *clients.Clients, got %T. This is a bug in the crosscloud provider; please report it.", data))
		return nil, diags
	}
	return c, nil
}

func joinReason(reason, help string) string {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return help
	}
	return reason + "\n\n" + help
}
