package cloudinit

import (
	"context"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// TestFailoverScriptMovesFloatingIPAndRoutes runs the rendered notify script
// with the real curl against the Hetzner emulator: the standby becomes
// master and must end up holding the Floating IP and every route, restart
// charon only once the address routes to it, and never log the token. The
// emulator runs the Floating IP and route actions at their real durations
// (WithRealTimeFailover), so the assign's change lands seconds after its 201. Only the paths under /run, /etc and
// /var/lib are pointed at a temporary directory, and systemctl and logger
// are stand-ins that record their arguments.
func TestFailoverScriptMovesFloatingIPAndRoutes(t *testing.T) {
	for _, tool := range []string{"curl", "python3", "flock"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env := &simenv.Env{Clock: &simenv.Clock{Scale: 0.001}, Token: testToken, Stats: &simenv.Stats{}}
	mux := http.NewServeMux()
	mux.Handle("/hcloud/v1/", http.StripPrefix("/hcloud/v1", hcloudsim.New(env, hcloudsim.WithRealTimeFailover())))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	c := hcloud.NewClient(hcloud.WithEndpoint(ts.URL+"/hcloud/v1"), hcloud.WithToken(testToken),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(250 * time.Millisecond)}))

	n, _, err := c.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: "net", IPRange: mustNet("10.0.0.0/12"),
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: mustNet("10.0.1.0/24"), NetworkZone: hcloud.NetworkZoneEUCentral}}})
	if err != nil {
		t.Fatal(err)
	}
	server := func(name string) (int64, netip.Addr) {
		res, _, err := c.Server.Create(ctx, hcloud.ServerCreateOpts{Name: name, ServerType: &hcloud.ServerType{Name: "cx23"},
			Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}, Networks: []*hcloud.Network{n}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Action.WaitFor(ctx, append([]*hcloud.Action{res.Action}, res.NextActions...)...); err != nil {
			t.Fatal(err)
		}
		s, _, err := c.Server.GetByID(ctx, res.Server.ID)
		if err != nil || len(s.PrivateNet) == 0 {
			t.Fatalf("server %s: %v (private nets %v)", name, err, s)
		}
		ip, _ := netip.AddrFromSlice(s.PrivateNet[0].IP)
		return s.ID, ip.Unmap()
	}
	activeID, activeIP := server("gw-a")
	standbyID, standbyIP := server("gw-b")
	fres, _, err := c.FloatingIP.Create(ctx, hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4,
		Server: &hcloud.Server{ID: activeID}, Name: new("fip")})
	if err != nil {
		t.Fatal(err)
	}
	dests := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.0/16")}
	for _, d := range dests {
		a, _, err := c.Network.AddRoute(ctx, n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: mustNet(d.String()), Gateway: activeIP.AsSlice()}})
		if err == nil {
			err = c.Action.WaitFor(ctx, a)
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	fip, _ := netip.AddrFromSlice(fres.FloatingIP.IP)
	g := haGateway()
	g.LocalAddress = fip.Unmap()
	g.RemotePrefixes = dests
	g.HA.FloatingIP, g.HA.FloatingIPID, g.HA.NetworkID = fip.Unmap(), fres.FloatingIP.ID, n.ID
	g.HA.PrivateIP, g.HA.PeerPrivateIP, g.HA.RouteDestinations = standbyIP, activeIP, dests
	g.HA.APIEndpoint = ts.URL + "/hcloud/v1"
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	record := filepath.Join(dir, "calls")
	curlrc := filepath.Join(dir, "curlrc")
	// The fake systemctl also records who holds the Floating IP when
	// charon is restarted: it must already be this server.
	holder := "if [ \"$1\" = restart ]; then echo \"holder at restart: $(curl --silent --config " + curlrc + " " +
		g.HA.APIEndpoint + "/floating_ips/" + strconv.FormatInt(g.HA.FloatingIPID, 10) +
		" | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"floating_ip\"][\"server\"])')\" >> " + record + "; fi\n"
	for _, tool := range []string{"systemctl", "logger"} {
		fake := "#!/bin/sh\necho \"" + tool + " $*\" >> " + record + "\n"
		if tool == "systemctl" {
			fake += holder
		}
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(fake), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(curlrc, []byte(curlConfig(g.HA)), 0o600); err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(dir, "instance-id")
	if err := os.WriteFile(idFile, []byte(strconv.FormatInt(standbyID, 10)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := failoverScript(g)
	for prefix, value := range map[string]string{
		"CURLRC=": "'" + curlrc + "'", "STATE_FILE=": filepath.Join(dir, "state"), "LOCK_FILE=": filepath.Join(dir, "lock"),
		"INSTANCE_ID_FILE=": idFile, "ATTEMPTS=": "20",
	} {
		script = replaceLine(t, script, prefix, prefix+value)
	}
	run := func(state string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", script, "crosscloud-failover", state)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", state, err, out)
		}
		calls, _ := os.ReadFile(record)
		os.Remove(record)
		if strings.Contains(string(out)+string(calls), testToken) {
			t.Fatalf("%s: the token reached the output or the log:\n%s\n%s", state, out, calls)
		}
		return string(calls)
	}
	check := func(when string) {
		t.Helper()
		// The script returns once each add_route is accepted; its change
		// lands when the action finishes.
		for {
			running, err := c.Network.Action.AllFor(ctx, n, hcloud.ActionListOpts{Status: []hcloud.ActionStatus{hcloud.ActionStatusRunning}})
			if err != nil {
				t.Fatal(err)
			}
			if len(running) == 0 {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		f, _, err := c.FloatingIP.GetByID(ctx, fres.FloatingIP.ID)
		if err != nil || f.Server == nil || f.Server.ID != standbyID {
			t.Fatalf("%s: Floating IP held by %v (%v), want server %d", when, f.Server, err, standbyID)
		}
		got, _, err := c.Network.GetByID(ctx, n.ID)
		if err != nil || len(got.Routes) != len(dests) {
			t.Fatalf("%s: routes %v (%v)", when, got.Routes, err)
		}
		for _, r := range got.Routes {
			if gw, _ := netip.AddrFromSlice(r.Gateway); gw.Unmap() != standbyIP {
				t.Errorf("%s: route %s via %s, want %s", when, r.Destination, r.Gateway, standbyIP)
			}
		}
	}

	start := time.Now()
	calls := run("master")
	t.Logf("failover through the emulator took %s:\n%s", time.Since(start).Round(time.Millisecond), calls)
	check("after master")
	if !strings.Contains(calls, "systemctl restart "+StrongswanUnitName) {
		t.Errorf("master did not restart charon: %s", calls)
	}
	if want := "holder at restart: " + strconv.FormatInt(standbyID, 10) + "\n"; !strings.Contains(calls, want) {
		t.Errorf("charon was restarted before the assign action finished (want %q): %s", want, calls)
	}
	// Again (keepalived may re-enter MASTER): nothing to move, still fine.
	calls = run("master")
	check("after a second master")
	if !strings.Contains(calls, "already assigned to this server") || !strings.Contains(calls, "is in place") {
		t.Errorf("the second run did not notice the work was done: %s", calls)
	}
	if calls := run("backup"); !strings.Contains(calls, "systemctl stop "+StrongswanUnitName) {
		t.Errorf("backup did not stop charon: %s", calls)
	}

	// ready (cloud-init's last command) adds the ready label and keeps the
	// labels Terraform set: ownership and the configuration hash.
	if _, _, err := c.Server.Update(ctx, &hcloud.Server{ID: standbyID}, hcloud.ServerUpdateOpts{
		Labels: map[string]string{"crosscloud.dev/link": "l", "crosscloud.dev/config": "abc"}}); err != nil {
		t.Fatal(err)
	}
	if calls := run("ready"); !strings.Contains(calls, "systemctl is-active --quiet "+KeepalivedUnitName) || !strings.Contains(calls, "reported ready") {
		t.Errorf("ready did not check keepalived and report: %s", calls)
	}
	srv, _, err := c.Server.GetByID(ctx, standbyID)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"crosscloud.dev/link": "l", "crosscloud.dev/config": "abc", ReadyLabel: "true"}; !maps.Equal(srv.Labels, want) {
		t.Fatalf("labels after ready: %v, want %v", srv.Labels, want)
	}
}

func mustNet(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}
