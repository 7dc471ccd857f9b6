package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
	for _, tool := range []string{"ip", "swanctl", "nft", "ping", "traceroute", "unshare", "systemd-nspawn", "debootstrap", "nsenter"} {
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

// TestMain first removes what earlier, killed runs of these tests left
// (their cleanup never ran); live runs are left alone.
func TestMain(m *testing.M) {
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("ip"); err == nil {
			if err := SweepAbandoned(context.Background(), "cl"); err != nil {
				fmt.Fprintln(os.Stderr, "sweeping abandoned lab test objects:", err)
			}
		}
	}
	os.Exit(m.Run())
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

// originTopology is docs/facts/origin.md: the hand-built setup this project automates.
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

// labContext is how a lab test with a time budget begins: it skips unless
// the lab can run here (requireLab) and gives the whole test limit.
func labContext(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx
}

// startTunnel builds the origin topology with the Azure connection loaded
// and returns the lab.
func startTunnel(t *testing.T, ctx context.Context, prefix string, policy *IPsecPolicy) *Lab {
	t.Helper()
	l := buildOrigin(t, ctx, prefix)
	if err := l.SetAzureConnection(ctx, azureConn(policy)); err != nil {
		t.Fatalf("SetAzureConnection: %v", err)
	}
	return l
}

// buildOrigin sweeps what an earlier run under prefix left and builds the
// origin topology. Close runs at cleanup, and every test checks that it
// left nothing: namespaces, mounts, processes; a failed test shows each
// charon's log and machine's journal.
func buildOrigin(t *testing.T, ctx context.Context, prefix string) *Lab {
	t.Helper()
	if err := Sweep(ctx, prefix); err != nil {
		t.Fatalf("sweep before start: %v", err)
	}
	l, err := Build(ctx, originTopology(prefix))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(func() {
		l.mu.Lock()
		charons, machines := l.charons, l.machines
		l.mu.Unlock()
		if t.Failed() {
			for _, c := range charons {
				t.Logf("charon %s log:\n%s", c.NS, c.tail())
			}
			for _, m := range machines {
				out, _ := m.Exec(context.Background(), "journalctl", "--no-pager", "-n", "60", "-u", "strongswan", "-u", "cloud-final", "-u", "crosscloud-mss")
				t.Logf("machine %s (%+v) journal:\n%s\ncloud-init-output.log:\n%s", m.NS, m.Status(), out, tailFile(filepath.Join(m.Root(), "var/log/cloud-init-output.log"), 3000))
			}
		}
		if err := l.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, m := range machines {
			if points, _ := mountsUnder(m.dir); len(points) > 0 {
				t.Errorf("machine disk still mounted after Close: %v", points)
			}
			if m.Leader() != 0 {
				t.Errorf("machine %s still has a leader after Close", m.NS)
			}
		}
		if left, _ := ListNS(context.Background(), prefix); len(left) > 0 {
			t.Errorf("namespaces left after Close: %v", left)
		}
	})
	return l
}

// fixture is the gateway user_data the lab tests boot.
func fixture(t *testing.T) string {
	t.Helper()
	ud, err := os.ReadFile("testdata/hetzner-gateway.user-data.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(ud)
}

// gatewayImage returns the cached image, building it on a fresh machine.
func gatewayImage(t *testing.T, ctx context.Context) Image {
	t.Helper()
	img, err := EnsureImage(ctx, CacheDir(), func(s string) { t.Log(s) })
	if err != nil {
		t.Fatalf("gateway image: %v", err)
	}
	return img
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

// startPlainCharon runs a bare charon (no machine) in the Hetzner gateway's
// namespace with the fixture's swanctl file, proposals replaced: enough to
// test the Azure side's negotiation without booting a server.
func startPlainCharon(t *testing.T, ctx context.Context, l *Lab, ike, esp string) *Charon {
	t.Helper()
	files, err := ParseUserData(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var conf string
	for _, f := range files {
		if strings.HasPrefix(f.Path, "/etc/swanctl/conf.d/") {
			conf = string(f.Content)
		}
	}
	conf = strings.ReplaceAll(conf, "proposals = aes256gcm16-prfsha384-ecp384", "proposals = "+ike)
	conf = strings.ReplaceAll(conf, "esp_proposals = aes256gcm16-ecp384", "esp_proposals = "+esp)
	ns, _ := l.ServerNS("gw")
	c, err := l.startCharon(ctx, ns, l.instanceDir(ns), CharonConf{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.LoadConfig(ctx, conf); err != nil {
		t.Fatal(err)
	}
	return c
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
		ike, esp string // Hetzner side
		wantUp   bool
		wantIKE  string
	}{
		{name: "custom policy mismatch", policy: &IPsecPolicy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
			IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "None"}, ike: "aes256gcm16-prfsha384-ecp384", esp: "aes256gcm16-ecp384", wantUp: false},
		{name: "azure defaults accept dh2", policy: nil, ike: "aes256-sha256-modp1024", esp: "aes256gcm16", wantUp: true,
			wantIKE: "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024"},
		{name: "azure defaults refuse strongswan defaults", policy: nil, ike: "default", esp: "default", wantUp: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			l := startTunnel(t, ctx, testPrefix("n"), tc.policy)
			hz := startPlainCharon(t, ctx, l, tc.ike, tc.esp)
			limit := 10 * time.Second
			if !tc.wantUp {
				limit = 4 * time.Second // the responder refuses the first IKE_SA_INIT at once
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
	// ... with a machine's disk still mounted in it.
	disk := filepath.Join(run, "h-gw", "machine", "root")
	if err := os.MkdirAll(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", disk, "tmpfs", 0, "size=1m"); err != nil {
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
	if points, _ := mountsUnder(run); len(points) > 0 {
		_ = unix.Unmount(disk, unix.MNT_DETACH)
		t.Errorf("mounts left after Sweep: %v", points)
	}
	if kept, _ := ListNS(ctx, other); len(kept) != 1 {
		t.Errorf("Sweep(%q) removed %s, which does not carry its prefix", prefix, other)
	}
}
