package labsync

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// The tests that build docs/facts/origin.md through the APIs, as a user's
// tooling and the provider would, share these steps: one place says what
// each side of the topology is made of.

const psk = "labPlaneKey_0123456789"

// must fails the test when a setup step returns an error.
func must(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// createHetznerNetwork creates network "net" (10.0.0.0/12) with the
// gateway subnet 10.0.1.0/24 in eu-central: once it and a VPN gateway
// exist, the lab builds.
func createHetznerNetwork(t *testing.T, ctx context.Context, hc *hcloud.Client) *hcloud.Network {
	t.Helper()
	_, rng, _ := net.ParseCIDR("10.0.0.0/12")
	_, sn, _ := net.ParseCIDR("10.0.1.0/24")
	network, _, err := hc.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: "net", IPRange: rng,
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: sn, NetworkZone: hcloud.NetworkZoneEUCentral}}})
	must(t, err, "network")
	return network
}

// createHetznerGateway creates the Hetzner side: the network, primary IP
// "gw-ipv4", gateway server "gw" booting the cloud-init render returns for
// that address, attached as 10.0.1.1, and the network's route to Azure's
// 10.1.0.0/16 through it. It returns the server's public address.
func (ls *labSim) createHetznerGateway(t *testing.T, ctx context.Context, render func(hz netip.Addr) string) netip.Addr {
	t.Helper()
	hc := ls.hcloud()
	network := createHetznerNetwork(t, ctx, hc)
	pr, _, err := hc.PrimaryIP.Create(ctx, hcloud.PrimaryIPCreateOpts{Name: "gw-ipv4", Type: hcloud.PrimaryIPTypeIPv4,
		AssigneeType: "server", Location: "nbg1", AutoDelete: new(false)})
	must(t, err, "primary IP")
	hzIP := netip.MustParseAddr(pr.PrimaryIP.IP.String())
	created, _, err := hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: "gw", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}, UserData: render(hzIP),
		PublicNet: &hcloud.ServerCreatePublicNet{EnableIPv4: true, IPv4: pr.PrimaryIP}})
	must(t, err, "server")
	must(t, hc.Action.WaitFor(ctx, append(created.NextActions, created.Action)...), "server create")
	act, _, err := hc.Server.AttachToNetwork(ctx, created.Server, hcloud.ServerAttachToNetworkOpts{Network: network, IP: net.ParseIP("10.0.1.1")})
	must(t, err, "attach")
	must(t, hc.Action.WaitFor(ctx, act), "attach")
	_, dst, _ := net.ParseCIDR("10.1.0.0/16")
	act, _, err = hc.Network.AddRoute(ctx, network, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: dst, Gateway: net.ParseIP("10.0.1.1")}})
	must(t, err, "route")
	must(t, hc.Action.WaitFor(ctx, act), "route")
	return hzIP
}

// renderUserData is the gateway's cloud-init as the provider renders it
// for policy p: one tunnel to az[0], and with a second address (an
// active-active Azure gateway) a second tunnel to az[1].
func renderUserData(t *testing.T, hz netip.Addr, p ipsec.Policy, az ...netip.Addr) string {
	t.Helper()
	ike, err := p.IKEProposal()
	if err != nil {
		t.Fatal(err)
	}
	esp, err := p.ESPProposal()
	if err != nil {
		t.Fatal(err)
	}
	g := cloudinit.Gateway{ConnectionName: "link", LocalAddress: hz, RemoteAddress: az[0],
		LocalPrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		IKEProposal: ike, ESPProposal: esp, SharedKey: psk, DPDDelay: 5 * time.Second}
	if len(az) > 1 {
		g.SecondRemoteAddress = az[1]
	}
	ud, err := cloudinit.Render(g)
	if err != nil {
		t.Fatal(err)
	}
	return string(ud)
}

// createGateway creates the Azure side, resource group and VNet with a
// GatewaySubnet (createVNet) and the VPN gateway "vgw" (VpnGw1AZ) on it,
// through the ARM API, each instance behind a zoned public IP
// (an AZ SKU gateway in westeurope needs one): one instance, IP
// configuration "default" behind "vgw-pip", or with activeActive two,
// "default" and "activeActive" (as the provider names them) behind
// "vgw-pip-default" and "vgw-pip-activeActive". It returns the gateway and
// the instances' addresses in instance order.
func (ls *labSim) createGateway(t *testing.T, ctx context.Context, activeActive bool) (armnetwork.VirtualNetworkGatewaysClientCreateOrUpdateResponse, []netip.Addr) {
	t.Helper()
	vnetID := ls.createVNet(t, true)
	factory := ls.azureNetwork(t)
	names, pipName := []string{"default"}, func(string) string { return "vgw-pip" }
	if activeActive {
		names, pipName = []string{"default", "activeActive"}, func(name string) string { return "vgw-pip-" + name }
	}
	var ips []netip.Addr
	var cfgs []*armnetwork.VirtualNetworkGatewayIPConfiguration
	for _, name := range names {
		pp, err := factory.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, rg, pipName(name), armnetwork.PublicIPAddress{Location: new(loc),
			SKU:        &armnetwork.PublicIPAddressSKU{Name: new(armnetwork.PublicIPAddressSKUNameStandard)},
			Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: new(armnetwork.IPAllocationMethodStatic)},
			Zones:      []*string{new("1"), new("2"), new("3")}}, nil)
		must(t, err, "public IP "+pipName(name))
		pip, err := pp.PollUntilDone(ctx, poll)
		must(t, err, "public IP "+pipName(name))
		ips = append(ips, netip.MustParseAddr(*pip.Properties.IPAddress))
		cfgs = append(cfgs, &armnetwork.VirtualNetworkGatewayIPConfiguration{Name: new(name),
			Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
				Subnet: &armnetwork.SubResource{ID: new(vnetID + "/subnets/GatewaySubnet")}, PublicIPAddress: &armnetwork.SubResource{ID: pip.ID}}})
	}
	props := &armnetwork.VirtualNetworkGatewayPropertiesFormat{
		GatewayType: new(armnetwork.VirtualNetworkGatewayTypeVPN), VPNType: new(armnetwork.VPNTypeRouteBased),
		SKU:              &armnetwork.VirtualNetworkGatewaySKU{Name: new(armnetwork.VirtualNetworkGatewaySKUNameVPNGw1AZ)},
		IPConfigurations: cfgs}
	if activeActive {
		props.Active = new(true)
	}
	gp, err := factory.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "vgw", armnetwork.VirtualNetworkGateway{Location: new(loc), Properties: props}, nil)
	must(t, err, "gateway")
	gw, err := gp.PollUntilDone(ctx, poll)
	must(t, err, "gateway")
	return gw, ips
}

// createLocalGateway creates local network gateway "lng" for the Hetzner
// gateway at hz, with its subnet 10.0.1.0/24 behind it, and returns its ID.
func (ls *labSim) createLocalGateway(t *testing.T, ctx context.Context, hz netip.Addr) *string {
	t.Helper()
	lp, err := ls.azureNetwork(t).NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "lng", armnetwork.LocalNetworkGateway{Location: new(loc),
		Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{GatewayIPAddress: new(hz.String()),
			LocalNetworkAddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new("10.0.1.0/24")}}}}, nil)
	must(t, err, "local network gateway")
	lng, err := lp.PollUntilDone(ctx, poll)
	must(t, err, "local network gateway")
	return lng.ID
}

// putConnection creates or updates connection "conn" between the VPN
// gateway gw and the local network gateway lng with policy p, as the
// provider writes it: IPsec over IKEv2, the lab's key, DPD timeout 45 s.
func putConnection(t *testing.T, ctx context.Context, conns *armnetwork.VirtualNetworkGatewayConnectionsClient, gw, lng *string, p ipsec.Policy) {
	t.Helper()
	cp, err := conns.BeginCreateOrUpdate(ctx, rg, "conn", armnetwork.VirtualNetworkGatewayConnection{Location: new(loc),
		Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType: new(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec), ConnectionProtocol: new(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2),
			VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: gw}, LocalNetworkGateway2: &armnetwork.LocalNetworkGateway{ID: lng},
			SharedKey: new(psk), IPSecPolicies: []*armnetwork.IPSecPolicy{p.ToARM()}, DpdTimeoutSeconds: new(int32(45))}}, nil)
	must(t, err, "connection")
	_, err = cp.PollUntilDone(ctx, poll)
	must(t, err, "connection")
}
