package azuresim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// After a subnet PUT's operation succeeded, the subnet and its VNet still
// read Updating for a while; a gateway placed in the subnet meanwhile is
// refused with a 400 ReferencedResourceNotProvisioned naming the subnet's
// PutSubnetOperation, and the VNet family stays busy. Then both settle.
func TestFreshSubnetAndItsVNetStayUpdating(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(e *simenv.Env) { e.Clock.Scale = 0.01 }) // settle 10 s -> 100 ms
	f.group("rg")
	v := f.vnet("rg", "vnet", "10.1.0.0/16", subnet("vm", "10.1.1.0/24"))
	pip := f.pip("rg", "pip", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	subnets, vnets := f.net.NewSubnetsClient(), f.net.NewVirtualNetworksClient()
	p, err := subnets.BeginCreateOrUpdate(ctx, "rg", "vnet", "GatewaySubnet", *subnet("GatewaySubnet", "10.1.255.0/27"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if mid, err := vnets.Get(ctx, "rg", "vnet", nil); err != nil || *mid.Properties.ProvisioningState != armnetwork.ProvisioningStateUpdating {
		t.Errorf("VNet during the subnet PUT: %v %v, want Updating", err, mid.Properties)
	}
	res := done(t, p, nil)
	if s := *res.Properties.ProvisioningState; s != armnetwork.ProvisioningStateUpdating {
		t.Errorf("subnet right after its operation Succeeded: %s, want still Updating", s)
	}
	if got, err := vnets.Get(ctx, "rg", "vnet", nil); err != nil || *got.Properties.ProvisioningState != armnetwork.ProvisioningStateUpdating {
		t.Errorf("VNet right after the subnet operation: %v %v, want Updating", err, got.Properties)
	}
	gws := f.net.NewVirtualNetworkGatewaysClient()
	body := gatewayBody("VpnGw1AZ", *v.ID+"/subnets/GatewaySubnet", *pip.ID)
	_, err = gws.BeginCreateOrUpdate(ctx, "rg", "gw", body, nil)
	if code := armCode(t, err); code != "ReferencedResourceNotProvisioned" || status(t, err) != http.StatusBadRequest || !strings.Contains(err.Error(), "PutSubnetOperation") {
		t.Errorf("gateway in the fresh subnet: %d %s (%v), want 400 ReferencedResourceNotProvisioned naming PutSubnetOperation", status(t, err), code, err)
	}
	if _, err := subnets.BeginCreateOrUpdate(ctx, "rg", "vnet", "other", *subnet("other", "10.1.2.0/24"), nil); armCode(t, err) != "AnotherOperationInProgress" {
		t.Errorf("a sibling subnet write while the VNet settles: %v, want AnotherOperationInProgress", err)
	}
	f.eventually("subnet and VNet Succeeded", func() bool {
		sn, err1 := subnets.Get(ctx, "rg", "vnet", "GatewaySubnet", nil)
		vn, err2 := vnets.Get(ctx, "rg", "vnet", nil)
		return err1 == nil && err2 == nil && *sn.Properties.ProvisioningState == armnetwork.ProvisioningStateSucceeded &&
			*vn.Properties.ProvisioningState == armnetwork.ProvisioningStateSucceeded
	})
	if _, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", body, nil); err != nil {
		t.Errorf("gateway once the subnet settled: %v", err)
	}
}
