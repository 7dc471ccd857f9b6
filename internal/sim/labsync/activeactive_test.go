package labsync

import (
	"context"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// TestLabAzureInstanceFailover builds an active-active Azure gateway (two
// instances, two public IPs) and a gateway server whose cloud-init, as the
// provider renders it with SecondRemoteAddress, keeps a tunnel to each.
// Both tunnels must come up (tunnelConnectionStatus, one per instance, from
// the lab's two Azure charons); then the first instance's charon stops and
// the test measures, with TCP exchanges every 100 ms from a Hetzner host to
// an Azure host, how long traffic stops until the second tunnel carries it.
//
// CC_AZURE_INSTANCE_FAILURE=crash kills the instance instead (SIGKILL: no
// IKE DELETE, so the gateway learns of it by dead peer detection only);
// the default, stop, is a graceful shutdown that deletes its SAs.
func TestLabAzureInstanceFailover(t *testing.T) {
	requireLab(t)
	mode := os.Getenv("CC_AZURE_INSTANCE_FAILURE")
	if mode == "" {
		mode = "stop"
	}
	if mode != "stop" && mode != "crash" {
		t.Fatalf("CC_AZURE_INSTANCE_FAILURE=%q: use stop or crash", mode)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ls := startLabSim(t, "i")
	cred, opts := ls.arm()
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	vnetID := ls.createVNet(t, true)
	factory, err := armnetwork.NewClientFactory(ls.env["ARM_SUBSCRIPTION_ID"], cred, opts)
	must(err, "armnetwork")
	gw, azIPs := ls.createActiveActiveGateway(t, ctx, factory, vnetID)

	hc := ls.hcloud()
	_, rng, _ := net.ParseCIDR("10.0.0.0/12")
	_, sn, _ := net.ParseCIDR("10.0.1.0/24")
	network, _, err := hc.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: "net", IPRange: rng,
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: sn, NetworkZone: hcloud.NetworkZoneEUCentral}}})
	must(err, "network")
	pr, _, err := hc.PrimaryIP.Create(ctx, hcloud.PrimaryIPCreateOpts{Name: "gw-ipv4", Type: hcloud.PrimaryIPTypeIPv4,
		AssigneeType: "server", Location: "nbg1", AutoDelete: new(false)})
	must(err, "primary IP")
	hzIP := netip.MustParseAddr(pr.PrimaryIP.IP.String())
	ud := renderTwoTunnelUserData(t, hzIP, azIPs)
	created, _, err := hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: "gw", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}, UserData: ud,
		PublicNet: &hcloud.ServerCreatePublicNet{EnableIPv4: true, IPv4: pr.PrimaryIP}})
	must(err, "server")
	must(hc.Action.WaitFor(ctx, append(created.NextActions, created.Action)...), "server create")
	act, _, err := hc.Server.AttachToNetwork(ctx, created.Server, hcloud.ServerAttachToNetworkOpts{Network: network, IP: net.ParseIP("10.0.1.1")})
	must(err, "attach")
	must(hc.Action.WaitFor(ctx, act), "attach")
	_, dst, _ := net.ParseCIDR("10.1.0.0/16")
	act, _, err = hc.Network.AddRoute(ctx, network, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: dst, Gateway: net.ParseIP("10.0.1.1")}})
	must(err, "route")
	must(hc.Action.WaitFor(ctx, act), "route")
	ls.waitImage(t)

	lp, err := factory.NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "lng", armnetwork.LocalNetworkGateway{Location: new(loc),
		Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{GatewayIPAddress: new(hzIP.String()),
			LocalNetworkAddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new("10.0.1.0/24")}}}}, nil)
	must(err, "local network gateway")
	lng, err := lp.PollUntilDone(ctx, poll)
	must(err, "local network gateway")
	conns := factory.NewVirtualNetworkGatewayConnectionsClient()
	cp, err := conns.BeginCreateOrUpdate(ctx, rg, "conn", armnetwork.VirtualNetworkGatewayConnection{Location: new(loc),
		Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType: new(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec), ConnectionProtocol: new(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2),
			VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: gw.ID}, LocalNetworkGateway2: &armnetwork.LocalNetworkGateway{ID: lng.ID},
			SharedKey: new(psk), IPSecPolicies: []*armnetwork.IPSecPolicy{ipsec.DefaultPolicy().ToARM()}, DpdTimeoutSeconds: new(int32(45))}}, nil)
	must(err, "connection")
	_, err = cp.PollUntilDone(ctx, poll)
	must(err, "connection")

	// tunnels is tunnelConnectionStatus as a client reads it: the status
	// and ingress bytes of each instance's tunnel, first instance first.
	tunnels := func() (status [2]string, in [2]int64) {
		c, err := conns.Get(ctx, rg, "conn", nil)
		must(err, "GET connection")
		for i, tun := range c.Properties.TunnelConnectionStatus {
			if i < 2 && tun != nil {
				status[i], in[i] = string(deref(tun.ConnectionStatus)), deref(tun.IngressBytesTransferred)
			}
		}
		return status, in
	}
	both := func() bool { s, _ := tunnels(); return s == [2]string{"Connected", "Connected"} }
	eventually(t, bootLimit, "both instances' tunnels Connected", both)
	ls.waitBooted(t, "gw", 1, bootLimit)
	hzProbe, azProbe := ls.probe(t, "10.0.1.0/24"), ls.probe(t, "10.1.1.0/24")
	eventually(t, 2*time.Minute, "traffic through the tunnels", func() bool {
		_, ok := ping(hzProbe.Name, azProbe.IP)
		return ok
	})

	// A real gateway (kernel-netlink) sends through the first tunnel while
	// it exists: the second child's fixed priority makes it the fallback.
	// The lab's kernel-libipsec ignores that priority and sends through the
	// newest CHILD_SA (docs/facts/strongswan-and-lab.md, "Two tunnels with
	// one set of selectors"), so the first tunnel's child is rekeyed to be
	// the newest, and the test checks it is the one carrying the traffic
	// before that instance goes away.
	m, found := ls.plane.Lab().Gateway("gw")
	if !found {
		t.Fatal("server gw has no machine")
	}
	if out, err := m.Exec(ctx, "swanctl", "--rekey", "--child", "link"); err != nil {
		t.Fatalf("rekeying the first tunnel's CHILD_SA: %v\n%s", err, out)
	}
	traffic, err := harness.StartTraffic(ctx, hzProbe.Name, azProbe.Name, azProbe.IP, 5004, 100*time.Millisecond, time.Second)
	must(err, "starting the traffic probe")
	defer traffic.Stop()
	// growth is how many bytes each instance received in one second. A
	// few stray packets (a ping from before the rekey) may still show on
	// the other tunnel, so "carries" means ten times more.
	growth := func() (d [2]int64) {
		_, a := tunnels()
		time.Sleep(time.Second)
		_, b := tunnels()
		return [2]int64{b[0] - a[0], b[1] - a[1]}
	}
	eventually(t, 20*time.Second, "the exchanges crossing the first tunnel", func() bool {
		d := growth()
		return d[0] > 0 && d[0] >= 10*d[1]
	})
	first := ls.plane.Lab().AzureInstance(0)
	if first == nil || !first.Running() {
		t.Fatal("the lab runs no charon for the Azure gateway's first instance")
	}
	stoppedAt := time.Now()
	if mode == "crash" {
		first.Kill()
	} else {
		first.Stop()
	}
	// A crash is noticed by DPD only: dpd_delay (5 s here) plus charon's
	// retransmissions, 165 s with Debian's defaults.
	eventually(t, 5*time.Minute, "traffic delivered after the first instance went away", func() bool {
		ok, _ := traffic.Delivered()
		return len(ok) > 0 && ok[len(ok)-1].After(stoppedAt.Add(time.Second))
	})
	time.Sleep(3 * time.Second)
	traffic.Stop()
	ok, failed := traffic.Delivered()
	failover, _ := harness.LongestGap(ok, stoppedAt)

	status, _ := tunnels()
	if status != [2]string{"NotConnected", "Connected"} {
		t.Errorf("tunnelConnectionStatus after the first instance %s = %v, want [NotConnected Connected]", mode, status)
	}
	// The exchanges after the failure cross the second tunnel: Azure's
	// second instance counts them as ingress.
	traffic2, err := harness.StartTraffic(ctx, hzProbe.Name, azProbe.Name, azProbe.IP, 5005, 100*time.Millisecond, time.Second)
	must(err, "restarting the traffic probe")
	defer traffic2.Stop()
	eventually(t, 20*time.Second, "the exchanges crossing the second tunnel", func() bool {
		d := growth()
		return d[1] > 0 && d[0] == 0
	})
	t.Logf("azure_instance_failover_seconds=%.1f (first Azure instance %s: the longest run without a TCP exchange from %s to %s; %d exchanges failed)",
		failover.Seconds(), map[string]string{"stop": "stopped", "crash": "killed"}[mode], hzProbe.Name, azProbe.IP, failed)
}

// createActiveActiveGateway creates two zoned public IPs and an
// active-active VpnGw1AZ gateway with IP configurations "default" and
// "activeActive" (as the provider names them), and returns the gateway and
// both instances' addresses in instance order.
func (ls *labSim) createActiveActiveGateway(t *testing.T, ctx context.Context, factory *armnetwork.ClientFactory, vnetID string) (armnetwork.VirtualNetworkGatewaysClientCreateOrUpdateResponse, [2]netip.Addr) {
	t.Helper()
	var ips [2]netip.Addr
	var cfgs []*armnetwork.VirtualNetworkGatewayIPConfiguration
	for i, name := range []string{"default", "activeActive"} {
		pp, err := factory.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, rg, "vgw-pip-"+name, armnetwork.PublicIPAddress{Location: new(loc),
			SKU:        &armnetwork.PublicIPAddressSKU{Name: new(armnetwork.PublicIPAddressSKUNameStandard)},
			Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: new(armnetwork.IPAllocationMethodStatic)},
			Zones:      []*string{new("1"), new("2"), new("3")}}, nil)
		if err != nil {
			t.Fatalf("public IP %s: %v", name, err)
		}
		pip, err := pp.PollUntilDone(ctx, poll)
		if err != nil {
			t.Fatalf("public IP %s: %v", name, err)
		}
		ips[i] = netip.MustParseAddr(*pip.Properties.IPAddress)
		cfgs = append(cfgs, &armnetwork.VirtualNetworkGatewayIPConfiguration{Name: new(name),
			Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
				Subnet: &armnetwork.SubResource{ID: new(vnetID + "/subnets/GatewaySubnet")}, PublicIPAddress: &armnetwork.SubResource{ID: pip.ID}}})
	}
	gp, err := factory.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "vgw", armnetwork.VirtualNetworkGateway{Location: new(loc),
		Properties: &armnetwork.VirtualNetworkGatewayPropertiesFormat{
			GatewayType: new(armnetwork.VirtualNetworkGatewayTypeVPN), VPNType: new(armnetwork.VPNTypeRouteBased),
			SKU:    &armnetwork.VirtualNetworkGatewaySKU{Name: new(armnetwork.VirtualNetworkGatewaySKUNameVPNGw1AZ)},
			Active: new(true), IPConfigurations: cfgs}}, nil)
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	gw, err := gp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	return gw, ips
}

// renderTwoTunnelUserData is a single gateway's cloud-init facing an
// active-active Azure gateway, as the provider renders it.
func renderTwoTunnelUserData(t *testing.T, hz netip.Addr, az [2]netip.Addr) string {
	t.Helper()
	p := ipsec.DefaultPolicy()
	ike, err := p.IKEProposal()
	if err != nil {
		t.Fatal(err)
	}
	esp, err := p.ESPProposal()
	if err != nil {
		t.Fatal(err)
	}
	ud, err := cloudinit.Render(cloudinit.Gateway{ConnectionName: "link", LocalAddress: hz, RemoteAddress: az[0], SecondRemoteAddress: az[1],
		LocalPrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		IKEProposal: ike, ESPProposal: esp, SharedKey: psk, DPDDelay: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return string(ud)
}
