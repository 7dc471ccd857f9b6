package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sdkopts"
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

// armOptions are ARM client options for the emulator: its loopback
// endpoint (plain http allowed there), retries at test speed, no resource
// provider registration (the emulator has nothing to register).
func armOptions(sim *Sim) *arm.ClientOptions {
	return sdkopts.ARM{Endpoint: sim.Env["ARM_RESOURCE_MANAGER_ENDPOINT"], DisableRPRegistration: true,
		Retry: policy.RetryOptions{MaxRetries: 10, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 2 * time.Second}}.Options()
}

// SeedAzure creates the resource group and the VNet through ARM, the way a
// user's other tooling would, and returns the VNet's ID (what a link's
// azure.virtual_network_id takes). It is idempotent (ARM PUTs).
func SeedAzure(ctx context.Context, sim *Sim, seed AzureSeed) (string, error) {
	cred, sub, opts := sdkopts.NewStaticToken(sim.Env["ARM_ACCESS_TOKEN"]), sim.Env["ARM_SUBSCRIPTION_ID"], armOptions(sim)
	groups, err := armresources.NewResourceGroupsClient(sub, cred, opts)
	if err != nil {
		return "", err
	}
	if _, err := groups.CreateOrUpdate(ctx, seed.ResourceGroup, armresources.ResourceGroup{Location: new(seed.Location)}, nil); err != nil {
		return "", fmt.Errorf("creating resource group %s: %w", seed.ResourceGroup, err)
	}
	vnets, err := armnetwork.NewVirtualNetworksClient(sub, cred, opts)
	if err != nil {
		return "", err
	}
	vnet := armnetwork.VirtualNetwork{
		Location: new(seed.Location),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: to.SliceOfPtrs(seed.AddressSpace...)},
		},
	}
	for name, prefix := range seed.Subnets {
		vnet.Properties.Subnets = append(vnet.Properties.Subnets, &armnetwork.Subnet{
			Name: new(name), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new(prefix)},
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
