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

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sdkopts"
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
// public IPs, VNets) for the configured subscription. The sweeper and the
// real-cloud acceptance tests (internal/acctest/accenv, cmd/crosscloud-acc)
// use it; the link's adapter builds its own clients with azure.New from
// the same credential and options.
func (a *Azure) Network() (*armnetwork.ClientFactory, error) {
	f, err := armnetwork.NewClientFactory(a.SubscriptionID, a.Credential, a.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("creating the Azure network client: %w", err)
	}
	return f, nil
}

// Resources returns the armresources client factory (resource groups), used
// by the sweeper and the real-cloud acceptance tests to prepare and remove
// what crosscloud does not manage.
func (a *Azure) Resources() (*armresources.ClientFactory, error) {
	f, err := armresources.NewClientFactory(a.SubscriptionID, a.Credential, a.ClientOptions)
	if err != nil {
		return nil, fmt.Errorf("creating the Azure resources client: %w", err)
	}
	return f, nil
}

// Environments are the Azure clouds the provider knows, by the names
// ARM_ENVIRONMENT uses in the azurerm provider.
var Environments = sdkopts.AzureEnvironments

// CloudConfiguration returns a fresh cloud.Configuration for an environment
// name (empty means public); the table is sdkopts.AzureCloud.
func CloudConfiguration(environment string) (cloud.Configuration, error) {
	return sdkopts.AzureCloud(environment)
}

// ClientOptions builds the ARM client options: the cloud (with the
// endpoint override, keeping the environment's token audience; plain http
// only on loopback, checked here by ParseEndpoint), retries that ride out
// throttling and transient 5xx (azcore honours Retry-After), and the
// provider version in the User-Agent.
func ClientOptions(cfg AzureConfig, version string) (*arm.ClientOptions, error) {
	cc, err := sdkopts.AzureCloud(cfg.Environment)
	if err != nil {
		return nil, err
	}
	if cfg.ResourceManagerEndpoint != "" {
		if _, err := ParseEndpoint(cfg.ResourceManagerEndpoint); err != nil {
			return nil, err
		}
	}
	return sdkopts.ARM{
		Cloud:    cc,
		Endpoint: cfg.ResourceManagerEndpoint,
		Retry: policy.RetryOptions{
			MaxRetries:    6,
			RetryDelay:    2 * time.Second,
			MaxRetryDelay: time.Minute,
		},
		ApplicationID: applicationID(version),
	}.Options(), nil
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
		cred = sdkopts.NewStaticToken(cfg.AccessToken)
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
