package labsync

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

const psk = "labPlaneKey_0123456789"

// TestLabThroughTheAPIs builds the topology of docs/facts/origin.md the way a user's
// tooling and the provider would, through hcloud-go and armnetwork only,
// and checks that the emulator's answers come from a real tunnel: Azure's
// connectionStatus turns Connected from IKE, probes ping each other across
// it, a policy the Hetzner side does not speak takes it down, and a killed
// gateway daemon comes back.
func TestLabThroughTheAPIs(t *testing.T) {
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ls := startLabSim(t, "e")
	cred, opts := ls.arm()
	sub := ls.env["ARM_SUBSCRIPTION_ID"]
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// Azure: resource group, VNet with a VM subnet and GatewaySubnet, public IP, gateway.
	vnetID := ls.createVNet(t, true)
	factory, err := armnetwork.NewClientFactory(sub, cred, opts)
	must(err, "armnetwork")
	gw, azIP := ls.createGateway(t, ctx, vnetID)

	// Hetzner: network, primary IP, gateway server with the rendered cloud-init, route.
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
	ud := renderUserData(t, hzIP, azIP, ipsec.DefaultPolicy())
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

	// Azure: local network gateway and the connection with the same policy.
	lp, err := factory.NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "lng", armnetwork.LocalNetworkGateway{Location: new(loc),
		Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{GatewayIPAddress: new(hzIP.String()),
			LocalNetworkAddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new("10.0.1.0/24")}}}}, nil)
	must(err, "local network gateway")
	lng, err := lp.PollUntilDone(ctx, poll)
	must(err, "local network gateway")
	conns := factory.NewVirtualNetworkGatewayConnectionsClient()
	connBody := func(p ipsec.Policy) armnetwork.VirtualNetworkGatewayConnection {
		return armnetwork.VirtualNetworkGatewayConnection{Location: new(loc), Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType: new(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec), ConnectionProtocol: new(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2),
			VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: gw.ID}, LocalNetworkGateway2: &armnetwork.LocalNetworkGateway{ID: lng.ID},
			SharedKey: new(psk), IPSecPolicies: []*armnetwork.IPSecPolicy{p.ToARM()}, DpdTimeoutSeconds: new(int32(45))}}
	}
	putConn := func(p ipsec.Policy) {
		t.Helper()
		cp, err := conns.BeginCreateOrUpdate(ctx, rg, "conn", connBody(p), nil)
		must(err, "connection")
		_, err = cp.PollUntilDone(ctx, poll)
		must(err, "connection")
	}
	status := func() string {
		c, err := conns.Get(ctx, rg, "conn", nil)
		must(err, "GET connection")
		return string(*c.Properties.ConnectionStatus)
	}
	putConn(ipsec.DefaultPolicy())
	// The gateway server boots for real first: systemd, cloud-init, apt.
	eventually(t, bootLimit, "connectionStatus Connected", func() bool { return status() == "Connected" })

	// IKE can be up before the first boot has finished: the package's
	// postinst starts strongSwan before runcmd applies the sysctls, so
	// forwarding may still be off. That is the real server's order too.
	ls.waitBooted(t, "gw", 1, bootLimit)
	hzProbe, azProbe := ls.probe(t, "10.0.1.0/24"), ls.probe(t, "10.1.1.0/24")
	if azProbe.IP != "10.1.1.4" || hzProbe.IP != "10.0.1.254" {
		t.Fatalf("probes = %s / %s, want 10.1.1.4 (Azure's first VM address) and 10.0.1.254", azProbe.IP, hzProbe.IP)
	}
	for _, pg := range [][2]string{{hzProbe.Name, azProbe.IP}, {azProbe.Name, hzProbe.IP}} {
		if out, ok := ping(pg[0], pg[1]); !ok {
			t.Fatalf("ping %s from %s through the tunnel failed:\n%s", pg[1], pg[0], out)
		}
	}
	// Wait for an established SA rather than sampling one instant: the lab
	// may re-establish it right after the first packets.
	var st lab.SAStatus
	eventually(t, 15*time.Second, "an established Azure-side SA", func() bool {
		var err error
		st, err = ls.plane.Lab().AzureStatus(ctx, "conn")
		return err == nil && st.Algorithms.IKE != ""
	})
	if st.Algorithms.IKE != "AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384" || !strings.HasPrefix(st.Algorithms.ESP, "AES_GCM_16_256") {
		t.Errorf("negotiated %+v, want the policy's AES-GCM-256 / SHA-384 PRF / ECP384", st.Algorithms)
	}
	// Azure's ingress/egress counters come from the Azure-side SA.
	eventually(t, 10*time.Second, "byte counters > 0 after pings", func() bool {
		ping(hzProbe.Name, azProbe.IP)
		c, err := conns.Get(ctx, rg, "conn", nil)
		must(err, "GET connection")
		return *c.Properties.IngressBytesTransferred > 0 && *c.Properties.EgressBytesTransferred > 0
	})
	ls.checkGateway(t, "gw", 1, hzProbe.Name, azProbe.Name, 5001)

	// Out of band, the connection gets a policy the gateway server does not offer.
	other := ipsec.Policy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
		IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "None", SALifetimeSeconds: 3600, SADataSizeKilobytes: 102400000}
	putConn(other)
	eventually(t, 30*time.Second, "connectionStatus NotConnected after the policy change", func() bool { return status() == "NotConnected" })
	time.Sleep(3 * time.Second) // the Hetzner side has retried by now
	if got := status(); got != "NotConnected" {
		t.Fatalf("with mismatched policies the status became %s", got)
	}
	if out, ok := ping(hzProbe.Name, azProbe.IP); ok {
		t.Fatalf("ping passed although the policies do not match:\n%s", out)
	}

	// Back to the common policy, then the gateway's daemon is killed.
	putConn(ipsec.DefaultPolicy())
	eventually(t, 30*time.Second, "Connected again after the policy is restored", func() bool { return status() == "Connected" })
	killGatewayCharon(t, ls, "gw")
	eventually(t, 45*time.Second, "traffic through a re-established tunnel", func() bool {
		_, ok := ping(hzProbe.Name, azProbe.IP)
		return ok && status() == "Connected"
	})

	// Power the server off and on through the API: the machine halts and
	// boots again from its disk; cloud-init sees the same instance, so only
	// what the first boot enabled brings the tunnel back.
	srv, _, err := hc.Server.GetByName(ctx, "gw")
	must(err, "GET server")
	act, _, err = hc.Server.Poweroff(ctx, srv)
	must(err, "poweroff")
	must(hc.Action.WaitFor(ctx, act), "poweroff")
	eventually(t, 30*time.Second, "the gateway machine off", func() bool { return ls.gatewayHost(t, "gw").State == "off" })
	if out, ok := ping(hzProbe.Name, azProbe.IP); ok {
		t.Fatalf("ping passed with the gateway server powered off:\n%s", out)
	}
	act, _, err = hc.Server.Poweron(ctx, srv)
	must(err, "poweron")
	must(hc.Action.WaitFor(ctx, act), "poweron")
	ls.checkGateway(t, "gw", 2, hzProbe.Name, azProbe.Name, 5002)
	eventually(t, time.Minute, "Connected after the power cycle", func() bool { return status() == "Connected" })
}

// renderUserData is the gateway's cloud-init as the provider renders it.
func renderUserData(t *testing.T, hz, az netip.Addr, p ipsec.Policy) string {
	t.Helper()
	ike, err := p.IKEProposal()
	if err != nil {
		t.Fatal(err)
	}
	esp, err := p.ESPProposal()
	if err != nil {
		t.Fatal(err)
	}
	ud, err := cloudinit.Render(cloudinit.Gateway{ConnectionName: "link", LocalAddress: hz, RemoteAddress: az,
		LocalPrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		IKEProposal: ike, ESPProposal: esp, SharedKey: psk, DPDDelay: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return string(ud)
}

// killGatewayCharon SIGKILLs the gateway server's strongSwan daemon, as a
// crash would, and checks that the machine's systemd starts it again
// (strongswan.service has Restart=on-abnormal): the lab no longer restarts
// anything itself.
func killGatewayCharon(t *testing.T, ls *labSim, server string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, ok := ls.plane.Lab().Gateway(server)
	if !ok {
		t.Fatalf("server %s has no machine", server)
	}
	pid := func() string {
		out, _ := m.Exec(ctx, "systemctl", "show", "-P", "MainPID", "strongswan.service")
		return strings.TrimSpace(out)
	}
	before := pid()
	if before == "" || before == "0" {
		t.Fatalf("strongswan.service has no main process in %s", m.NS)
	}
	if out, err := m.Exec(ctx, "kill", "-KILL", before); err != nil {
		t.Fatalf("kill charon: %v\n%s", err, out)
	}
	eventually(t, 20*time.Second, "systemd to restart strongswan.service", func() bool {
		now := pid()
		return now != "" && now != "0" && now != before
	})
}
