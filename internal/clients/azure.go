package clients

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// Azure is the configured Azure access: resources build the ARM client
// factories they need from it, all sharing one credential (and its token
// cache) and one set of client options.
type Azure struct {
	SubscriptionID string
	Credential     azcore.TokenCredential
	ClientOptions  *arm.ClientOptions
	// Kind records which credential was chosen, for logs and error messages.
	Kind CredentialKind
	// PollInterval is how often long-running work is polled when ARM sends
	// no Retry-After (zero: the adapter's default).
	PollInterval time.Duration
}

// Network returns the armnetwork client factory (gateways, connections,
// public IPs, VNets) for the configured subscription.
func (a *Azure) Network() (*armnetwork.ClientFactory, error) {
	f, err := armnetwork.NewClientFactory(a.SubscriptionID, a.Credential, a.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("creating the Azure network client: %w", err)
	}
	return f, nil
}

// Resources returns the armresources client factory (resource groups), used
// by tests and examples that prepare what crosscloud does not manage.
func (a *Azure) Resources() (*armresources.ClientFactory, error) {
	f, err := armresources.NewClientFactory(a.SubscriptionID, a.Credential, a.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("creating the Azure resources client: %w", err)
	}
	return f, nil
}

// Environments are the Azure clouds the provider knows, by the names
// ARM_ENVIRONMENT uses in the azurerm provider.
var Environments = []string{"public", "usgovernment", "china"}

// CloudConfiguration returns a fresh cloud.Configuration for an environment
// name (empty means public). It never returns azcore's package-level values,
// whose maps are shared and would leak an endpoint override into other clients.
func CloudConfiguration(environment string) (cloud.Configuration, error) {
	var authority, endpoint, audience string
	switch strings.ToLower(environment) {
	case "", "public":
		authority, endpoint, audience = "https://login.microsoftonline.com/", "https://management.azure.com", "https://management.core.windows.net/"
	case "usgovernment":
		authority, endpoint, audience = "https://login.microsoftonline.us/", "https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net/"
	case "china":
		authority, endpoint, audience = "https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/"
	default:
		return cloud.Configuration{}, fmt.Errorf("unknown Azure environment %q; use one of %s", environment, strings.Join(Environments, ", "))
	}
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: authority,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint, Audience: audience},
		},
	}, nil
}

// ClientOptions builds the ARM client options: the cloud (with the
// endpoint override, keeping the environment's token audience), retries that
// ride out throttling and transient 5xx (azcore honours Retry-After), and the
// provider version in the User-Agent.
func ClientOptions(cfg AzureConfig, version string) (*arm.ClientOptions, error) {
	cc, err := CloudConfiguration(cfg.Environment)
	if err != nil {
		return nil, err
	}
	opts := &arm.ClientOptions{}
	if cfg.ResourceManagerEndpoint != "" {
		u, err := ParseEndpoint(cfg.ResourceManagerEndpoint)
		if err != nil {
			return nil, err
		}
		rm := cc.Services[cloud.ResourceManager]
		rm.Endpoint = strings.TrimRight(u.String(), "/")
		cc.Services[cloud.ResourceManager] = rm
		// azcore refuses to put a bearer token on a plain-http request. The
		// local emulator (crosscloud-sim) serves plain http on loopback, and a
		// token that never leaves the machine cannot be sniffed, so allow it
		// there and nowhere else (ParseEndpoint already refused other http).
		opts.InsecureAllowCredentialWithHTTP = IsLoopbackHTTP(u)
	}
	opts.Cloud = cc
	opts.Retry = policy.RetryOptions{
		MaxRetries:    6,
		RetryDelay:    2 * time.Second,
		MaxRetryDelay: time.Minute,
	}
	opts.Telemetry = policy.TelemetryOptions{ApplicationID: applicationID(version)}
	return opts, nil
}

// applicationID fits azcore's limit: at most 24 characters, no spaces.
func applicationID(version string) string {
	id := strings.ReplaceAll("crosscloud/"+version, " ", "_")
	if len(id) > 24 {
		id = id[:24]
	}
	return id
}

// NewAzure builds the credential and client options for a configuration
// whose credential choice is complete. No network call is made: credentials
// fetch tokens lazily, on the first ARM request.
func NewAzure(cfg AzureConfig, version string) (*Azure, error) {
	if cfg.SubscriptionID == "" {
		return nil, errors.New("azure.subscription_id (or ARM_SUBSCRIPTION_ID) is not set")
	}
	kind, cerr := ChooseCredential(cfg)
	if cerr != nil {
		return nil, cerr
	}
	if kind == CredentialNone {
		return nil, errors.New("no Azure credential is chosen")
	}
	opts, err := ClientOptions(cfg, version)
	if err != nil {
		return nil, err
	}
	credOpts := azcore.ClientOptions{Cloud: opts.Cloud, Retry: opts.Retry, Telemetry: opts.Telemetry}
	var cred azcore.TokenCredential
	switch kind {
	case CredentialAccessToken:
		cred = NewStaticTokenCredential(cfg.AccessToken)
	case CredentialClientSecret:
		cred, err = azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: credOpts})
	case CredentialOIDC:
		token := cfg.OIDCToken
		cred, err = azidentity.NewClientAssertionCredential(cfg.TenantID, cfg.ClientID,
			func(context.Context) (string, error) { return token, nil },
			&azidentity.ClientAssertionCredentialOptions{ClientOptions: credOpts})
	case CredentialMSI:
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: credOpts}
		if cfg.ClientID != "" {
			mo.ID = azidentity.ClientID(cfg.ClientID)
		}
		cred, err = azidentity.NewManagedIdentityCredential(mo)
	case CredentialCLI:
		cred, err = azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{
			TenantID: cfg.TenantID, Subscription: cfg.SubscriptionID,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("creating the Azure %s credential: %w", kind, err)
	}
	return &Azure{SubscriptionID: cfg.SubscriptionID, Credential: cred, ClientOptions: opts, Kind: kind, PollInterval: cfg.PollInterval}, nil
}

// StaticTokenCredential hands out one bearer token as is. It serves CI
// pipelines that already hold an ARM token and crosscloud-sim, which issues
// its own token: no identity service is ever called.
type StaticTokenCredential struct {
	token string
}

// NewStaticTokenCredential wraps a bearer token.
func NewStaticTokenCredential(token string) *StaticTokenCredential {
	return &StaticTokenCredential{token: token}
}

// GetToken returns the token with an expiry an hour ahead: the provider
// cannot know the real one, and azcore only uses it to decide when to ask
// again, which returns the same token.
func (s *StaticTokenCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: s.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// String keeps the token out of logs and error messages that print the credential.
func (s *StaticTokenCredential) String() string { return "StaticTokenCredential(REDACTED)" }

// GoString keeps the token out of %#v output.
func (s *StaticTokenCredential) GoString() string { return s.String() }
