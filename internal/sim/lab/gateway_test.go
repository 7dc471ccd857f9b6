package lab

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// firstBootLimit covers a fresh machine: the mirror downloads the package
// indexes and strongSwan from Debian once.
const firstBootLimit = 5 * time.Minute

// TestLabGatewayBootsLikeHetzner boots the gateway server from its user_data
// under real systemd and cloud-init, then checks what the first boot must
// leave behind, and that all of it holds again after a reboot: cloud-init
// without errors, no failed unit, strongswan.service and
// crosscloud-mss.service active and enabled, the MSS table loaded and
// clamping a SYN that crosses the tunnel (seen at the far end), forwarding
// on, traffic both ways.
func TestLabGatewayBootsLikeHetzner(t *testing.T) {
	ctx := labContext(t, 12*time.Minute)
	img := gatewayImage(t, ctx)
	l := startTunnel(t, ctx, testPrefix("e"), gcmPolicy)
	gwNS, _ := l.ServerNS("gw")
	if got := forwarding(t, ctx, gwNS); got != "0" {
		t.Fatalf("ip_forward in the gateway namespace is %s before boot; the lab must leave it to the gateway", got)
	}
	m, err := l.BootGateway(ctx, "gw", img, Seed{InstanceID: "4711", Hostname: "gw", UserData: fixture(t)})
	if err != nil {
		t.Fatalf("BootGateway: %v", err)
	}
	st := waitBoot(t, m, 1, firstBootLimit)
	t.Logf("first boot: cloud-init %s after %s", st.CloudInit, st.Took.Round(time.Second))
	checkGateway(t, ctx, l, m, st, 5001)
	if _, err := os.Stat(filepath.Join(m.Root(), "var/lib/ccl-lab-runcmd-ran")); err != nil {
		t.Errorf("the user_data's runcmd did not run inside the machine: %v", err)
	}
	if _, err := os.Stat("/var/lib/ccl-lab-runcmd-ran"); err == nil {
		t.Errorf("the user_data's runcmd ran on the host")
	}
	var gw Host
	for _, h := range l.Hosts() {
		if h.Name == gwNS {
			gw = h
		}
	}
	if gw.HostBoot == nil || gw.CloudInit != "done" || gw.State != StateRunning || len(gw.FailedUnits) != 0 || gw.Boots != 1 {
		t.Errorf("Hosts() reports the gateway as %+v, want running, cloud_init done, no failed units, 1 boot", gw.HostBoot)
	}

	if err := m.Reboot(ctx); err != nil {
		t.Fatalf("reboot: %v", err)
	}
	st = waitBoot(t, m, 2, 2*time.Minute)
	t.Logf("after the reboot: cloud-init %s after %s", st.CloudInit, st.Took.Round(time.Second))
	checkGateway(t, ctx, l, m, st, 5002)
}

// checkGateway is the list of what a booted gateway must show.
func checkGateway(t *testing.T, ctx context.Context, l *Lab, m *Machine, st BootStatus, port int) {
	t.Helper()
	if st.CloudInit != "done" {
		t.Fatalf("cloud-init: %s", st.CloudInit)
	}
	if len(st.FailedUnits) != 0 {
		t.Errorf("failed units: %v", st.FailedUnits)
	}
	checkUnits(t, ctx, m)
	checkMSSTable(t, ctx, m, 1350)
	if got := forwarding(t, ctx, m.NS); got != "1" {
		t.Errorf("net.ipv4.ip_forward in the gateway = %s, want 1 (from its sysctl.d file)", got)
	}
	sa, err := waitUp(ctx, l, time.Minute)
	if err != nil || !sa.Up() {
		t.Fatalf("Azure-side SA = %+v, err %v; want ESTABLISHED/INSTALLED", sa, err)
	}
	if want := "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384"; sa.Algorithms.IKE != want {
		t.Errorf("IKE algorithms = %q, want %q", sa.Algorithms.IKE, want)
	}
	worker, _ := l.ServerNS("worker")
	probe, ok := l.Probe(netip.MustParsePrefix("10.1.1.0/24"))
	if !ok || probe.IP != azProbe.String() {
		t.Fatalf("Azure probe = %+v, want one on %v", probe, azProbe)
	}
	if out, err := InNS(ctx, worker, "ping", "-c", "2", "-W", "2", azProbe.String()); err != nil {
		t.Errorf("ping from the worker to the Azure probe: %v\n%s", err, out)
	}
	if out, err := InNS(ctx, probe.Name, "ping", "-c", "2", "-W", "2", "10.0.1.2"); err != nil {
		t.Errorf("ping from the Azure probe to the worker: %v\n%s", err, out)
	}
	// TCP both ways; the SYN is captured where it arrives, past the tunnel.
	for _, tc := range []struct{ from, far, to string }{{worker, probe.Name, azProbe.String()}, {probe.Name, worker, "10.0.1.2"}} {
		res, err := TCPProbe(ctx, tc.from, tc.far, tc.to, port)
		if err != nil || !res.Echoed {
			t.Errorf("TCP %s -> %s: %+v, %v; want %d bytes echoed", tc.from, tc.to, res, err, res.Bytes)
		}
		t.Logf("TCP %s -> %s: SYN arrived with MSS %d, %d bytes echoed: %v", tc.from, tc.to, res.SYNMSS, res.Bytes, res.Echoed)
		if res.SYNMSS <= 0 || res.SYNMSS > 1350 {
			t.Errorf("TCP SYN %s -> %s arrived with MSS %d, want 1..1350 (the gateway's clamp)", tc.from, tc.to, res.SYNMSS)
		}
	}
	out, err := InNS(ctx, worker, "traceroute", "-n", "-q", "1", "-N", "1", "-w", "2", "-m", "6", azProbe.String())
	if got := tracerouteHops(out); err != nil || strings.Join(got, " ") != "10.0.0.1 10.0.1.1 10.1.1.4" {
		t.Errorf("traceroute from the worker: hops %v (%v), want 10.0.0.1 10.0.1.1 10.1.1.4\n%s", got, err, out)
	}
}

// TestLabGatewayFirstBootFails boots a gateway whose user_data asks for a
// package Debian does not have: cloud-init reports the error, the lab shows
// it, and the tunnel never comes up.
func TestLabGatewayFirstBootFails(t *testing.T) {
	ctx := labContext(t, 10*time.Minute)
	img := gatewayImage(t, ctx)
	l := startTunnel(t, ctx, testPrefix("f"), gcmPolicy)
	ud := strings.Replace(fixture(t), "  - nftables\n", "  - nftables\n  - crosscloud-no-such-package\n", 1)
	m, err := l.BootGateway(ctx, "gw", img, Seed{InstanceID: "4712", Hostname: "gw", UserData: ud})
	if err != nil {
		t.Fatalf("BootGateway: %v", err)
	}
	st := waitBoot(t, m, 1, firstBootLimit)
	if !strings.HasPrefix(st.CloudInit, "error: ") || !strings.Contains(st.CloudInit, "crosscloud-no-such-package") {
		t.Errorf("cloud-init = %q, want an error naming the missing package", st.CloudInit)
	}
	if sa, _ := waitUp(ctx, l, 5*time.Second); sa.Up() {
		t.Errorf("the tunnel came up although the gateway's packages were never installed: %+v", sa)
	}
	for _, h := range l.Hosts() {
		if h.Name == m.NS && (h.HostBoot == nil || h.CloudInit != st.CloudInit) {
			t.Errorf("Hosts() shows the gateway as %+v, want cloud_init %q", h.HostBoot, st.CloudInit)
		}
	}
}
