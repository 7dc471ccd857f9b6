package clients

import (
	"fmt"
	"strings"
	"time"
)

// AzureConfig is the provider's azure block after environment fallbacks:
// plain values, so the credential rules can be tested without Terraform.
type AzureConfig struct {
	SubscriptionID string
	TenantID       string
	ClientID       string
	ClientSecret   string
	UseCLI         bool
	UseMSI         bool
	UseOIDC        bool
	OIDCToken      string
	// Environment is "public", "usgovernment" or "china"; empty means public.
	Environment string
	// ResourceManagerEndpoint overrides the environment's ARM endpoint
	// (sovereign clouds, or crosscloud-sim at http://127.0.0.1:PORT/azure).
	ResourceManagerEndpoint string
	// AccessToken is a bearer token used as is (CI pipelines, crosscloud-sim).
	AccessToken string
	// PollInterval paces polls that ARM gives no Retry-After for (waiting
	// for a connection to connect, adopting a gateway still provisioning).
	PollInterval time.Duration
}

// CredentialKind is how the provider authenticates to Azure. It is chosen
// explicitly by the user, never guessed, so a stray `az login` or a managed
// identity on a CI runner is not picked up by surprise.
type CredentialKind int

// The credential kinds, in the order the documentation lists them.
const (
	// CredentialNone means no credential was chosen; Azure is then unavailable.
	CredentialNone CredentialKind = iota
	// CredentialClientSecret is a service principal with a client secret.
	CredentialClientSecret
	// CredentialOIDC is workload identity federation with a supplied token.
	CredentialOIDC
	// CredentialMSI is a managed identity (system-, or user-assigned via client_id).
	CredentialMSI
	// CredentialCLI is the identity logged in to the Azure CLI.
	CredentialCLI
	// CredentialAccessToken is a bearer token used as is; no identity service is called.
	CredentialAccessToken
)

// String names the kind in logs and messages.
func (k CredentialKind) String() string {
	switch k {
	case CredentialClientSecret:
		return "client_secret"
	case CredentialOIDC:
		return "oidc"
	case CredentialMSI:
		return "managed_identity"
	case CredentialCLI:
		return "azure_cli"
	case CredentialAccessToken:
		return "access_token"
	default:
		return "none"
	}
}

// ConfigError is a problem with one attribute of the azure block. Attribute
// is the name inside the block (e.g. "client_secret") so the provider can
// attach the diagnostic to the right path.
//
// Incomplete problems (a required piece is missing) do not fail Configure:
// a configuration using only data sources must keep working with a partial
// ARM_* environment. They surface when a resource asks for Azure. Conflicts
// are always a mistake and fail Configure.
type ConfigError struct {
	Attribute  string
	Summary    string
	Detail     string
	Incomplete bool
}

// Error renders the problem for logs and for the lazy "not configured" diagnostic.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("%s: azure.%s: %s", e.Summary, e.Attribute, e.Detail)
}

type choice struct {
	kind CredentialKind
	attr string
	desc string
}

// ChooseCredential decides which credential the configuration asks for and
// checks that the pieces it needs are present. At most one of access_token,
// client_secret, use_oidc, use_msi and use_cli may be chosen.
func ChooseCredential(cfg AzureConfig) (CredentialKind, *ConfigError) {
	var chosen []choice
	if cfg.AccessToken != "" {
		chosen = append(chosen, choice{CredentialAccessToken, "access_token", "access_token (ARM_ACCESS_TOKEN)"})
	}
	if cfg.ClientSecret != "" {
		chosen = append(chosen, choice{CredentialClientSecret, "client_secret", "client_secret (ARM_CLIENT_SECRET)"})
	}
	if cfg.UseOIDC {
		chosen = append(chosen, choice{CredentialOIDC, "use_oidc", "use_oidc (ARM_USE_OIDC)"})
	}
	if cfg.UseMSI {
		chosen = append(chosen, choice{CredentialMSI, "use_msi", "use_msi (ARM_USE_MSI)"})
	}
	if cfg.UseCLI {
		chosen = append(chosen, choice{CredentialCLI, "use_cli", "use_cli (ARM_USE_CLI)"})
	}
	if len(chosen) == 0 {
		return CredentialNone, nil
	}
	if len(chosen) > 1 {
		names := make([]string, len(chosen))
		for i, c := range chosen {
			names[i] = c.desc
		}
		return CredentialNone, &ConfigError{
			Attribute: chosen[1].attr,
			Summary:   "Conflicting Azure credentials",
			Detail: "The azure block (or the ARM_* environment) chooses more than one way to authenticate: " +
				strings.Join(names, ", ") + ". Keep exactly one of them and unset the others.",
		}
	}
	c := chosen[0]
	switch c.kind {
	case CredentialClientSecret:
		if e := requireFor(c, "client_id", "ARM_CLIENT_ID", cfg.ClientID); e != nil {
			return c.kind, e
		}
		if e := requireFor(c, "tenant_id", "ARM_TENANT_ID", cfg.TenantID); e != nil {
			return c.kind, e
		}
	case CredentialOIDC:
		if e := requireFor(c, "oidc_token", "ARM_OIDC_TOKEN", cfg.OIDCToken); e != nil {
			return c.kind, e
		}
		if e := requireFor(c, "client_id", "ARM_CLIENT_ID", cfg.ClientID); e != nil {
			return c.kind, e
		}
		if e := requireFor(c, "tenant_id", "ARM_TENANT_ID", cfg.TenantID); e != nil {
			return c.kind, e
		}
	}
	return c.kind, nil
}

func requireFor(c choice, attr, env, value string) *ConfigError {
	if value != "" {
		return nil
	}
	return &ConfigError{
		Attribute:  attr,
		Summary:    "Incomplete Azure credential",
		Detail:     fmt.Sprintf("%s needs azure.%s (or %s) to be set too.", c.desc, attr, env),
		Incomplete: true,
	}
}
