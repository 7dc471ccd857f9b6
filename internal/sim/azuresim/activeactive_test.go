package azuresim

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// activeActiveBody is gatewayBody with a second instance: IP configuration
// "activeActive" on pip2 and properties.activeActive set.
func activeActiveBody(sku armnetwork.VirtualNetworkGatewaySKUName, subnetID, pip1, pip2 string) armnetwork.VirtualNetworkGateway {
	b := gatewayBody(sku, subnetID, pip1)
	b.Properties.Active = new(true)
	b.Properties.IPConfigurations = append(b.Properties.IPConfigurations, &armnetwork.VirtualNetworkGatewayIPConfiguration{Name: new("activeActive"),
		Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
			Subnet: &armnetwork.SubResource{ID: new(subnetID)}, PublicIPAddress: &armnetwork.SubResource{ID: new(pip2)}}})
	return b
}

func TestActiveActiveGatewayRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	v := f.vnet("rg", "vnet", "10.1.0.0/16", subnet("GatewaySubnet", "10.1.255.0/27"))
	gwSubnet := *v.ID + "/subnets/GatewaySubnet"
	pip1 := *f.pip("rg", "pip1", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic).ID
	pip2 := *f.pip("rg", "pip2", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic).ID
	basic1 := *f.pip("rg", "basic1", armnetwork.PublicIPAddressSKUNameBasic, armnetwork.IPAllocationMethodDynamic).ID
	basic2 := *f.pip("rg", "basic2", armnetwork.PublicIPAddressSKUNameBasic, armnetwork.IPAllocationMethodDynamic).ID
	zoneless := pipBody(armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	zoneless.Zones = nil
	zp, err := f.net.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, "rg", "zoneless", zoneless, nil)
	regional := *done(t, zp, err).ID

	oneConfig := gatewayBody("VpnGw1AZ", gwSubnet, pip1)
	oneConfig.Properties.Active = new(true)
	sameName := activeActiveBody("VpnGw1AZ", gwSubnet, pip1, pip2)
	sameName.Properties.IPConfigurations[1].Name = new("DEFAULT")
	policyBased := activeActiveBody("VpnGw1AZ", gwSubnet, pip1, pip2)
	policyBased.Properties.VPNType = new(armnetwork.VPNTypePolicyBased)
	twoStandby := activeActiveBody("VpnGw1AZ", gwSubnet, pip1, pip2)
	twoStandby.Properties.Active = new(false)
	gws := f.net.NewVirtualNetworkGatewaysClient()
	for _, tt := range []struct {
		name, code string
		body       armnetwork.VirtualNetworkGateway
	}{
		{"one IP configuration", "ActiveActiveGatewayMustHaveExactlyTwoIpConfigurations", oneConfig},
		{"Basic SKU", "ActiveActiveNotSupportedForGatewaySku", activeActiveBody("Basic", gwSubnet, basic1, basic2)},
		{"policy based", "ActiveActiveNotSupportedForPolicyBasedGateway", policyBased},
		{"one public IP for both instances", "PublicIPAddressInUse", activeActiveBody("VpnGw1AZ", gwSubnet, pip1, pip1)},
		{"one name for both instances", "InvalidRequestFormat", sameName},
		{"second IP without zones in a zoned region", "VmssVpnGatewayPublicIpsMustHaveZonesConfigured", activeActiveBody("VpnGw1AZ", gwSubnet, pip1, regional)},
		{"second IP is Basic", "BasicSkuPublicIpNotAllowedForVpnGateway", activeActiveBody("VpnGw1AZ", gwSubnet, pip1, basic1)},
		{"two IP configurations, active-standby", "InvalidRequestFormat", twoStandby},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refused(tt.code, func() error { _, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", tt.body, nil); return err })
		})
	}
	f.t = t

	p, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", activeActiveBody("VpnGw1AZ", gwSubnet, pip1, pip2), nil)
	gw := done(t, p, err)
	if !deref(gw.Properties.Active) || len(gw.Properties.IPConfigurations) != 2 {
		t.Fatalf("active-active gateway read back as %+v", gw.Properties)
	}
	// One BGP address per instance, in IP configuration order, after the
	// four addresses Azure reserves; each instance lists its public IP.
	bgp := gw.Properties.BgpSettings
	if got := deref(bgp.BgpPeeringAddress); got != "10.1.255.4,10.1.255.5" {
		t.Errorf("bgpPeeringAddress %q, want 10.1.255.4,10.1.255.5", got)
	}
	pips := f.net.NewPublicIPAddressesClient()
	for i, name := range []string{"pip1", "pip2"} {
		pip, err := pips.Get(ctx, "rg", name, nil)
		if err != nil {
			t.Fatal(err)
		}
		entry := bgp.BgpPeeringAddresses[i]
		if !ieq(deref(entry.IPConfigurationID), deref(gw.Properties.IPConfigurations[i].ID)) ||
			len(entry.TunnelIPAddresses) != 1 || *entry.TunnelIPAddresses[0] != *pip.Properties.IPAddress {
			t.Errorf("bgpPeeringAddresses[%d] = %+v, want IP configuration %s with tunnel address %s", i, entry, deref(gw.Properties.IPConfigurations[i].ID), *pip.Properties.IPAddress)
		}
		if pip.Properties.IPConfiguration == nil || !ieq(*pip.Properties.IPConfiguration.ID, deref(gw.Properties.IPConfigurations[i].ID)) {
			t.Errorf("%s is held by %+v, want %s", name, pip.Properties.IPConfiguration, deref(gw.Properties.IPConfigurations[i].ID))
		}
		f.refused("PublicIPAddressCannotBeDeleted", func() error { _, err := pips.BeginDelete(ctx, "rg", name, nil); return err })
	}
}

// An existing gateway changes mode in place (MD
// vpn-gateway-activeactive-rm-powershell.md, "Update an existing VPN
// gateway"): the second public IP joins, and is free again once the gateway
// is back to active-standby.
func TestGatewayTogglesActiveActiveInPlace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	st := f.stack("rg", "VpnGw1AZ")
	pip2 := f.pip("rg", "pip2", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	gws := f.net.NewVirtualNetworkGatewaysClient()
	before, err := gws.Get(ctx, "rg", "gw", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", activeActiveBody("VpnGw1AZ", st.gwSubnetID, st.pipID, *pip2.ID), nil)
	aa := done(t, p, err)
	if !deref(aa.Properties.Active) || len(aa.Properties.IPConfigurations) != 2 || deref(aa.Properties.ResourceGUID) != deref(before.Properties.ResourceGUID) {
		t.Fatalf("after enabling: active=%v configs=%d guid %s (was %s)", deref(aa.Properties.Active), len(aa.Properties.IPConfigurations),
			deref(aa.Properties.ResourceGUID), deref(before.Properties.ResourceGUID))
	}
	p, err = gws.BeginCreateOrUpdate(ctx, "rg", "gw", gatewayBody("VpnGw1AZ", st.gwSubnetID, st.pipID), nil)
	standby := done(t, p, err)
	if deref(standby.Properties.Active) || len(standby.Properties.IPConfigurations) != 1 || strings.Contains(deref(standby.Properties.BgpSettings.BgpPeeringAddress), ",") {
		t.Fatalf("after disabling: %+v", standby.Properties)
	}
	dp, err := f.net.NewPublicIPAddressesClient().BeginDelete(ctx, "rg", "pip2", nil)
	done(t, dp, err)
}

// A connection to an active-active gateway reports a tunnel per instance;
// with the lab, only the first instance has a charon behind it.
func TestActiveActiveConnectionReportsEachTunnel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name         string
		status       simenv.ConnectionStatusSource
		first, other armnetwork.VirtualNetworkGatewayConnectionStatus
		firstIngress int64
	}{
		{"API-only rule", nil, "Connected", "Connected", 0},
		{"lab says Connected", fakeStatus{simenv.ConnectionStatus{Status: "Connected", IngressBytes: 42, EgressBytes: 7}}, "Connected", "NotConnected", 42},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(e *simenv.Env) { e.Status = tt.status })
			st := f.stack("rg", "VpnGw1AZ")
			pip2 := f.pip("rg", "pip2", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
			gws := f.net.NewVirtualNetworkGatewaysClient()
			p, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", activeActiveBody("VpnGw1AZ", st.gwSubnetID, st.pipID, *pip2.ID), nil)
			done(t, p, err)
			f.connect(st, "conn", "Secret123")
			got, err := f.net.NewVirtualNetworkGatewayConnectionsClient().Get(ctx, "rg", "conn", nil)
			if err != nil {
				t.Fatal(err)
			}
			pip1, err := f.net.NewPublicIPAddressesClient().Get(ctx, "rg", "gw-pip", nil)
			if err != nil {
				t.Fatal(err)
			}
			tunnels := got.Properties.TunnelConnectionStatus
			if len(tunnels) != 2 {
				t.Fatalf("%d tunnels, want 2: %+v", len(tunnels), tunnels)
			}
			for i, want := range []struct {
				addr   string
				status armnetwork.VirtualNetworkGatewayConnectionStatus
			}{{*pip1.Properties.IPAddress, tt.first}, {*pip2.Properties.IPAddress, tt.other}} {
				if name := deref(tunnels[i].Tunnel); name != "203.0.113.10_"+want.addr || deref(tunnels[i].ConnectionStatus) != want.status {
					t.Errorf("tunnel %d: %s %s, want 203.0.113.10_%s %s", i, name, deref(tunnels[i].ConnectionStatus), want.addr, want.status)
				}
			}
			if in := deref(tunnels[0].IngressBytesTransferred); in != tt.firstIngress {
				t.Errorf("first tunnel ingress %d, want %d", in, tt.firstIngress)
			}
		})
	}
}

// An active-standby gateway's connection lists no tunnels.
func TestActiveStandbyConnectionHasNoTunnelList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	st := f.stack("rg", "VpnGw1AZ")
	f.connect(st, "conn", "Secret123")
	got, err := f.net.NewVirtualNetworkGatewayConnectionsClient().Get(ctx, "rg", "conn", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Properties.TunnelConnectionStatus != nil {
		t.Errorf("tunnelConnectionStatus %+v, want none", got.Properties.TunnelConnectionStatus)
	}
}
