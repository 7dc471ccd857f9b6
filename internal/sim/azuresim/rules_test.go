package azuresim

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// refused asserts that a Begin* call was refused synchronously with code and
// that it changed nothing (no mutation counted).
func (f *fixture) refused(code string, call func() error) {
	f.t.Helper()
	before := f.env.Stats.Snapshot().MutationsTotal
	err := call()
	if err == nil {
		f.t.Fatalf("accepted; want %s", code)
	}
	if got := armCode(f.t, err); got != code {
		f.t.Errorf("code %q (%v), want %q", got, err, code)
	}
	if after := f.env.Stats.Snapshot().MutationsTotal; after != before {
		f.t.Errorf("refused request counted %d mutations", after-before)
	}
}

func TestGatewayRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	v := f.vnet("rg", "vnet", "10.1.0.0/16",
		subnet("GatewaySubnet", "10.1.255.0/27"), subnet("gatewaysubnet2", "10.1.254.0/27"))
	tiny := f.vnet("rg", "tiny", "10.9.0.0/16", subnet("GatewaySubnet", "10.9.0.0/30"))
	std := *f.pip("rg", "std", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic).ID
	basic := *f.pip("rg", "basic", armnetwork.PublicIPAddressSKUNameBasic, armnetwork.IPAllocationMethodDynamic).ID
	gwSubnet := *v.ID + "/subnets/GatewaySubnet"
	gws := f.net.NewVirtualNetworkGatewaysClient()
	tests := []struct {
		name, code string
		body       armnetwork.VirtualNetworkGateway
	}{
		{"subnet not named GatewaySubnet", "GatewaySubnetNameInvalid", gatewayBody("VpnGw1AZ", *v.ID+"/subnets/gatewaysubnet2", std)},
		{"gateway subnet smaller than /29", "GatewaySubnetTooSmall", gatewayBody("VpnGw1AZ", *tiny.ID+"/subnets/GatewaySubnet", std)},
		{"basic public IP on VpnGw1AZ", "BasicSkuPublicIpNotAllowedForVpnGateway", gatewayBody("VpnGw1AZ", gwSubnet, basic)},
		{"new non-AZ VpnGw1", "NonAzSkusNotAllowedForVPNGateway", gatewayBody("VpnGw1", gwSubnet, std)},
		{"missing public IP", "InvalidResourceReference", gatewayBody("VpnGw1AZ", gwSubnet, strings.Replace(std, "/std", "/nope", 1))},
		{"missing subnet", "InvalidResourceReference", gatewayBody("VpnGw1AZ", *v.ID+"/subnets/nope", std)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refused(tt.code, func() error { _, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", tt.body, nil); return err })
		})
	}
	f.t = t
	// A /29 GatewaySubnet is the smallest accepted.
	f.vnet("rg", "vnet29", "10.2.0.0/16", subnet("GatewaySubnet", "10.2.255.0/29"))
	pip2 := *f.pip("rg", "std2", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic).ID
	p, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw29", gatewayBody("VpnGw1AZ", strings.Replace(gwSubnet, "/vnet/", "/vnet29/", 1), pip2), nil)
	done(t, p, err)
}

func TestGatewayMissingResourceGroupIs404(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, err := f.net.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, "nope", "gw", gatewayBody("VpnGw1AZ", "/x", "/y"), nil)
	if code := armCode(t, err); code != "ResourceGroupNotFound" {
		t.Errorf("code %s, want ResourceGroupNotFound", code)
	}
}

func TestSubnetRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	f.vnet("rg", "vnet", "10.1.0.0/16", subnet("a", "10.1.1.0/24"))
	subnets := f.net.NewSubnetsClient()
	nsg := subnet("GatewaySubnet", "10.1.255.0/27")
	nsg.Properties.NetworkSecurityGroup = &armnetwork.SecurityGroup{ID: new("/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg")}
	tests := []struct {
		name, subnet, code string
		body               *armnetwork.Subnet
	}{
		{"outside the VNet", "b", "NetcfgSubnetRangeOutsideVnet", subnet("b", "10.2.0.0/24")},
		{"overlapping a sibling", "b", "NetcfgSubnetRangesOverlap", subnet("b", "10.1.1.128/25")},
		{"not canonical", "b", "InvalidCIDRNotation", subnet("b", "10.1.2.1/24")},
		{"NSG on GatewaySubnet", "GatewaySubnet", "NetworkSecurityGroupCannotBeAttachedToGatewaySubnet", nsg},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refused(tt.code, func() error {
				_, err := subnets.BeginCreateOrUpdate(ctx, "rg", "vnet", tt.subnet, *tt.body, nil)
				return err
			})
		})
	}
	f.t = t
	t.Run("inline subnets are checked too", func(t *testing.T) {
		f.t = t
		f.refused("NetcfgSubnetRangesOverlap", func() error {
			_, err := f.net.NewVirtualNetworksClient().BeginCreateOrUpdate(ctx, "rg", "v2",
				vnetBody("10.3.0.0/16", subnet("x", "10.3.0.0/24"), subnet("y", "10.3.0.0/25")), nil)
			return err
		})
	})
	f.t = t
	p, err := subnets.BeginCreateOrUpdate(ctx, "rg", "vnet", "b", *subnet("b", "10.1.2.0/24"), nil)
	done(t, p, err)
	// The subnet reads Updating a little longer (subnets_test.go), then Succeeded.
	f.eventually("valid subnet Succeeded", func() bool {
		got, err := subnets.Get(ctx, "rg", "vnet", "b", nil)
		return err == nil && *got.Properties.ProvisioningState == armnetwork.ProvisioningStateSucceeded
	})
}

func TestInUseResourcesAreNotDeletable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	st := f.stack("rg", "VpnGw1AZ")
	f.connect(st, "conn", "Secret123")
	net := f.net
	tests := []struct {
		name, code string
		call       func() error
	}{
		{"gateway with a connection", "VirtualNetworkGatewayCannotBeDeleted", func() error {
			_, err := net.NewVirtualNetworkGatewaysClient().BeginDelete(ctx, "rg", "gw", nil)
			return err
		}},
		{"local gateway with a connection", "InUseLocalNetworkGatewayCannotBeDeleted", func() error {
			_, err := net.NewLocalNetworkGatewaysClient().BeginDelete(ctx, "rg", "hetzner", nil)
			return err
		}},
		{"VNet whose GatewaySubnet holds a gateway", "InUseSubnetCannotBeDeleted", func() error {
			_, err := net.NewVirtualNetworksClient().BeginDelete(ctx, "rg", "vnet", nil)
			return err
		}},
		{"GatewaySubnet holding a gateway", "InUseSubnetCannotBeDeleted", func() error {
			_, err := net.NewSubnetsClient().BeginDelete(ctx, "rg", "vnet", "GatewaySubnet", nil)
			return err
		}},
		{"VNet update dropping the GatewaySubnet", "InUseSubnetCannotBeDeleted", func() error {
			_, err := net.NewVirtualNetworksClient().BeginCreateOrUpdate(ctx, "rg", "vnet", vnetBody("10.1.0.0/16"), nil)
			return err
		}},
		{"public IP of a gateway", "PublicIPAddressCannotBeDeleted", func() error {
			_, err := net.NewPublicIPAddressesClient().BeginDelete(ctx, "rg", "gw-pip", nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refused(tt.code, tt.call)
		})
	}
	f.t = t
	// Deleting in dependency order works.
	p1, err := net.NewVirtualNetworkGatewayConnectionsClient().BeginDelete(ctx, "rg", "conn", nil)
	done(t, p1, err)
	p2, err := net.NewVirtualNetworkGatewaysClient().BeginDelete(ctx, "rg", "gw", nil)
	done(t, p2, err)
	p3, err := net.NewPublicIPAddressesClient().BeginDelete(ctx, "rg", "gw-pip", nil)
	done(t, p3, err)
	p4, err := net.NewVirtualNetworksClient().BeginDelete(ctx, "rg", "vnet", nil)
	done(t, p4, err)
}

func TestLocalGatewayNeedsAnAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	lngs := f.net.NewLocalNetworkGatewaysClient()
	for name, body := range map[string]armnetwork.LocalNetworkGateway{
		"LocalNetworkGatewayAddressRequired":  lngBody("", "10.0.1.0/24"),
		"InvalidLocalNetworkGatewayIpAddress": lngBody("not-an-ip", "10.0.1.0/24"),
		"InvalidCIDRNotation":                 lngBody("203.0.113.1", "10.0.1.7/24"),
	} {
		t.Run(name, func(t *testing.T) {
			f.t = t
			f.refused(name, func() error { _, err := lngs.BeginCreateOrUpdate(ctx, "rg", "lng", body, nil); return err })
		})
	}
	f.t = t
	fqdn := lngBody("", "10.0.1.0/24")
	fqdn.Properties.Fqdn = new("vpn.example.org")
	p, err := lngs.BeginCreateOrUpdate(ctx, "rg", "lng", fqdn, nil)
	done(t, p, err)
}
