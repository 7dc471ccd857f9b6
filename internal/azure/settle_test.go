package azure_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// slowEnv is env at a time scale where the emulator's short lags (a subnet
// settling, a key change applying) last tens of milliseconds, with a
// one-minute gateway so the test stays fast.
func slowEnv(t *testing.T) (*simtest.Instance, *azure.Client, string) {
	t.Helper()
	return envWith(t, 5*time.Millisecond, simtest.WithTimeScale(0.005), simtest.WithGatewayDuration(time.Minute))
}

// The gateway goes into the GatewaySubnet right after it was created: the
// subnet's operation has Succeeded but subnet and VNet still read Updating,
// and a gateway PUT then would be refused (400 ReferencedResourceNotProvisioned).
func TestGatewayGoesIntoAFreshGatewaySubnet(t *testing.T) {
	sim, c, vnetID := slowEnv(t)
	ctx := context.Background()
	pipID, _, err := c.EnsurePublicIP(ctx, azure.PublicIPSpec{ResourceGroup: rg, Name: "f-vgw-pip", Location: loc, Link: "f", Zones: []string{"1", "2", "3"}})
	if err != nil {
		t.Fatal(err)
	}
	subnetID, created, err := c.EnsureGatewaySubnet(ctx, vnetID, "", netip.MustParsePrefix("10.1.255.0/27"), nil)
	if err != nil || !created {
		t.Fatalf("EnsureGatewaySubnet: %v %v", created, err)
	}
	f, err := armnetwork.NewClientFactory(sim.SubscriptionID(), sim.Credential(), sim.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	sn, err := f.NewSubnetsClient().Get(ctx, rg, "vnet", azure.GatewaySubnetName, nil)
	vn, err2 := f.NewVirtualNetworksClient().Get(ctx, rg, "vnet", nil)
	if err != nil || err2 != nil || *sn.Properties.ProvisioningState != "Succeeded" || *vn.Properties.ProvisioningState != "Succeeded" {
		t.Errorf("EnsureGatewaySubnet returned before subnet and VNet settled: %v %v %v %v", err, err2, sn.Properties, vn.Properties)
	}
	gw, err := c.EnsureGateway(ctx, azure.GatewaySpec{ResourceGroup: rg, Name: "f-vgw", Location: loc, Link: "f",
		SKU: "VpnGw1AZ", SubnetID: subnetID, PublicIPID: pipID}, nil)
	if err != nil || gw.ProvisioningState != azure.StateSucceeded {
		t.Fatalf("EnsureGateway right after the subnet: %+v %v", gw, err)
	}
}
