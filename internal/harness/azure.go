package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// AzureSeed is the part of Azure a user already has before adding a link:
// a resource group and a VNet with workload subnets. The link creates the
// GatewaySubnet itself.
type AzureSeed struct {
	ResourceGroup string
	Location      string
	VNet          string
	AddressSpace  []string
	// Subnets maps subnet name to prefix.
	Subnets map[string]string
}

// staticToken hands the emulator's bearer token to the ARM clients: the
// emulator accepts exactly that token and has no identity service.
type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

// armOptions point ARM clients at the emulator's Resource Manager endpoint
// over plain HTTP on loopback. azcore's default retry policy stays on, so
// seeding survives the faults a chaos run injects (500, 429, dropped
// connections), as a user's tooling would.
func armOptions(sim *Sim) *arm.ClientOptions {
	return &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud: cloud.Configuration{
				ActiveDirectoryAuthorityHost: "https://login.microsoftonline.com/",
				Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
					cloud.ResourceManager: {Endpoint: sim.Env["ARM_RESOURCE_MANAGER_ENDPOINT"], Audience: "https://management.core.windows.net/"},
				},
			},
			InsecureAllowCredentialWithHTTP: true,
			Retry:                           policy.RetryOptions{MaxRetries: 10, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 2 * time.Second},
		},
		DisableRPRegistration: true,
	}
}

// SeedAzure creates the resource group and the VNet through ARM, the way a
// user's other tooling would, and returns the VNet's ID (what a link's
// azure.virtual_network_id takes). It is idempotent (ARM PUTs).
func SeedAzure(ctx context.Context, sim *Sim, seed AzureSeed) (string, error) {
	cred, sub, opts := staticToken(sim.Env["ARM_ACCESS_TOKEN"]), sim.Env["ARM_SUBSCRIPTION_ID"], armOptions(sim)
	groups, err := armresources.NewResourceGroupsClient(sub, cred, opts)
	if err != nil {
		return "", err
	}
	if _, err := groups.CreateOrUpdate(ctx, seed.ResourceGroup, armresources.ResourceGroup{Location: to.Ptr(seed.Location)}, nil); err != nil {
		return "", fmt.Errorf("creating resource group %s: %w", seed.ResourceGroup, err)
	}
	vnets, err := armnetwork.NewVirtualNetworksClient(sub, cred, opts)
	if err != nil {
		return "", err
	}
	vnet := armnetwork.VirtualNetwork{
		Location: to.Ptr(seed.Location),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: to.SliceOfPtrs(seed.AddressSpace...)},
		},
	}
	for name, prefix := range seed.Subnets {
		vnet.Properties.Subnets = append(vnet.Properties.Subnets, &armnetwork.Subnet{
			Name: to.Ptr(name), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: to.Ptr(prefix)},
		})
	}
	poller, err := vnets.BeginCreateOrUpdate(ctx, seed.ResourceGroup, seed.VNet, vnet, nil)
	if err != nil {
		return "", fmt.Errorf("creating virtual network %s: %w", seed.VNet, err)
	}
	res, err := poller.PollUntilDone(ctx, &runtime.PollUntilDoneOptions{Frequency: time.Second})
	if err != nil {
		return "", fmt.Errorf("waiting for virtual network %s: %w", seed.VNet, err)
	}
	return *res.ID, nil
}
