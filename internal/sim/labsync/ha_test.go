package labsync

import (
	"context"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// TestLabHAFailover boots an active/standby pair of gateway servers from
// the HA cloud-init the provider renders, each with keepalived and the
// failover script, and no Floating IP assignment or network route made
// beforehand: the agents elect one, which claims the Floating IP and the
// route through the Hetzner API the lab serves them, and Azure's tunnel to
// the Floating IP comes up. Then the active server's machine is killed and
// the test measures how long traffic from a Hetzner host to an Azure host
// stops until the standby has taken over.
func TestLabHAFailover(t *testing.T) {
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ls := startLabSim(t, "h")
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
	gw, azIP := ls.createGateway(t, ctx, vnetID)

	hc := ls.hcloud()
	_, rng, _ := net.ParseCIDR("10.0.0.0/12")
	_, sn, _ := net.ParseCIDR("10.0.1.0/24")
	network, _, err := hc.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: "net", IPRange: rng,
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: sn, NetworkZone: hcloud.NetworkZoneEUCentral}}})
	must(err, "network")
	fres, _, err := hc.FloatingIP.Create(ctx, hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4,
		HomeLocation: &hcloud.Location{Name: "nbg1"}, Name: new("gw-vip")})
	must(err, "Floating IP")
	fip := netip.MustParseAddr(fres.FloatingIP.IP.String())

	pair := []struct {
		name, location string
		self, peer     netip.Addr
		priority       int
	}{
		{"gw-a", "nbg1", netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("10.0.1.2"), 150},
		{"gw-b", "fsn1", netip.MustParseAddr("10.0.1.2"), netip.MustParseAddr("10.0.1.1"), 100},
	}
	servers := map[string]*hcloud.Server{}
	for _, g := range pair {
		ud := renderHAUserData(t, fip, azIP, cloudinit.HA{PrivateIP: g.self, PeerPrivateIP: g.peer, Priority: g.priority,
			FloatingIP: fip, FloatingIPID: fres.FloatingIP.ID, NetworkID: network.ID,
			RouteDestinations: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
			APIEndpoint:       AgentEndpoint, APIToken: cloudinit.Token(ls.env["HCLOUD_TOKEN"])})
		res, _, err := hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: g.name, ServerType: &hcloud.ServerType{Name: "cx23"},
			Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: g.location}, UserData: ud})
		must(err, "server "+g.name)
		must(hc.Action.WaitFor(ctx, append(res.NextActions, res.Action)...), "server "+g.name)
		act, _, err := hc.Server.AttachToNetwork(ctx, res.Server, hcloud.ServerAttachToNetworkOpts{Network: network, IP: net.IP(g.self.AsSlice())})
		must(err, "attach "+g.name)
		must(hc.Action.WaitFor(ctx, act), "attach "+g.name)
		servers[g.name] = res.Server
	}
	ls.waitImage(t)

	// Azure knows one peer: the Floating IP (static routing cannot take two
	// devices announcing the same prefixes, docs/facts/hetzner.md).
	lp, err := factory.NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "lng", armnetwork.LocalNetworkGateway{Location: new(loc),
		Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{GatewayIPAddress: new(fip.String()),
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

	ls.waitBooted(t, "gw-a", 1, bootLimit)
	ls.waitBooted(t, "gw-b", 1, bootLimit)
	holder := func() int64 {
		f, _, err := hc.FloatingIP.GetByID(ctx, fres.FloatingIP.ID)
		if err != nil || f.Server == nil {
			return 0
		}
		return f.Server.ID
	}
	routeVia := func() string {
		n, _, err := hc.Network.GetByID(ctx, network.ID)
		if err != nil {
			return ""
		}
		for _, r := range n.Routes {
			if r.Destination.String() == "10.1.0.0/16" {
				return r.Gateway.String()
			}
		}
		return ""
	}
	hzProbe, azProbe := ls.probe(t, "10.0.1.0/24"), ls.probe(t, "10.1.1.0/24")
	eventually(t, 2*time.Minute, "the elected gateway holding the Floating IP and the route, traffic through the tunnel", func() bool {
		_, ok := ping(hzProbe.Name, azProbe.IP)
		return ok && holder() != 0 && routeVia() != ""
	})
	active, standby := "gw-a", "gw-b"
	if holder() == servers["gw-b"].ID {
		active, standby = standby, active
	}
	if want := map[string]string{"gw-a": "10.0.1.1", "gw-b": "10.0.1.2"}[active]; routeVia() != want {
		t.Fatalf("the Floating IP is on %s but the route points at %s, want %s", active, routeVia(), want)
	}

	// The active gateway dies as a host failure takes it: every process of
	// its machine is killed at once (SIGKILL to the container's init), so
	// keepalived sends no farewell advert and the standby must notice the
	// silence. TCP exchanges cross the tunnel every 100 ms all along (the
	// bench's probe, harness.StartTraffic); the failover time is the
	// longest run in which none got through.
	traffic, err := harness.StartTraffic(ctx, hzProbe.Name, azProbe.Name, azProbe.IP, 5003, 100*time.Millisecond, time.Second)
	must(err, "starting the traffic probe")
	defer traffic.Stop()
	time.Sleep(2 * time.Second)
	m := ls.plane.servers[active].machine
	if m == nil || m.Leader() == 0 {
		t.Fatalf("no running machine for %s", active)
	}
	killedAt := time.Now()
	must(syscall.Kill(m.Leader(), syscall.SIGKILL), "killing "+active)
	deliveredSince := func(at time.Time) bool {
		ok, _ := traffic.Delivered()
		return len(ok) > 0 && ok[len(ok)-1].After(at)
	}
	eventually(t, 2*time.Minute, "traffic through the tunnel via "+standby, func() bool {
		return holder() == servers[standby].ID && deliveredSince(killedAt)
	})
	time.Sleep(3 * time.Second)
	traffic.Stop()
	ok, _ := traffic.Delivered()
	failover, _ := harness.LongestGap(ok, killedAt)
	t.Logf("the standby's keepalived and failover journal:\n%s", ls.journal(standby, "-u", "keepalived", "-t", "crosscloud-failover"))
	// One lost exchange is a gap of two intervals; a failover that short
	// would mean the kill did not take the active gateway's traffic.
	if failover <= time.Second {
		t.Fatalf("the longest gap was %s although the active gateway was killed", failover)
	}
	if holder() != servers[standby].ID {
		t.Fatalf("traffic flows again but the Floating IP is held by server %d, not %s", holder(), standby)
	}
	if want := map[string]string{"gw-a": "10.0.1.1", "gw-b": "10.0.1.2"}[standby]; routeVia() != want {
		t.Fatalf("after the failover the route points at %s, want %s", routeVia(), want)
	}
	t.Logf("failover_seconds=%.1f (%s killed: the longest run without a TCP exchange from %s to %s until %s carried them)",
		failover.Seconds(), active, hzProbe.Name, azProbe.IP, standby)
}

// renderHAUserData is one gateway of an HA pair's cloud-init as the
// provider renders it: the Floating IP is the local address and identity.
func renderHAUserData(t *testing.T, fip, az netip.Addr, ha cloudinit.HA) string {
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
	ud, err := cloudinit.Render(cloudinit.Gateway{ConnectionName: "link", LocalAddress: fip, RemoteAddress: az,
		LocalPrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		IKEProposal: ike, ESPProposal: esp, SharedKey: psk, DPDDelay: 5 * time.Second, HA: &ha})
	if err != nil {
		t.Fatal(err)
	}
	return string(ud)
}

// journal is the tail of a gateway machine's journal for the given filters.
func (ls *labSim) journal(server string, filter ...string) string {
	s, ok := ls.plane.servers[server]
	if !ok || s.machine == nil {
		return "(no machine for " + server + ")"
	}
	out, err := s.machine.Exec(context.Background(), "journalctl", append([]string{"--no-pager", "-n", "60"}, filter...)...)
	if err != nil {
		return out + " (" + err.Error() + ")"
	}
	return out
}
