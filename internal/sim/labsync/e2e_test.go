package labsync

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// TestLabThroughTheAPIs builds the topology of docs/facts/origin.md the way a user's
// tooling and the provider would, through hcloud-go and armnetwork only,
// and checks that the emulator's answers come from a real tunnel: Azure's
// connectionStatus turns Connected from IKE, probes ping each other across
// it, a policy the Hetzner side does not speak takes it down, and a killed
// gateway daemon comes back.
func TestLabThroughTheAPIs(t *testing.T) {
	ctx, ls := startLabTest(t, "e", 30*time.Minute)

	// Azure: resource group, VNet with a VM subnet and GatewaySubnet, public IP, gateway.
	gw, azIPs := ls.createGateway(t, ctx, false)

	// Hetzner: network, primary IP, gateway server with the rendered cloud-init, route.
	hzIP := ls.createHetznerGateway(t, ctx, func(hz netip.Addr) string { return renderUserData(t, hz, ipsec.DefaultPolicy(), azIPs[0]) })
	hc := ls.hcloud()

	ls.waitImage(t)

	// Azure: local network gateway and the connection with the same policy.
	lngID := ls.createLocalGateway(t, ctx, hzIP)
	conns := ls.azureNetwork(t).NewVirtualNetworkGatewayConnectionsClient()
	putConn := func(p ipsec.Policy) {
		t.Helper()
		putConnection(t, ctx, conns, gw.ID, lngID, p)
	}
	status := func() string {
		c, err := conns.Get(ctx, rg, "conn", nil)
		must(t, err, "GET connection")
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
		must(t, err, "GET connection")
		return *c.Properties.IngressBytesTransferred > 0 && *c.Properties.EgressBytesTransferred > 0
	})
	ls.checkGateway(t, "gw", 1, hzProbe.Name, azProbe.Name, 5001)

	// Out of band, the connection gets a policy the gateway server does not offer.
	putConn(weakerPolicy())
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
	must(t, err, "GET server")
	act, _, err := hc.Server.Poweroff(ctx, srv)
	must(t, err, "poweroff")
	must(t, hc.Action.WaitFor(ctx, act), "poweroff")
	eventually(t, 30*time.Second, "the gateway machine off", func() bool { return ls.gatewayHost(t, "gw").State == "off" })
	if out, ok := ping(hzProbe.Name, azProbe.IP); ok {
		t.Fatalf("ping passed with the gateway server powered off:\n%s", out)
	}
	act, _, err = hc.Server.Poweron(ctx, srv)
	must(t, err, "poweron")
	must(t, hc.Action.WaitFor(ctx, act), "poweron")
	ls.checkGateway(t, "gw", 2, hzProbe.Name, azProbe.Name, 5002)
	eventually(t, time.Minute, "Connected after the power cycle", func() bool { return status() == "Connected" })
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
