package labsync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/azuresim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// requireLab skips when the lab cannot run here, except under CI, where a
// skipped lab test would hide a broken data plane.
func requireLab(t *testing.T) {
	t.Helper()
	err := Preflight()
	if err == nil {
		for _, tool := range []string{"ping", "traceroute"} {
			if _, lerr := exec.LookPath(tool); lerr != nil {
				err = fmt.Errorf("%s is not installed (apt-get install iputils-ping traceroute)", tool)
			}
		}
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("lab test cannot run but CI is set, so it must not be skipped: %v", err)
	}
	t.Skipf("lab test skipped: %v", err)
}

// TestMain first removes what earlier, killed runs of these tests left
// (their cleanup never ran); live runs are left alone.
func TestMain(m *testing.M) {
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("ip"); err == nil {
			if err := lab.SweepAbandoned(context.Background(), "cp"); err != nil {
				fmt.Fprintln(os.Stderr, "sweeping abandoned lab test objects:", err)
			}
		}
	}
	os.Exit(m.Run())
}

// labSim is one in-process emulator with the lab data plane.
type labSim struct {
	sim   *sim.Sim
	plane *Plane
	env   map[string]string
}

// startLabTest is how a lab test that builds through the APIs begins: it
// skips unless the lab can run (requireLab), gives the whole test limit,
// and starts an emulator of its own (startLabSim).
func startLabTest(t *testing.T, tag string, limit time.Duration, opts ...hcloudsim.Option) (context.Context, *labSim) {
	t.Helper()
	requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel)
	return ctx, startLabSim(t, tag, opts...)
}

// startLabSim runs crosscloud-sim with -lab under a prefix of its own;
// opts configure its Hetzner API (-real-time-failover).
func startLabSim(t *testing.T, tag string, opts ...hcloudsim.Option) *labSim {
	t.Helper()
	ls := &labSim{}
	prefix := fmt.Sprintf("cp%d%s-", os.Getpid()%100000, tag)
	dp := func(env *simenv.Env, hc, az sim.Cloud) (sim.DataPlane, error) {
		api, err := HCloudAPI(env.BaseURL)
		if err != nil {
			return nil, err
		}
		p, err := Start(context.Background(), hc.(*hcloudsim.Server), az.(*azuresim.Server), Options{Prefix: prefix, Logger: testLogger(t), API: api})
		ls.plane = p
		return p, err
	}
	s, err := sim.New(sim.Options{Addr: "127.0.0.1:0", TimeScale: 0.001, SubscriptionID: azuresim.SubscriptionID,
		TenantID: azuresim.TenantID, Lab: true, NewDataPlane: dp},
		func(env *simenv.Env) sim.Cloud { return hcloudsim.New(env, opts...) },
		func(env *simenv.Env) sim.Cloud { return azuresim.New(env) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			ls.dumpLogs(t)
		}
		if err := s.Close(); err != nil {
			t.Errorf("closing the emulator: %v", err)
		}
		os.Remove(ownerPath(prefix))
		if left, _ := lab.ListNS(context.Background(), prefix); len(left) > 0 {
			t.Errorf("namespaces left after Close: %v", left)
		}
	})
	ls.sim, ls.env = s, s.Env()
	return ls
}

// dumpLogs prints each gateway machine's boot and strongSwan journal, for
// failed tests.
func (ls *labSim) dumpLogs(t *testing.T) {
	for _, s := range ls.plane.servers {
		if m := s.machine; m != nil {
			out, _ := m.Exec(context.Background(), "journalctl", "--no-pager", "-n", "80", "-u", "strongswan", "-u", "cloud-final")
			b, _ := os.ReadFile(filepath.Join(m.Root(), "var/log/cloud-init-output.log"))
			t.Logf("Hetzner gateway %s (%+v) journal (tail):\n%s\ncloud-init-output.log (tail):\n%s", m.NS, m.Status(), out, tail(string(b), 3000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// hcloud and arm are the simtest clients, pointed at this emulator.
func (ls *labSim) hcloud() *hcloud.Client { return simtest.HCloudFor(ls.env) }

func (ls *labSim) arm() (azcore.TokenCredential, *arm.ClientOptions) {
	return simtest.CredentialFor(ls.env), simtest.ARMClientOptionsFor(ls.env)
}

// azureNetwork is an armnetwork client factory for this emulator.
func (ls *labSim) azureNetwork(t *testing.T) *armnetwork.ClientFactory {
	t.Helper()
	cred, opts := ls.arm()
	factory, err := armnetwork.NewClientFactory(ls.env["ARM_SUBSCRIPTION_ID"], cred, opts)
	must(t, err, "armnetwork")
	return factory
}

const rg, loc = "rg-net", "westeurope"

var poll = &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}

// createVNet creates resource group rg and VNet "vnet" (10.1.0.0/16, VM
// subnet 10.1.1.0/24 and, if asked, GatewaySubnet 10.1.2.0/24) through the
// ARM API, as a user's other tooling would, and returns the VNet ID.
func (ls *labSim) createVNet(t *testing.T, gatewaySubnet bool) string {
	t.Helper()
	ctx := context.Background()
	cred, opts := ls.arm()
	sub := ls.env["ARM_SUBSCRIPTION_ID"]
	groups, _ := armresources.NewResourceGroupsClient(sub, cred, opts)
	if _, err := groups.CreateOrUpdate(ctx, rg, armresources.ResourceGroup{Location: new(loc)}, nil); err != nil {
		t.Fatalf("resource group: %v", err)
	}
	subnets := []*armnetwork.Subnet{{Name: new("vms"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new("10.1.1.0/24")}}}
	if gatewaySubnet {
		subnets = append(subnets, &armnetwork.Subnet{Name: new("GatewaySubnet"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new("10.1.2.0/24")}})
	}
	vnets, _ := armnetwork.NewVirtualNetworksClient(sub, cred, opts)
	vp, err := vnets.BeginCreateOrUpdate(ctx, rg, "vnet", armnetwork.VirtualNetwork{Location: new(loc),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new("10.1.0.0/16")}}, Subnets: subnets}}, nil)
	if err != nil {
		t.Fatalf("VNet: %v", err)
	}
	vnet, err := vp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatalf("VNet: %v", err)
	}
	return *vnet.ID
}

// probe returns the lab's probe host in subnet, waiting for the lab to build.
func (ls *labSim) probe(t *testing.T, subnet string) lab.Host {
	t.Helper()
	var h lab.Host
	eventually(t, 30*time.Second, "probe host in "+subnet, func() bool {
		l := ls.plane.Lab()
		if l == nil {
			return false
		}
		var ok bool
		h, ok = l.Probe(netip.MustParsePrefix(subnet))
		return ok
	})
	return h
}

// ping runs ping in a namespace; ok reports whether replies came back.
func ping(ns, to string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := lab.InNS(ctx, ns, "ping", "-c", "2", "-i", "0.3", "-W", "2", to)
	return out, err == nil
}

// eventually polls cond every 200ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testLogger sends the plane's log lines to t.Log.
func testLogger(t *testing.T) *slog.Logger { return slog.New(slog.NewTextHandler(tWriter{t}, nil)) }

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// bootLimit covers a gateway's first boot on a fresh machine (the mirror
// downloads strongSwan and the package indexes from Debian once); with a
// warm cache it takes well under a minute.
const bootLimit = 6 * time.Minute

// hostsEntry is GET /_sim/lab/hosts's entry for a gateway server, as the
// person running the lab sees it.
type hostsEntry struct {
	Name        string    `json:"name"`
	Role        string    `json:"role"`
	State       string    `json:"state"`
	CloudInit   *string   `json:"cloud_init"`
	FailedUnits *[]string `json:"failed_units"`
	Boots       int       `json:"boots"`
}

// gatewayHost reads the server's entry from the emulator's HTTP endpoint.
func (ls *labSim) gatewayHost(t *testing.T, server string) hostsEntry {
	t.Helper()
	l := ls.plane.Lab()
	if l == nil {
		return hostsEntry{} // not built yet: waitBooted polls again
	}
	ns, ok := l.ServerNS(server)
	if !ok {
		t.Fatalf("server %s is not in the lab", server)
	}
	resp, err := http.Get(ls.env["CROSSCLOUD_SIM_URL"] + "/_sim/lab/hosts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var hosts []hostsEntry
	if err := json.NewDecoder(resp.Body).Decode(&hosts); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		if h.Name == ns {
			return h
		}
	}
	t.Fatalf("GET /_sim/lab/hosts has no entry %s: %+v", ns, hosts)
	return hostsEntry{}
}

// waitBooted waits until the gateway's boot number n has finished
// cloud-init, as GET /_sim/lab/hosts reports it.
func (ls *labSim) waitBooted(t *testing.T, server string, n int, limit time.Duration) hostsEntry {
	t.Helper()
	var h hostsEntry
	eventually(t, limit, fmt.Sprintf("boot %d of %s to finish cloud-init", n, server), func() bool {
		h = ls.gatewayHost(t, server)
		return h.Boots == n && h.CloudInit != nil && *h.CloudInit != "" && *h.CloudInit != "running"
	})
	return h
}

// checkGateway checks what the gateway server's boot must leave behind:
// cloud-init done without errors and no failed unit (as the emulator's
// endpoint reports them), strongswan.service and crosscloud-mss.service
// active and enabled, the MSS table loaded, forwarding on, and TCP through
// the tunnel both ways with the SYN clamped to at most 1350 where it
// arrives.
func (ls *labSim) checkGateway(t *testing.T, server string, boot int, hzNS, azNS string, port int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	h := ls.waitBooted(t, server, boot, bootLimit)
	if *h.CloudInit != "done" || h.FailedUnits == nil || len(*h.FailedUnits) != 0 || h.State != "running" || h.Role != "gateway" {
		t.Fatalf("GET /_sim/lab/hosts shows the gateway as %+v (cloud_init %q, failed_units %v); want running, done, []", h, deref(h.CloudInit), h.FailedUnits)
	}
	m, ok := ls.plane.Lab().Gateway(server)
	if !ok {
		t.Fatalf("no machine for %s", server)
	}
	for _, unit := range []string{"strongswan.service", "crosscloud-mss.service"} {
		for _, q := range [][2]string{{"is-active", "active"}, {"is-enabled", "enabled"}} {
			if out, _ := m.Exec(ctx, "systemctl", q[0], unit); strings.TrimSpace(out) != q[1] {
				t.Errorf("systemctl %s %s = %q, want %s", q[0], unit, strings.TrimSpace(out), q[1])
			}
		}
	}
	if out, err := m.Exec(ctx, "nft", "list", "table", "inet", "crosscloud_mss"); err != nil || !strings.Contains(out, "maxseg size set 1350") {
		t.Errorf("MSS table: %v\n%s", err, out)
	}
	if out, _ := lab.InNS(ctx, m.NS, "cat", "/proc/sys/net/ipv4/ip_forward"); strings.TrimSpace(out) != "1" {
		t.Errorf("ip_forward in the gateway = %q, want 1", strings.TrimSpace(out))
	}
	for _, d := range []struct{ from, far, to string }{{hzNS, azNS, "10.1.1.4"}, {azNS, hzNS, "10.0.1.254"}} {
		res, err := lab.TCPProbe(ctx, d.from, d.far, d.to, port)
		t.Logf("TCP %s -> %s: SYN arrived with MSS %d; %d bytes echoed: %v (%v)", d.from, d.to, res.SYNMSS, res.Bytes, res.Echoed, err)
		if err != nil || !res.Echoed {
			t.Errorf("TCP %s -> %s through the tunnel: %+v, %v", d.from, d.to, res, err)
		}
		if res.SYNMSS <= 0 || res.SYNMSS > 1350 {
			t.Errorf("the SYN %s -> %s arrived with MSS %d; the gateway must clamp it to at most 1350", d.from, d.to, res.SYNMSS)
		}
	}
}

// waitImage waits until the plane has its gateway image: on a fresh
// machine that is a debootstrap (minutes, and longer while another test
// process builds it), which the boot limits below must not include.
func (ls *labSim) waitImage(t *testing.T) {
	t.Helper()
	eventually(t, 20*time.Minute, "the gateway image", func() bool {
		img, err := ls.plane.image()
		if err != nil && img == nil && strings.Contains(err.Error(), "still being prepared") {
			return false
		}
		if err != nil {
			t.Fatalf("gateway image: %v", err)
		}
		return true
	})
}
