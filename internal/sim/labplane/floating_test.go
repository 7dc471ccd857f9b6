package labplane

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// TestLabFollowsFloatingIPActions: when the Hetzner API assigns a Floating
// IP, or moves it to another server, the lab routes it to that server's
// namespace; a failover agent that calls the API therefore moves real
// traffic.
func TestLabFollowsFloatingIPActions(t *testing.T) {
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ls := startLabSim(t, "f")
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// The lab builds once a VPN gateway and a Hetzner network exist.
	vnetID := ls.createVNet(t, true)
	cred, opts := ls.arm()
	factory, err := armnetwork.NewClientFactory(ls.env["ARM_SUBSCRIPTION_ID"], cred, opts)
	must(err, "armnetwork")
	pp, err := factory.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, rg, "vgw-pip", armnetwork.PublicIPAddress{Location: new(loc),
		SKU:        &armnetwork.PublicIPAddressSKU{Name: new(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: new(armnetwork.IPAllocationMethodStatic)}}, nil)
	must(err, "public IP")
	pip, err := pp.PollUntilDone(ctx, poll)
	must(err, "public IP")
	gp, err := factory.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "vgw", armnetwork.VirtualNetworkGateway{Location: new(loc),
		Properties: &armnetwork.VirtualNetworkGatewayPropertiesFormat{
			GatewayType: new(armnetwork.VirtualNetworkGatewayTypeVPN), VPNType: new(armnetwork.VPNTypeRouteBased),
			SKU: &armnetwork.VirtualNetworkGatewaySKU{Name: new(armnetwork.VirtualNetworkGatewaySKUNameVPNGw1AZ)},
			IPConfigurations: []*armnetwork.VirtualNetworkGatewayIPConfiguration{{Name: new("default"),
				Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
					Subnet: &armnetwork.SubResource{ID: new(vnetID + "/subnets/GatewaySubnet")}, PublicIPAddress: &armnetwork.SubResource{ID: pip.ID}}}},
		}}, nil)
	must(err, "gateway")
	_, err = gp.PollUntilDone(ctx, poll)
	must(err, "gateway")

	hc := ls.hcloud()
	_, rng, _ := net.ParseCIDR("10.0.0.0/12")
	_, sn, _ := net.ParseCIDR("10.0.1.0/24")
	_, _, err = hc.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: "net", IPRange: rng,
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: sn, NetworkZone: hcloud.NetworkZoneEUCentral}}})
	must(err, "network")
	server := func(name, location string) *hcloud.Server {
		res, _, err := hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: name, ServerType: &hcloud.ServerType{Name: "cpx22"},
			Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: location}})
		must(err, "server "+name)
		must(hc.Action.WaitFor(ctx, append(res.NextActions, res.Action)...), "server "+name)
		return res.Server
	}
	a, b := server("gw-a", "nbg1"), server("gw-b", "fsn1")

	fres, _, err := hc.FloatingIP.Create(ctx, hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4, Server: a, Name: new("vip")})
	must(err, "Floating IP")
	must(hc.Action.WaitFor(ctx, fres.Action), "Floating IP assign")
	fip := netip.MustParseAddr(fres.FloatingIP.IP.String())
	holder := func() string {
		if l := ls.plane.Lab(); l != nil {
			return l.FloatingIPHolder(fip)
		}
		return ""
	}
	eventually(t, time.Minute, "the lab routing "+fip.String()+" to gw-a", func() bool { return holder() == "gw-a" })

	act, _, err := hc.FloatingIP.Assign(ctx, fres.FloatingIP, b)
	must(err, "move")
	must(hc.Action.WaitFor(ctx, act), "move")
	eventually(t, time.Minute, "the lab routing "+fip.String()+" to gw-b", func() bool { return holder() == "gw-b" })

	act, _, err = hc.FloatingIP.Unassign(ctx, fres.FloatingIP)
	must(err, "unassign")
	must(hc.Action.WaitFor(ctx, act), "unassign")
	eventually(t, time.Minute, "the lab dropping "+fip.String(), func() bool { return holder() == "" })
}
