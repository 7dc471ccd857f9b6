package lab

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidatePrefix(t *testing.T) {
	for p, ok := range map[string]bool{"ccl-": true, "cl123e-": true, "": false, "-": false, "c-": false, "ccl": false,
		"CCL-": false, "1cl-": false, "ccl_": false, "averyveryverylong-": false, "a b-": false} {
		if err := ValidatePrefix(p); (err == nil) != ok {
			t.Errorf("ValidatePrefix(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}

func TestCheckIfName(t *testing.T) {
	for name, ok := range map[string]bool{"eth0": true, "p12": true, "123456789012345": true, "1234567890123456": false, "": false, "a/b": false} {
		if err := checkIfName(name); (err == nil) != ok {
			t.Errorf("checkIfName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestLastHost(t *testing.T) {
	for p, want := range map[string]string{"10.0.1.0/24": "10.0.1.254", "203.0.113.0/24": "203.0.113.254",
		"10.0.0.0/12": "10.15.255.254", "10.1.2.0/27": "10.1.2.30", "10.1.2.77/24": "10.1.2.254"} {
		if got := lastHost(netip.MustParsePrefix(p)).String(); got != want {
			t.Errorf("lastHost(%s) = %s, want %s", p, got, want)
		}
	}
}

func TestTracerouteHops(t *testing.T) {
	out := "traceroute to 10.1.1.4 (10.1.1.4), 6 hops max, 60 byte packets\n 1  10.0.0.1  0.079 ms\n 2  *\n 3  10.1.1.4  0.827 ms\n"
	if got := strings.Join(tracerouteHops(out), " "); got != "10.0.0.1 * 10.1.1.4" {
		t.Errorf("tracerouteHops = %s", got)
	}
}

// routerRoutes returns the router's network routes as "dst via gw".
func routerRoutes(t *testing.T, ctx context.Context, l *Lab) []string {
	t.Helper()
	out, err := ipCmd(ctx, l.RouterNS(), "-4", "route", "show", "proto", protoLab)
	if err != nil {
		t.Fatal(err)
	}
	var rs []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			rs = append(rs, f[0]+" via "+f[2])
		}
	}
	slices.Sort(rs)
	return rs
}

func TestLabBuildServersAndRoutes(t *testing.T) {
	ctx := labContext(t, 30*time.Second)
	prefix := testPrefix("b")
	l := buildOrigin(t, ctx, prefix)

	var hosts []string
	for _, h := range l.Hosts() {
		hosts = append(hosts, strings.TrimPrefix(h.Name, prefix)+"/"+h.Cloud+"/"+h.Role+"/"+h.IP)
	}
	slices.Sort(hosts)
	want := []string{"agw/azure/gateway/198.51.100.10", "aprobe0/azure/probe/10.1.1.4", "h-gw/hcloud/gateway/10.0.1.1",
		"h-worker/hcloud/server/10.0.1.2", "hprobe0/hcloud/probe/10.0.1.254", "hrouter/hcloud/router/10.0.0.1"}
	if !slices.Equal(hosts, want) {
		t.Errorf("Hosts = %v, want %v", hosts, want)
	}

	// A Hetzner server's addressing: /32, on-link router, network via router.
	worker, _ := l.ServerNS("worker")
	addr, _ := ipCmd(ctx, worker, "-4", "-br", "addr", "show", "eth1")
	routes, _ := ipCmd(ctx, worker, "-4", "route")
	if !strings.Contains(addr, "10.0.1.2/32") || !strings.Contains(routes, "10.0.0.0/12 via 10.0.0.1 dev eth1") ||
		!strings.Contains(routes, "10.0.0.1 dev eth1 scope link") {
		t.Errorf("worker addressing:\n%s\n%s", addr, routes)
	}
	// The worker reaches the gateway and the subnet probe only through the router.
	if out, err := InNS(ctx, worker, "ping", "-c", "1", "-W", "2", "10.0.1.254"); err != nil {
		t.Errorf("worker -> Hetzner probe: %v\n%s", err, out)
	}
	if out, err := InNS(ctx, worker, "ping", "-c", "1", "-W", "2", "203.0.113.10"); err == nil {
		t.Errorf("a server without a public IP reached the internet segment:\n%s", out)
	}

	if got := routerRoutes(t, ctx, l); !slices.Equal(got, []string{"10.1.0.0/16 via 10.0.1.1"}) {
		t.Errorf("router routes after Build = %v", got)
	}
	r := func(dst, gw string) Route {
		return Route{Destination: netip.MustParsePrefix(dst), Gateway: netip.MustParseAddr(gw)}
	}
	for _, step := range []struct {
		routes  []Route
		want    []string
		wantErr string
	}{
		{[]Route{r("10.1.0.0/16", "10.0.1.2"), r("10.2.0.0/16", "10.0.1.1")}, []string{"10.1.0.0/16 via 10.0.1.2", "10.2.0.0/16 via 10.0.1.1"}, ""},
		{[]Route{r("10.2.0.0/16", "10.0.1.1")}, []string{"10.2.0.0/16 via 10.0.1.1"}, ""},
		{[]Route{r("10.2.0.0/16", "10.0.1.1")}, []string{"10.2.0.0/16 via 10.0.1.1"}, ""}, // idempotent
		{[]Route{r("0.0.0.0/0", "10.0.1.1"), r("10.3.0.0/16", "10.0.9.9")}, []string{"default via 10.0.1.1"}, "10.3.0.0/16 -> 10.0.9.9"},
		{nil, nil, ""},
	} {
		err := l.ApplyRoutes(ctx, step.routes)
		if step.wantErr == "" && err != nil || step.wantErr != "" && (err == nil || !strings.Contains(err.Error(), step.wantErr)) {
			t.Errorf("ApplyRoutes(%v) error = %v, want %q", step.routes, err, step.wantErr)
		}
		if got := routerRoutes(t, ctx, l); !slices.Equal(got, step.want) {
			t.Errorf("ApplyRoutes(%v): router has %v, want %v", step.routes, got, step.want)
		}
	}

	// Servers come and go as the Hetzner API creates and deletes them.
	ns, err := l.AddServer(ctx, Server{Name: "Web 1", PrivateIP: netip.MustParseAddr("10.0.1.3")})
	if err != nil {
		t.Fatalf("AddServer: %v", err)
	}
	if out, err := InNS(ctx, ns, "ping", "-c", "1", "-W", "2", "10.0.1.2"); err != nil {
		t.Errorf("new server -> worker: %v\n%s", err, out)
	}
	if _, err := l.AddServer(ctx, Server{Name: "Web 1"}); err == nil {
		t.Errorf("adding a server twice must fail")
	}
	if _, err := l.AddServer(ctx, Server{Name: "x", PublicIP: netip.MustParseAddr("192.0.2.1")}); err == nil || !strings.Contains(err.Error(), "public segments") {
		t.Errorf("a public IP outside the lab's segments must be refused, got %v", err)
	}
	if err := l.RemoveServer(ctx, "Web 1"); err != nil {
		t.Fatal(err)
	}
	if left, _ := ListNS(ctx, ns); len(left) != 0 {
		t.Errorf("RemoveServer left %v", left)
	}
}

func TestBuildRejectsBadInput(t *testing.T) {
	good := originTopology("ccl-")
	for _, tc := range []struct {
		name    string
		mutate  func(*Topology)
		wantErr string
	}{
		{"empty prefix sweeps everything", func(t *Topology) { t.Prefix = "" }, "prefix"},
		{"ipv6 network", func(t *Topology) { t.Hetzner.NetworkRange = netip.MustParsePrefix("fd00::/64") }, "IPv4"},
		{"router outside network", func(t *Topology) { t.Hetzner.RouterIP = netip.MustParseAddr("10.99.0.1") }, "router IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			top := good
			tc.mutate(&top)
			if _, err := Build(context.Background(), top); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Build error = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}
