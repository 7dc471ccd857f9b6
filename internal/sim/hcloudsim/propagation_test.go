package hcloudsim

import (
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// realFixture runs at real-world timings on a clock the test moves, so the
// propagation spans of propagation.go can be stepped over exactly.
func realFixture(t *testing.T) (*fixture, *fakeClock) {
	fc := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	f := newFixture(t, withClock(fc))
	f.env.Clock.Scale = 1
	return f, fc
}

// settleAction moves the clock past a's end and waits for it.
func (f *fixture) settleAction(t *testing.T, fc *fakeClock, acts ...*hcloud.Action) {
	t.Helper()
	fc.advance(time.Minute)
	if err := f.client.Action.WaitFor(ctx(t), acts...); err != nil {
		t.Fatal(err)
	}
}

// createServer creates a server without waiting on the clock.
func (f *fixture) createServer(t *testing.T, fc *fakeClock, name string) *hcloud.Server {
	t.Helper()
	res := f.startServer(t, name)
	f.settleAction(t, fc, append([]*hcloud.Action{res.Action}, res.NextActions...)...)
	return res.Server
}

func (f *fixture) attachIP(t *testing.T, s *hcloud.Server, n *hcloud.Network, ip string) (*hcloud.Action, error) {
	opts := hcloud.ServerAttachToNetworkOpts{Network: n}
	if ip != "" {
		opts.IP = net.ParseIP(ip)
	}
	a, _, err := f.client.Server.AttachToNetwork(ctx(t), s, opts)
	return a, err
}

// A subnet added with add_subnet takes no servers until it has propagated:
// the attach answers no_subnet_available, as terraform-provider-hcloud
// retries for; afterwards it works.
func TestSubnetTakesServersOnlyAfterPropagation(t *testing.T) {
	f, fc := realFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16")
	s := f.createServer(t, fc, "gw")
	a, _, err := f.client.Network.AddSubnet(ctx(t), n, hcloud.NetworkAddSubnetOpts{Subnet: hcloud.NetworkSubnet{
		Type: hcloud.NetworkSubnetTypeCloud, IPRange: cidr("10.0.1.0/24"), NetworkZone: hcloud.NetworkZoneEUCentral}})
	if err != nil {
		t.Fatal(err)
	}
	fc.advance(3 * time.Second) // add_subnet takes 1-3 s
	if err := f.client.Action.WaitFor(ctx(t), a); err != nil {
		t.Fatal(err)
	}
	// add_subnet has succeeded; the subnet needs another 90-150 s.
	for _, ip := range []string{"10.0.1.5", ""} {
		if _, err := f.attachIP(t, s, n, ip); !hcloud.IsError(err, hcloud.ErrorCodeNoSubnetAvailable) {
			t.Fatalf("attach %q right after add_subnet: %v, want no_subnet_available", ip, err)
		}
	}
	// A restarted emulator keeps the delay (it is part of the saved project).
	f.restore(t, f.sim)
	if _, err := f.attachIP(t, s, n, "10.0.1.5"); !hcloud.IsError(err, hcloud.ErrorCodeNoSubnetAvailable) {
		t.Fatalf("attach after a restart: %v, want no_subnet_available", err)
	}
	fc.advance(3 * time.Minute)
	a, err = f.attachIP(t, s, n, "10.0.1.5")
	if err != nil {
		t.Fatalf("attach after propagation: %v", err)
	}
	f.settleAction(t, fc, a)
	// Subnets a network is created with are ready at once (only add_subnet
	// is documented to lag).
	m := f.mustNetwork(t, "other", "10.8.0.0/16", "10.8.1.0/24")
	if _, err := f.attachIP(t, f.createServer(t, fc, "vm"), m, ""); err != nil {
		t.Fatalf("attach to a subnet created with the network: %v", err)
	}
}

// The private IP of a deleted server stays taken for a while: a replacement
// that pins it gets ip_not_available, then it is free. The firewall keeps
// listing the deleted server meanwhile: remove_from_resources answers
// firewall_resource_not_found and deleting the firewall resource_in_use.
func TestDeletedServerReleasesLate(t *testing.T) {
	f, fc := realFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	fwRes, _, err := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "fw"})
	if err != nil {
		t.Fatal(err)
	}
	old := f.createServer(t, fc, "old")
	a, err := f.attachIP(t, old, n, "10.0.1.5")
	if err != nil {
		t.Fatal(err)
	}
	f.settleAction(t, fc, a)
	acts, _, err := f.client.Firewall.ApplyResources(ctx(t), fwRes.Firewall, []hcloud.FirewallResource{{Type: "server", Server: &hcloud.FirewallResourceServer{ID: old.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	f.settleAction(t, fc, acts...)

	del, _, err := f.client.Server.DeleteWithResult(ctx(t), old)
	if err != nil {
		t.Fatal(err)
	}
	fc.advance(6 * time.Second) // delete_server takes 3-6 s
	if err := f.client.Action.WaitFor(ctx(t), del.Action); err != nil {
		t.Fatal(err)
	}
	repl := f.createServer(t, fc, "old") // the name is free at once; a minute passes
	fc.advance(time.Minute)
	if _, err := f.attachIP(t, repl, n, "10.0.1.5"); err != nil {
		t.Fatalf("two minutes after the delete the IP must be free again (span 60-90 s): %v", err)
	}

	// The same again, but attaching right after the delete.
	third := f.createServer(t, fc, "third")
	fw2, _, _ := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "fw2"})
	acts, _, _ = f.client.Firewall.ApplyResources(ctx(t), fw2.Firewall, []hcloud.FirewallResource{{Type: "server", Server: &hcloud.FirewallResourceServer{ID: repl.ID}}})
	f.settleAction(t, fc, acts...)
	del, _, err = f.client.Server.DeleteWithResult(ctx(t), repl)
	if err != nil {
		t.Fatal(err)
	}
	fc.advance(6 * time.Second)
	if err := f.client.Action.WaitFor(ctx(t), del.Action); err != nil {
		t.Fatal(err)
	}
	if _, err := f.attachIP(t, third, n, "10.0.1.5"); !hcloud.IsError(err, hcloud.ErrorCodeIPNotAvailable) {
		t.Fatalf("attach of the just-freed IP: %v, want ip_not_available", err)
	}
	if members, err := f.client.Network.AllMembers(ctx(t), n); err != nil || len(members) != 0 {
		t.Fatalf("members after the delete: %v, %v; a deleted server is no member", members, err)
	}
	fw, _, _ := f.client.Firewall.GetByID(ctx(t), fw2.Firewall.ID)
	if len(fw.AppliedTo) != 1 || fw.AppliedTo[0].Server.ID != repl.ID {
		t.Fatalf("applied_to right after the delete = %+v, want the deleted server still listed", fw.AppliedTo)
	}
	_, _, err = f.client.Firewall.RemoveResources(ctx(t), fw, fw.AppliedTo)
	if he := wantCode(t, err, hcloud.ErrorCodeFirewallResourceNotFound); he.Response().StatusCode != 404 {
		t.Errorf("firewall_resource_not_found with status %d, want 404", he.Response().StatusCode)
	}
	_, err = f.client.Firewall.Delete(ctx(t), fw)
	if he := wantCode(t, err, hcloud.ErrorCodeResourceInUse); he.Response().StatusCode != 422 {
		t.Errorf("resource_in_use with status %d, want 422", he.Response().StatusCode)
	}
	fc.advance(2 * time.Minute)
	if fw, _, _ = f.client.Firewall.GetByID(ctx(t), fw.ID); len(fw.AppliedTo) != 0 {
		t.Fatalf("applied_to after propagation = %+v", fw.AppliedTo)
	}
	if _, err := f.client.Firewall.Delete(ctx(t), fw); err != nil {
		t.Fatalf("delete after propagation: %v", err)
	}
	if _, err := f.attachIP(t, third, n, "10.0.1.5"); err != nil {
		t.Fatalf("attach after propagation: %v", err)
	}
}

// The delays are a function of the seed and the resource: two emulators
// given the same requests release at the same moment.
func TestPropagationIsSeeded(t *testing.T) {
	spans := func(seed string) []time.Duration {
		f := newFixture(t, withFaults("seed="+seed))
		f.env.Clock.Scale = 1
		var out []time.Duration
		for _, key := range []string{"1/10.0.1.0/24", "2/10.0.1.0/24", "7"} {
			out = append(out, f.sim.propagationDelay("subnet", key), f.sim.propagationDelay("private_ip", key))
		}
		return out
	}
	a, b, c := spans("4"), spans("4"), spans("5")
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different delays: %v vs %v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("different seeds, same delays: %v", a)
	}
	for i, d := range a {
		kind := []string{"subnet", "private_ip"}[i%2]
		span := propagationSeconds[kind]
		if d < time.Duration(span[0])*time.Second || d > time.Duration(span[1])*time.Second {
			t.Errorf("%s delay %v outside %v s", kind, d, span)
		}
	}
}

// GET /networks/{id}/members lists servers and load balancers with their
// IPs and subnets; an automatic IP skips a load balancer's, and pinning it
// answers ip_not_available.
func TestNetworkMembersIncludeLoadBalancers(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	lbRes, _, err := f.client.LoadBalancer.Create(ctx(t), hcloud.LoadBalancerCreateOpts{Name: "lb",
		LoadBalancerType: &hcloud.LoadBalancerType{Name: "lb11"}, NetworkZone: hcloud.NetworkZoneEUCentral,
		Network: n, PublicInterface: new(false)})
	if err != nil {
		t.Fatal(err)
	}
	lb := lbRes.LoadBalancer
	if len(lb.PrivateNet) != 1 || lb.PrivateNet[0].IP.String() != "10.0.1.1" {
		t.Fatalf("load balancer private net %+v, want 10.0.1.1", lb.PrivateNet)
	}
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "vm", Networks: []*hcloud.Network{n}})
	if got := s.PrivateNet[0].IP.String(); got != "10.0.1.2" {
		t.Fatalf("server got %s, want 10.0.1.2 (10.0.1.1 is the load balancer's)", got)
	}
	other := f.mustServer(t, hcloud.ServerCreateOpts{Name: "other"})
	if _, err := f.attachIP(t, other, n, "10.0.1.1"); !hcloud.IsError(err, hcloud.ErrorCodeIPNotAvailable) {
		t.Fatalf("attach with the load balancer's IP: %v, want ip_not_available", err)
	}
	members, err := f.client.Network.AllMembers(ctx(t), n)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range members {
		got = append(got, string(m.Type)+" "+m.IP.String()+" "+m.Subnet.String()+" "+string(m.Status))
	}
	slices.Sort(got)
	want := []string{"load_balancer 10.0.1.1 10.0.1.0/24 ok", "server 10.0.1.2 10.0.1.0/24 ok"}
	if !slices.Equal(got, want) {
		t.Fatalf("members = %q, want %q", got, want)
	}
	lbs, _, err := f.client.Network.ListMembers(ctx(t), n, hcloud.NetworkMemberListOpts{Type: []hcloud.NetworkMemberType{hcloud.NetworkMemberTypeLoadBalancer}})
	if err != nil || len(lbs) != 1 || lbs[0].ID != lb.ID {
		t.Fatalf("members of type load_balancer = %v, %v", lbs, err)
	}
	if nw := snapshotNetwork(t, f.sim, n.ID); !slices.Equal(nw.LoadBalancers, []int64{lb.ID}) {
		t.Fatalf("network.load_balancers = %v", nw.LoadBalancers)
	}
	res, _, err := f.client.LoadBalancer.DeleteWithResult(ctx(t), lb)
	if err != nil || f.client.Action.WaitFor(ctx(t), res.Action) != nil {
		t.Fatalf("delete load balancer: %v", err)
	}
	a, err := f.attachIP(t, other, n, "10.0.1.1")
	f.mustWait(t, "the deleted load balancer's IP", a, err)
}

// change_ip_range keeps the base address: a range may only get a shorter
// netmask, so 10.8.0.0/16 cannot become 10.0.0.0/12 although that contains
// it, and 10.1.0.0/16 cannot grow at all.
func TestChangeIPRangeKeepsTheBase(t *testing.T) {
	f := newFixture(t)
	change := func(n *hcloud.Network, to string) error {
		a, _, err := f.client.Network.ChangeIPRange(ctx(t), n, hcloud.NetworkChangeIPRangeOpts{IPRange: cidr(to)})
		if err == nil {
			err = f.client.Action.WaitFor(ctx(t), a)
		}
		return err
	}
	n := f.mustNetwork(t, "a", "10.8.0.0/16", "10.8.1.0/24")
	wantField(t, change(n, "10.0.0.0/12"), "ip_range")
	if err := change(n, "10.8.0.0/13"); err != nil {
		t.Fatalf("10.8.0.0/16 -> 10.8.0.0/13: %v", err)
	}
	got := snapshotNetwork(t, f.sim, n.ID)
	if got.IPRange != "10.8.0.0/13" || got.Subnets[0].Gateway != "10.8.0.1" {
		t.Fatalf("after the growth: range %s, subnet gateway %s", got.IPRange, got.Subnets[0].Gateway)
	}
	m := f.mustNetwork(t, "b", "10.1.0.0/16")
	wantField(t, change(m, "10.0.0.0/15"), "ip_range")
	if netip.MustParsePrefix(snapshotNetwork(t, f.sim, m.ID).IPRange) != netip.MustParsePrefix("10.1.0.0/16") {
		t.Fatal("a refused change_ip_range changed the range")
	}
}
