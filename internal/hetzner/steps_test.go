package hetzner

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

func TestEnsureNetworkAdoptsOwnRefusesForeign(t *testing.T) {
	e := newEmu(t, 0.0001)
	spec := NetworkSpec{Name: "hel1-weu", IPRange: mustPrefix("10.0.0.0/12"), Labels: Labels("hel1-weu")}
	n1, created, err := EnsureNetwork(tctx(t), e.c, spec)
	if err != nil || !created {
		t.Fatalf("first EnsureNetwork = %v created=%v", err, created)
	}
	n2, created, err := EnsureNetwork(tctx(t), e.c, spec)
	if err != nil || created || n2.ID != n1.ID {
		t.Fatalf("second EnsureNetwork = id %d created=%v err=%v, want adopt id %d", n2.ID, created, err, n1.ID)
	}
	if all, _ := e.c.Network.All(tctx(t)); len(all) != 1 {
		t.Fatalf("%d networks after two ensures, want 1", len(all))
	}
	// A larger range in the spec grows the adopted network.
	spec.IPRange = mustPrefix("10.0.0.0/8")
	n3, _, err := EnsureNetwork(tctx(t), e.c, spec)
	if rng, _, _ := NetworkFacts(n3); err != nil || rng != spec.IPRange {
		t.Fatalf("EnsureNetwork with a larger range: range %v err %v", rng, err)
	}

	e.network(t, "theirs", "10.0.0.0/16")
	_, _, err = EnsureNetwork(tctx(t), e.c, NetworkSpec{Name: "theirs", IPRange: mustPrefix("10.0.0.0/16"), Labels: Labels("theirs")})
	var fe *ownership.Error
	if !errors.As(err, &fe) || fe.Name != "theirs" {
		t.Fatalf("want *ownership.Error for a network without our labels, got %v", err)
	}
}

func TestEnsureSubnetTwiceAndDelete(t *testing.T) {
	e := newEmu(t, 0.0001)
	n := e.network(t, "net", "10.0.0.0/12")
	sub := mustPrefix("10.0.1.0/24")
	for i, want := range []bool{true, false} {
		created, err := EnsureSubnet(tctx(t), e.c, n.ID, "eu-central", sub)
		if err != nil || created != want {
			t.Fatalf("EnsureSubnet #%d = created %v err %v, want created %v", i+1, created, err, want)
		}
	}
	if _, subnets, _ := NetworkFacts(e.get(t, n.ID)); len(subnets) != 1 || subnets[0] != sub {
		t.Fatalf("subnets = %v, want [%s]", subnets, sub)
	}
	if _, err := EnsureSubnet(tctx(t), e.c, n.ID, "us-east", sub); err == nil {
		t.Fatal("an existing subnet in another zone must be refused")
	}
	for i := range 2 {
		if err := DeleteSubnet(tctx(t), e.c, n.ID, sub); err != nil {
			t.Fatalf("DeleteSubnet #%d: %v", i+1, err)
		}
	}
	if _, subnets, _ := NetworkFacts(e.get(t, n.ID)); len(subnets) != 0 {
		t.Fatalf("subnets after delete = %v", subnets)
	}
	for i := range 2 {
		if err := DeleteNetwork(tctx(t), e.c, n.ID); err != nil {
			t.Fatalf("DeleteNetwork #%d: %v", i+1, err)
		}
	}
	if err := DeleteSubnet(tctx(t), e.c, n.ID, sub); err != nil {
		t.Fatalf("DeleteSubnet on a deleted network: %v", err)
	}
}

func TestEnsurePrimaryIPTwice(t *testing.T) {
	e := newEmu(t, 0.0001)
	spec := PrimaryIPSpec{Name: "l-gw-ipv4", Location: "nbg1", Labels: Labels("l")}
	a, err := EnsurePrimaryIP(tctx(t), e.c, spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := EnsurePrimaryIP(tctx(t), e.c, spec)
	if err != nil || b.ID != a.ID || !b.IP.Equal(a.IP) {
		t.Fatalf("second EnsurePrimaryIP = %v %v, want adopt of %d", b, err, a.ID)
	}
	if a.AutoDelete || a.Type != hcloud.PrimaryIPTypeIPv4 {
		t.Fatalf("primary IP must be IPv4 with auto_delete=false (it outlives server replacements): %+v", a)
	}
	if all, _ := e.c.PrimaryIP.All(tctx(t)); len(all) != 1 {
		t.Fatalf("%d primary IPs, want 1", len(all))
	}
	if _, err := EnsurePrimaryIP(tctx(t), e.c, PrimaryIPSpec{Name: spec.Name, Location: "nbg1", Labels: Labels("other")}); err == nil {
		t.Fatal("another link must not adopt this primary IP")
	}
	for i := range 2 {
		if err := DeletePrimaryIP(tctx(t), e.c, a.ID); err != nil {
			t.Fatalf("DeletePrimaryIP #%d: %v", i+1, err)
		}
	}
	if got, err := GetPrimaryIP(tctx(t), e.c, a.ID); got != nil || err != nil {
		t.Fatalf("GetPrimaryIP after delete = %v %v, want nil nil", got, err)
	}
}

func TestEnsureFirewallTwiceConvergesRules(t *testing.T) {
	e := newEmu(t, 0.0001)
	spec := FirewallSpec{Name: "l-gw-fw", PeerIPv4: mustAddr("198.51.100.7"), Labels: Labels("l")}
	fw, err := EnsureFirewall(tctx(t), e.c, spec)
	if err != nil {
		t.Fatal(err)
	}
	before := e.mutations()
	if again, err := EnsureFirewall(tctx(t), e.c, spec); err != nil || again.ID != fw.ID {
		t.Fatalf("second EnsureFirewall = %v %v", again, err)
	}
	if d := e.mutations() - before; d != 0 {
		t.Errorf("unchanged firewall: %d mutations, want 0", d)
	}
	// Open SSH: the adopted firewall gets its rules replaced.
	spec.SSHCIDRs = []netip.Prefix{mustPrefix("203.0.113.0/24")}
	if _, err := EnsureFirewall(tctx(t), e.c, spec); err != nil {
		t.Fatal(err)
	}
	live, err := GetFirewall(tctx(t), e.c, fw.ID)
	if err != nil || live == nil {
		t.Fatal(err)
	}
	if d := FirewallDrift(live, spec); len(d) != 0 {
		t.Fatalf("firewall not converged: %q", d)
	}
	if all, _ := e.c.Firewall.All(tctx(t)); len(all) != 1 {
		t.Fatalf("%d firewalls, want 1", len(all))
	}
	if _, err := EnsureFirewall(tctx(t), e.c, FirewallSpec{Name: spec.Name, PeerIPv4: spec.PeerIPv4, Labels: Labels("other")}); err == nil {
		t.Fatal("another link must not adopt this firewall")
	}
}

func TestEnsureServerTwiceReplaceAndDelete(t *testing.T) {
	g := newGateway(t, "cx23")
	e, spec, ctx := g.e, g.spec, tctx(t)
	n, fw := &hcloud.Network{ID: spec.NetworkID}, &hcloud.Firewall{ID: spec.FirewallID}
	ip, err := GetPrimaryIP(ctx, e.c, spec.PrimaryIPID)
	if err != nil || ip == nil {
		t.Fatal(err)
	}
	check := func(srv *hcloud.Server) {
		t.Helper()
		if got := ServerPrivateIPs(srv, n.ID); len(got) != 1 || got[0] != spec.PrivateIP {
			t.Errorf("server %d private IPs %v, want [%s]", srv.ID, got, spec.PrivateIP)
		}
		if !srv.PublicNet.IPv4.IP.Equal(ip.IP) {
			t.Errorf("server public IPv4 %v, want the primary IP %v", srv.PublicNet.IPv4.IP, ip.IP)
		}
		if len(srv.PublicNet.Firewalls) != 1 || srv.PublicNet.Firewalls[0].Firewall.ID != fw.ID {
			t.Errorf("server firewalls %v, want [%d]", srv.PublicNet.Firewalls, fw.ID)
		}
	}
	s1 := g.srv
	check(s1)
	s2, err := EnsureServer(ctx, e.c, spec)
	if err != nil || s2.ID != s1.ID {
		t.Fatalf("second EnsureServer = %v %v, want adopt of %d", s2, err, s1.ID)
	}
	if all, _ := e.c.Server.All(ctx); len(all) != 1 {
		t.Fatalf("%d servers, want 1", len(all))
	}
	used, err := UsedPrivateIPs(ctx, e.c, n.ID)
	if err != nil || len(used) != 1 || used[0] != spec.PrivateIP {
		t.Fatalf("UsedPrivateIPs = %v %v", used, err)
	}

	s3, err := ReplaceServer(ctx, e.c, s1.ID, spec)
	if err != nil {
		t.Fatal(err)
	}
	if s3.ID == s1.ID {
		t.Fatal("ReplaceServer kept the old server")
	}
	check(s3)

	for i := range 2 {
		if err := DeleteServer(ctx, e.c, s3.ID); err != nil {
			t.Fatalf("DeleteServer #%d: %v", i+1, err)
		}
	}
	if got, err := GetServer(ctx, e.c, s3.ID); got != nil || err != nil {
		t.Fatalf("GetServer after delete = %v %v", got, err)
	}
	// Right after the server's delete, Hetzner still lists it in the
	// firewall (firewall_resource_not_found on remove, resource_in_use on
	// delete): both are waited out.
	for i := range 2 {
		if err := DeleteFirewall(ctx, e.c, fw.ID); err != nil {
			t.Fatalf("DeleteFirewall #%d: %v", i+1, err)
		}
	}
}

func TestEnsureServerRefusesForeign(t *testing.T) {
	e := newEmu(t, 0.0001)
	res, _, err := e.c.Server.Create(tctx(t), hcloud.ServerCreateOpts{Name: "l-gw", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = EnsureServer(tctx(t), e.c, ServerSpec{Name: "l-gw", ServerType: "cx23", Image: "debian-12", Location: "nbg1", Labels: Labels("l")})
	var fe *ownership.Error
	if !errors.As(err, &fe) || fe.ID != strconv.FormatInt(res.Server.ID, 10) {
		t.Fatalf("want *ownership.Error for server %d, got %v", res.Server.ID, err)
	}
}

func TestDeleteFirewallStillApplied(t *testing.T) {
	e := newEmu(t, 0.0001)
	fw, err := EnsureFirewall(tctx(t), e.c, FirewallSpec{Name: "fw", PeerIPv4: mustAddr("198.51.100.7"), Labels: Labels("l")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.c.Server.Create(tctx(t), hcloud.ServerCreateOpts{Name: "s", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"},
		Firewalls: []*hcloud.ServerCreateFirewall{{Firewall: hcloud.Firewall{ID: fw.ID}}}}); err != nil {
		t.Fatal(err)
	}
	if err := DeleteFirewall(tctx(t), e.c, fw.ID); err != nil {
		t.Fatalf("DeleteFirewall of an applied firewall: %v", err)
	}
	if got, _ := GetFirewall(tctx(t), e.c, fw.ID); got != nil {
		t.Fatal("firewall still exists")
	}
}

// Injected server errors, rate limits and dropped connections must not fail
// an ensure step: the adapter retries and, thanks to lookup-by-name, never
// creates twice.
func TestEnsureStepsSurviveFaults(t *testing.T) {
	f, err := simenv.ParseFaults("error_rate=0.2,drop_rate=0.05,seed=11")
	if err != nil {
		t.Fatal(err)
	}
	e := newFaultyEmu(t, 0.0001, f)
	spec := NetworkSpec{Name: "faulty", IPRange: mustPrefix("10.0.0.0/12"), Labels: Labels("faulty")}
	n, _, err := EnsureNetwork(tctx(t), e.c, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureSubnet(tctx(t), e.c, n.ID, "eu-central", mustPrefix("10.0.1.0/24")); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16"} {
		if err := EnsureRoute(tctx(t), e.c, n.ID, mustPrefix(d), mustAddr("10.0.1.1")); err != nil {
			t.Fatal(err)
		}
	}
	var all []*hcloud.Network
	if err := Retry(tctx(t), "list", func(ctx context.Context) (err error) {
		all, err = e.c.Network.All(ctx)
		return err
	}); err != nil || len(all) != 1 {
		t.Fatalf("%d networks (%v), want 1", len(all), err)
	}
	if _, _, routes := NetworkFacts(e.get(t, n.ID)); len(routes) != 3 {
		t.Fatalf("routes = %v", routes)
	}
}

// Actions that run and fail (a backend hiccup) are re-driven: every step
// re-reads state, so repeating it converges instead of failing the apply.
// The fault stream is seeded and the steps run one after another, so the
// same actions fail on every run.
func TestFailedActionsAreRedriven(t *testing.T) {
	f, err := simenv.ParseFaults("lro_failure_rate=0.3,seed=5")
	if err != nil {
		t.Fatal(err)
	}
	e := newFaultyEmu(t, 0.0001, f)
	n, _, err := EnsureNetwork(tctx(t), e.c, NetworkSpec{Name: "redrive", IPRange: mustPrefix("10.0.0.0/12"), Labels: Labels("redrive")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureSubnet(tctx(t), e.c, n.ID, "eu-central", mustPrefix("10.0.1.0/24")); err != nil {
		t.Fatal(err)
	}
	dests := []string{"10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"}
	for _, d := range dests {
		if err := EnsureRoute(tctx(t), e.c, n.ID, mustPrefix(d), mustAddr("10.0.1.1")); err != nil {
			t.Fatalf("route %s: %v", d, err)
		}
	}
	if _, _, routes := NetworkFacts(e.get(t, n.ID)); len(routes) != len(dests) {
		t.Fatalf("routes = %v", routes)
	}
	for _, d := range dests {
		if err := DeleteRoute(tctx(t), e.c, n.ID, mustPrefix(d)); err != nil {
			t.Fatalf("delete route %s: %v", d, err)
		}
	}
	if _, _, routes := NetworkFacts(e.get(t, n.ID)); len(routes) != 0 {
		t.Fatalf("routes left: %v", routes)
	}
}

// An adopted network whose range would need a moved base address to become
// the spec's is refused with the reason, before any change: Hetzner only
// shortens the mask of a range.
func TestEnsureNetworkRefusesAMovedBase(t *testing.T) {
	e := newEmu(t, 0.0001)
	spec := NetworkSpec{Name: "l", IPRange: mustPrefix("10.1.0.0/16"), Labels: Labels("l")}
	if _, _, err := EnsureNetwork(tctx(t), e.c, spec); err != nil {
		t.Fatal(err)
	}
	before := e.mutations()
	spec.IPRange = mustPrefix("10.0.0.0/8")
	_, _, err := EnsureNetwork(tctx(t), e.c, spec)
	if err == nil || !strings.Contains(err.Error(), "base address 10.1.0.0 stays") {
		t.Fatalf("EnsureNetwork to a range with another base = %v", err)
	}
	if d := e.mutations() - before; d != 0 {
		t.Fatalf("%d mutations", d)
	}
}
