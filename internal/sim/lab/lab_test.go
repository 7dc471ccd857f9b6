package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireLab skips when the lab cannot run here (not root, no strongSwan),
// except under CI, where a skipped lab test would hide a broken data plane.
func requireLab(t *testing.T) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	if _, err := CharonBinary(); err != nil {
		missing = append(missing, err.Error())
	}
	for _, tool := range []string{"ip", "swanctl", "nft", "ping", "traceroute", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("lab test cannot run but CI is set, so it must not be skipped; missing: %s", strings.Join(missing, "; "))
	}
	t.Skipf("lab test needs %s", strings.Join(missing, "; "))
}

// testPrefix is unique per test and process, so parallel runs (and other
// people's namespaces) are never swept by mistake.
func testPrefix(tag string) string { return fmt.Sprintf("cl%d%s-", os.Getpid()%100000, tag) }

var (
	hzGatewayPub = netip.MustParseAddr("203.0.113.10")
	azGatewayPub = netip.MustParseAddr("198.51.100.10")
	azProbe      = netip.MustParseAddr("10.1.1.4")
	gcmPolicy    = &IPsecPolicy{IKEEncryption: "GCMAES256", IKEIntegrity: "SHA384", DHGroup: "ECP384",
		IPsecEncryption: "GCMAES256", IPsecIntegrity: "GCMAES256", PFSGroup: "ECP384",
		SALifetimeSeconds: 27000, SADataSizeKilobytes: 102400000}
)

// originTopology is facts.md §0: the hand-built setup this project automates.
func originTopology(prefix string) Topology {
	return Topology{
		Prefix: prefix,
		Hetzner: HetznerSite{
			NetworkRange: netip.MustParsePrefix("10.0.0.0/12"),
			Subnets:      []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")},
			Servers: []Server{
				{Name: "gw", PublicIP: hzGatewayPub, PrivateIP: netip.MustParseAddr("10.0.1.1"), IsGateway: true},
				{Name: "worker", PrivateIP: netip.MustParseAddr("10.0.1.2")},
			},
			Routes: []Route{{Destination: netip.MustParsePrefix("10.1.0.0/16"), Gateway: netip.MustParseAddr("10.0.1.1")}},
		},
		Azure: AzureSite{
			GatewayPublicIP: azGatewayPub,
			VNetPrefixes:    []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
			Subnets:         []netip.Prefix{netip.MustParsePrefix("10.1.1.0/24")},
		},
	}
}

func azureConn(policy *IPsecPolicy) AzureConnection {
	return AzureConnection{
		Name: "hel1-weu", LocalAddr: azGatewayPub, RemoteAddr: hzGatewayPub,
		LocalPrefixes:  []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/12")},
		SharedKey:      `Lab"Key/with\odd=chars_0123456789`, Policy: policy,
		// The provider's default: only the Hetzner gateway initiates, as
		// these tests expect; initiator_test.go covers the other modes.
		ConnectionMode: "ResponderOnly",
	}
}

// startTunnel builds the origin topology and starts both gateways; ike and
// esp, when set, replace the Hetzner fixture's GCM proposals.
func startTunnel(t *testing.T, ctx context.Context, prefix string, policy *IPsecPolicy, ike, esp string) (*Lab, *Charon) {
	t.Helper()
	if err := Sweep(ctx, prefix); err != nil {
		t.Fatalf("sweep before start: %v", err)
	}
	l, err := Build(ctx, originTopology(prefix))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, c := range l.charons {
				t.Logf("charon %s log:\n%s", c.NS, c.tail())
			}
		}
		if err := l.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if err := l.SetAzureConnection(ctx, azureConn(policy)); err != nil {
		t.Fatalf("SetAzureConnection: %v", err)
	}
	ud, err := os.ReadFile("testdata/hetzner-gateway.user-data.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(ud)
	if ike != "" {
		text = strings.ReplaceAll(text, "proposals = aes256gcm16-prfsha384-ecp384", "proposals = "+ike)
		text = strings.ReplaceAll(text, "esp_proposals = aes256gcm16-ecp384", "esp_proposals = "+esp)
	}
	hz, skipped, err := l.StartHetznerGateway(ctx, "gw", text)
	if err != nil {
		t.Fatalf("StartHetznerGateway: %v", err)
	}
	if strings.Join(skipped, ",") != "kernel.panic" {
		t.Errorf("host-wide sysctls skipped = %v, want [kernel.panic]", skipped)
	}
	return l, hz
}

// waitUp polls the Azure side until the SA is up or the deadline passes.
func waitUp(ctx context.Context, l *Lab, limit time.Duration) (SAStatus, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := l.AzureStatus(ctx, "hel1-weu")
		if err != nil || st.Up() || time.Now().After(deadline) {
			return st, err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestLabTunnelOriginTopology(t *testing.T) {
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	prefix := testPrefix("e")
	l, hz := startTunnel(t, ctx, prefix, gcmPolicy, "", "")

	st, err := waitUp(ctx, l, 15*time.Second)
	if err != nil || !st.Up() {
		t.Fatalf("Azure-side SA = %+v, err %v; want ESTABLISHED/INSTALLED", st, err)
	}
	if st.AzureConnectionStatus() != "Connected" {
		t.Errorf("AzureConnectionStatus = %q, want Connected", st.AzureConnectionStatus())
	}
	if want := "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384"; st.Algorithms.IKE != want {
		t.Errorf("IKE algorithms = %q, want %q", st.Algorithms.IKE, want)
	}
	if !strings.HasPrefix(st.Algorithms.ESP, "AES_GCM_16_256") {
		t.Errorf("ESP algorithms = %q, want AES_GCM_16_256...", st.Algorithms.ESP)
	}
	if hzst, err := hz.Status(ctx, "azure"); err != nil || !hzst.Up() {
		t.Errorf("Hetzner-side SA = %+v, err %v; want up", hzst, err)
	}
	if _, err := os.Stat("/tmp/ccl-lab-runcmd-must-not-run"); err == nil {
		t.Errorf("the user_data runcmd ran on the host; the lab must only read write_files")
	}

	worker, _ := l.ServerNS("worker")
	probe, ok := l.Probe(netip.MustParsePrefix("10.1.1.0/24"))
	if !ok || probe.IP != azProbe.String() {
		t.Fatalf("Azure probe = %+v, want one on %v", probe, azProbe)
	}
	// Worker -> Azure probe: worker's network route, the router's network
	// route to the gateway, the tunnel. And back from the probe.
	if out, err := InNS(ctx, worker, "ping", "-c", "2", "-W", "2", azProbe.String()); err != nil {
		t.Fatalf("ping from the worker to the Azure probe: %v\n%s", err, out)
	}
	if out, err := InNS(ctx, probe.Name, "ping", "-c", "2", "-W", "2", "10.0.1.2"); err != nil {
		t.Fatalf("ping from the Azure probe to the worker: %v\n%s", err, out)
	}
	after, err := l.AzureStatus(ctx, "hel1-weu")
	if err != nil || after.InBytes <= st.InBytes || after.OutBytes <= st.OutBytes {
		t.Errorf("Azure byte counters did not grow with the pings: before %d/%d, after %d/%d (err %v)", st.InBytes, st.OutBytes, after.InBytes, after.OutBytes, err)
	}

	for _, tc := range []struct {
		from, to string
		want     []string
	}{
		{worker, azProbe.String(), []string{"10.0.0.1", "10.0.1.1", "10.1.1.4"}},
		{probe.Name, "10.0.1.2", []string{"10.0.1.1", "10.0.0.1", "10.0.1.2"}},
	} {
		out, err := InNS(ctx, tc.from, "traceroute", "-n", "-q", "1", "-N", "1", "-w", "2", "-m", "6", tc.to)
		t.Logf("traceroute -n %s from %s:\n%s", tc.to, tc.from, out)
		if err != nil {
			t.Fatalf("traceroute: %v", err)
		}
		if got := tracerouteHops(out); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("traceroute %s from %s: hops %v, want %v", tc.to, tc.from, got, tc.want)
		}
	}
	// Deleting the connection on the Azure side tears the tunnel down.
	if err := l.DeleteAzureConnection(ctx, "hel1-weu"); err != nil {
		t.Fatalf("DeleteAzureConnection: %v", err)
	}
	if st, err := l.AzureStatus(ctx, "hel1-weu"); err != nil || st.Up() {
		t.Errorf("after DeleteAzureConnection: %+v, %v; want the SA gone", st, err)
	}
}

var hopRE = regexp.MustCompile(`(?m)^\s*\d+\s+(\S+)`)

// tracerouteHops returns the address of each hop ("*" for no answer).
func tracerouteHops(out string) []string {
	var hops []string
	for _, m := range hopRE.FindAllStringSubmatch(out, -1) {
		hops = append(hops, m[1])
	}
	return hops
}

func TestLabTunnelNegotiation(t *testing.T) {
	requireLab(t)
	for _, tc := range []struct {
		name     string
		policy   *IPsecPolicy
		ike, esp string // Hetzner side; "" = the fixture's GCM proposals
		wantUp   bool
		wantIKE  string
	}{
		{name: "custom policy mismatch", policy: &IPsecPolicy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
			IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "None"}, wantUp: false},
		{name: "azure defaults accept dh2", policy: nil, ike: "aes256-sha256-modp1024", esp: "aes256gcm16", wantUp: true,
			wantIKE: "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024"},
		{name: "azure defaults refuse strongswan defaults", policy: nil, ike: "default", esp: "default", wantUp: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			l, hz := startTunnel(t, ctx, testPrefix("n"), tc.policy, tc.ike, tc.esp)
			limit := 10 * time.Second
			if !tc.wantUp {
				limit = 4 * time.Second // several full IKE attempts with the fixture's 1 s retransmit
			}
			st, err := waitUp(ctx, l, limit)
			if err != nil {
				t.Fatal(err)
			}
			if st.Up() != tc.wantUp {
				t.Fatalf("Azure-side SA = %+v, want up=%v", st, tc.wantUp)
			}
			if tc.wantUp && st.Algorithms.IKE != tc.wantIKE {
				t.Errorf("IKE algorithms = %q, want %q", st.Algorithms.IKE, tc.wantIKE)
			}
			if !tc.wantUp {
				if got := st.AzureConnectionStatus(); got != "NotConnected" {
					t.Errorf("AzureConnectionStatus = %q, want NotConnected", got)
				}
				if log, _ := os.ReadFile(hz.Log); !strings.Contains(string(log), "NO_PROPOSAL_CHOSEN") {
					t.Errorf("Hetzner charon log does not show NO_PROPOSAL_CHOSEN; the failure should be the proposal, not something else")
				}
			}
		})
	}
}

func TestLabCloseRemovesEverything(t *testing.T) {
	requireLab(t)
	ctx := context.Background()
	prefix := testPrefix("c")
	l, err := Build(ctx, originTopology(prefix))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if err := l.SetAzureConnection(ctx, azureConn(gcmPolicy)); err != nil {
		_ = l.Close(ctx)
		t.Fatalf("SetAzureConnection: %v", err)
	}
	pid := l.azureCharon().cmd.Process.Pid
	names, _ := ListNS(ctx, prefix)
	if len(names) != 7 {
		t.Fatalf("Build made %d namespaces %v, want 7 (internet, router, 2 servers, 2 probes, Azure gateway)", len(names), names)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), prefix) {
		t.Errorf("namespaces with prefix %q remain after Close:\n%s", prefix, out)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Errorf("Azure charon (pid %d) still runs after Close", pid)
	}
	if _, err := os.Stat(l.dir); err == nil {
		t.Errorf("lab directory %s remains after Close", l.dir)
	}
}

func TestSweepAfterCrash(t *testing.T) {
	requireLab(t)
	ctx := context.Background()
	prefix := testPrefix("s")
	ns := prefix + "crashed"
	if err := AddNS(ctx, prefix, ns); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: a daemon still running inside, an /etc/netns
	// directory, a run directory.
	leftover := exec.Command("ip", "netns", "exec", ns, "sleep", "60")
	if err := leftover.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- leftover.Wait() }()
	etc := "/etc/netns/" + ns
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	run, err := os.MkdirTemp("", prefix+"lab-")
	if err != nil {
		t.Fatal(err)
	}
	other := "z" + prefix + "keep" // must survive: not ours
	if err := AddNS(ctx, "z"+prefix, other); err != nil {
		t.Fatal(err)
	}
	defer DelNS(ctx, other)

	if err := Sweep(ctx, prefix); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if left, _ := ListNS(ctx, prefix); len(left) != 0 {
		t.Errorf("namespaces left after Sweep: %v", left)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Errorf("the process inside the swept namespace still runs")
	}
	for _, p := range []string{etc, run} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s remains after Sweep", p)
		}
	}
	if kept, _ := ListNS(ctx, other); len(kept) != 1 {
		t.Errorf("Sweep(%q) removed %s, which does not carry its prefix", prefix, other)
	}
}
