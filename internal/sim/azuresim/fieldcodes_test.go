package azuresim

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Rules whose codes come from field reports: the SKU must exist in the
// gateway generation, a local network gateway needs prefixes or BGP, and
// saDataSizeKilobytes may be 0.
func TestFieldReportedRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	v := f.vnet("rg", "vnet", "10.1.0.0/16", subnet("GatewaySubnet", "10.1.255.0/27"))
	pip := f.pip("rg", "pip", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	gws := f.net.NewVirtualNetworkGatewaysClient()
	withGen := func(sku armnetwork.VirtualNetworkGatewaySKUName, gen armnetwork.VPNGatewayGeneration) armnetwork.VirtualNetworkGateway {
		b := gatewayBody(sku, *v.ID+"/subnets/GatewaySubnet", *pip.ID)
		if gen != "" {
			b.Properties.VPNGatewayGeneration = new(gen)
		}
		return b
	}
	for name, body := range map[string]armnetwork.VirtualNetworkGateway{
		"VpnGw1AZ as Generation2":    withGen("VpnGw1AZ", armnetwork.VPNGatewayGenerationGeneration2),
		"VpnGw4AZ as Generation1":    withGen("VpnGw4AZ", armnetwork.VPNGatewayGenerationGeneration1),
		"VpnGw5AZ, generation unset": withGen("VpnGw5AZ", ""),
	} {
		t.Run(name, func(t *testing.T) {
			f.t = t
			f.refused("VirtualNetworkGatewaySkuCannotBeCreatedForSpecifiedVmGeneration", func() error {
				_, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", body, nil)
				return err
			})
		})
	}
	f.t = t
	p, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", withGen("VpnGw4AZ", armnetwork.VPNGatewayGenerationGeneration2), nil)
	gw := done(t, p, err)

	lngs := f.net.NewLocalNetworkGatewaysClient()
	f.refused("LocalNetworkGatewayCannotHaveEmptyAddressPrefixAndBgpSettings", func() error {
		_, err := lngs.BeginCreateOrUpdate(ctx, "rg", "empty", lngBody("203.0.113.9"), nil)
		return err
	})
	lp, err := lngs.BeginCreateOrUpdate(ctx, "rg", "lng", lngBody("203.0.113.9", "10.0.1.0/24"), nil)
	lng := done(t, lp, err)
	c := connBody(*gw.ID, *lng.ID, "Secret123")
	c.Properties.IPSecPolicies = ipsecPolicy(func(x *armnetwork.IPSecPolicy) { x.SaDataSizeKilobytes = new(int32(0)) })
	cp, err := f.net.NewVirtualNetworkGatewayConnectionsClient().BeginCreateOrUpdate(ctx, "rg", "conn", c, nil)
	done(t, cp, err)
}
