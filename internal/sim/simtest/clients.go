package simtest

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// pollEvery is how often the helpers poll LROs and actions; the emulator
// runs at a small time scale, so the SDKs' defaults (30s, 500ms) would make
// the helpers the slowest part of a test.
const pollEvery = 10 * time.Millisecond

// StaticToken is an azcore.TokenCredential that always returns one bearer
// token: the emulator's, which never expires within a test. It is the
// stand-in for azidentity when talking to crosscloud-sim.
type StaticToken string

// GetToken returns the token, valid for a day.
func (s StaticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

// Credential is the ARM credential for this emulator.
func (i *Instance) Credential() azcore.TokenCredential { return CredentialFor(i.env) }

// CredentialFor is the ARM credential for the emulator whose provider
// settings (sim.EnvKeys) are env: the lab tests, which start crosscloud-sim
// with a data plane of their own, reach it with the same clients.
func CredentialFor(env map[string]string) azcore.TokenCredential {
	return StaticToken(env["ARM_ACCESS_TOKEN"])
}

// SubscriptionID is the subscription the Azure emulator serves.
func (i *Instance) SubscriptionID() string { return i.env["ARM_SUBSCRIPTION_ID"] }

// ARMClientOptions point armresources/armnetwork clients at the emulator:
// its endpoint as the Resource Manager cloud, plain HTTP allowed for the
// bearer token (loopback only), and no resource-provider registration.
func (i *Instance) ARMClientOptions() *arm.ClientOptions { return ARMClientOptionsFor(i.env) }

// ARMClientOptionsFor are ARMClientOptions for the emulator whose provider
// settings are env.
func ARMClientOptionsFor(env map[string]string) *arm.ClientOptions {
	return &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud: cloud.Configuration{
				ActiveDirectoryAuthorityHost: "https://login.microsoftonline.com/",
				Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
					cloud.ResourceManager: {
						Endpoint: env["ARM_RESOURCE_MANAGER_ENDPOINT"],
						Audience: "https://management.core.windows.net/",
					},
				},
			},
			InsecureAllowCredentialWithHTTP: true,
			Retry:                           policy.RetryOptions{RetryDelay: pollEvery, MaxRetryDelay: time.Second},
		},
		DisableRPRegistration: true,
	}
}

// PollOptions make ARM pollers poll at test speed (allowed below the SDK's
// 1s floor only in test binaries).
func PollOptions() *runtime.PollUntilDoneOptions {
	return &runtime.PollUntilDoneOptions{Frequency: pollEvery}
}

// HCloud is an hcloud-go client for this emulator, polling actions at
// test speed.
func (i *Instance) HCloud() *hcloud.Client { return HCloudFor(i.env) }

// HCloudFor is HCloud for the emulator whose provider settings are env.
func HCloudFor(env map[string]string) *hcloud.Client {
	return hcloud.NewClient(
		hcloud.WithEndpoint(env["HCLOUD_ENDPOINT"]),
		hcloud.WithToken(env["HCLOUD_TOKEN"]),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(pollEvery)}),
		hcloud.WithRetryOpts(hcloud.RetryOpts{BackoffFunc: hcloud.ConstantBackoff(pollEvery), MaxRetries: 5}),
		hcloud.WithApplication("crosscloud-simtest", ""),
	)
}

// CreateResourceGroup creates (or updates) a resource group the way a
// user's other tooling would, and returns its ID.
func (i *Instance) CreateResourceGroup(t testing.TB, name, location string) string {
	t.Helper()
	c, err := armresources.NewResourceGroupsClient(i.SubscriptionID(), i.Credential(), i.ARMClientOptions())
	if err != nil {
		t.Fatalf("simtest: resource groups client: %v", err)
	}
	resp, err := c.CreateOrUpdate(context.Background(), name, armresources.ResourceGroup{Location: &location}, nil)
	if err != nil {
		t.Fatalf("simtest: creating resource group %s: %v", name, err)
	}
	return *resp.ID
}

// CreateVNet creates a virtual network with the given address space and
// subnets (name -> prefix, e.g. {"vms": "10.1.1.0/24"}) through the ARM
// API, waits for the operation and returns the VNet ID.
func (i *Instance) CreateVNet(t testing.TB, rg, name, location string, addressSpace []string, subnets map[string]string) string {
	t.Helper()
	c, err := armnetwork.NewVirtualNetworksClient(i.SubscriptionID(), i.Credential(), i.ARMClientOptions())
	if err != nil {
		t.Fatalf("simtest: virtual networks client: %v", err)
	}
	vnet := armnetwork.VirtualNetwork{
		Location: &location,
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: to.SliceOfPtrs(addressSpace...)},
		},
	}
	names := make([]string, 0, len(subnets))
	for n := range subnets {
		names = append(names, n)
	}
	slices.Sort(names) // deterministic request bodies
	for _, n := range names {
		vnet.Properties.Subnets = append(vnet.Properties.Subnets, &armnetwork.Subnet{
			Name:       &n,
			Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new(subnets[n])},
		})
	}
	ctx := context.Background()
	poller, err := c.BeginCreateOrUpdate(ctx, rg, name, vnet, nil)
	if err != nil {
		t.Fatalf("simtest: creating VNet %s/%s: %v", rg, name, err)
	}
	resp, err := poller.PollUntilDone(ctx, PollOptions())
	if err != nil {
		t.Fatalf("simtest: waiting for VNet %s/%s: %v", rg, name, err)
	}
	return *resp.ID
}

// CreateHCloudNetwork creates a Hetzner network with ipRange and one cloud
// subnet in eu-central per subnets entry (CIDRs), as a user's other tooling
// would.
func (i *Instance) CreateHCloudNetwork(t testing.TB, name, ipRange string, subnets ...string) *hcloud.Network {
	t.Helper()
	opts := hcloud.NetworkCreateOpts{Name: name, IPRange: mustCIDR(t, ipRange)}
	for _, s := range subnets {
		opts.Subnets = append(opts.Subnets, hcloud.NetworkSubnet{
			Type:        hcloud.NetworkSubnetTypeCloud,
			IPRange:     mustCIDR(t, s),
			NetworkZone: hcloud.NetworkZoneEUCentral,
		})
	}
	n, _, err := i.HCloud().Network.Create(context.Background(), opts)
	if err != nil {
		t.Fatalf("simtest: creating Hetzner network %s: %v", name, err)
	}
	return n
}

func mustCIDR(t testing.TB, s string) *net.IPNet {
	t.Helper()
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatalf("simtest: %q is not a CIDR: %v", s, err)
	}
	return n
}
