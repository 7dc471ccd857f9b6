package hetzner

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
)

// routed is the start of the route tests: a network with the subnet
// 10.0.1.0/24 and the route dest (10.1.0.0/16) via gw (10.0.1.1).
func routed(t *testing.T) (e *emu, n *hcloud.Network, dest netip.Prefix, gw netip.Addr) {
	t.Helper()
	e = newEmu(t, 0.0001)
	n = e.network(t, "net", "10.0.0.0/12", "10.0.1.0/24")
	dest, gw = mustPrefix("10.1.0.0/16"), mustAddr("10.0.1.1")
	if err := EnsureRoute(tctx(t), e.c, n.ID, dest, gw); err != nil {
		t.Fatal(err)
	}
	return e, n, dest, gw
}

func TestEnsureRouteTwiceAddsOneRoute(t *testing.T) {
	e, n, dest, gw := routed(t)
	before := e.mutations()
	if err := EnsureRoute(tctx(t), e.c, n.ID, dest, gw); err != nil {
		t.Fatalf("second EnsureRoute: %v", err)
	}
	if d := e.mutations() - before; d != 0 {
		t.Errorf("second EnsureRoute made %d mutations, want 0", d)
	}
	_, _, routes := NetworkFacts(e.get(t, n.ID))
	if want := []addrplan.Route{{Destination: dest, Gateway: gw}}; !slices.Equal(routes, want) {
		t.Fatalf("routes = %v, want %v", routes, want)
	}
	got, found, _, err := FindRoute(tctx(t), e.c, n.ID, dest)
	if err != nil || !found || got != gw {
		t.Fatalf("FindRoute = %v %v %v, want %v", got, found, err, gw)
	}
}

func TestEnsureRouteMovesGateway(t *testing.T) {
	e, n, dest, _ := routed(t)
	if err := EnsureRoute(tctx(t), e.c, n.ID, dest, mustAddr("10.0.1.2")); err != nil {
		t.Fatalf("changing the gateway: %v", err)
	}
	_, _, routes := NetworkFacts(e.get(t, n.ID))
	if want := []addrplan.Route{{Destination: dest, Gateway: mustAddr("10.0.1.2")}}; !slices.Equal(routes, want) {
		t.Fatalf("routes = %v, want %v", routes, want)
	}
}

func TestEnsureRouteRefusedByAPINamesRoute(t *testing.T) {
	e := newEmu(t, 0.0001)
	n := e.network(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	// Overlapping a subnet: the API refuses it (invalid_input), and that
	// is not retried.
	err := EnsureRoute(tctx(t), e.c, n.ID, mustPrefix("10.0.1.0/25"), mustAddr("10.0.1.1"))
	if err == nil || !strings.Contains(err.Error(), "10.0.1.0/25") || IsTransient(err) {
		t.Fatalf("want a permanent error naming the route, got %v", err)
	}
	if err := EnsureRoute(tctx(t), e.c, 999999, mustPrefix("10.0.9.0/24"), mustAddr("10.0.1.1")); err == nil ||
		!strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing network: got %v", err)
	}
}

// Hetzner answers `locked` while another action runs on the network; many
// routes added at once must all land, none fail.
func TestEnsureRouteConcurrentOnOneNetwork(t *testing.T) {
	e := newEmu(t, 0.01) // actions take 10-30 ms, so the calls collide
	n := e.network(t, "net", "10.0.0.0/8", "10.0.1.0/24")
	const count = 8
	var wg sync.WaitGroup
	errs := make([]error, count)
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dest := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(10 + i), 0, 0}), 16)
			errs[i] = EnsureRoute(tctx(t), e.c, n.ID, dest, mustAddr("10.0.1.1"))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("route %d: %v", i, err)
		}
	}
	if _, _, routes := NetworkFacts(e.get(t, n.ID)); len(routes) != count {
		t.Fatalf("network has %d routes, want %d: %v", len(routes), count, routes)
	}
}

func TestDeleteRouteIdempotent(t *testing.T) {
	e, n, dest, _ := routed(t)
	for i := range 2 {
		if err := DeleteRoute(tctx(t), e.c, n.ID, dest); err != nil {
			t.Fatalf("DeleteRoute #%d: %v", i+1, err)
		}
	}
	if _, found, _, _ := FindRoute(tctx(t), e.c, n.ID, dest); found {
		t.Fatal("route still there")
	}
	if err := DeleteNetwork(tctx(t), e.c, n.ID); err != nil {
		t.Fatal(err)
	}
	if err := DeleteRoute(tctx(t), e.c, n.ID, dest); err != nil {
		t.Fatalf("DeleteRoute on a deleted network: %v", err)
	}
	if _, found, net, err := FindRoute(tctx(t), e.c, n.ID, dest); found || net != nil || err != nil {
		t.Fatalf("FindRoute on a deleted network = %v %v %v, want not found, nil network, nil error", found, net, err)
	}
}

func TestEnsureRangeCovers(t *testing.T) {
	tests := []struct {
		rng, dest string
		want      string
		changed   bool
		errSubstr string
	}{
		{rng: "10.0.0.0/16", dest: "10.1.0.0/16", want: "10.0.0.0/15", changed: true},
		{rng: "10.0.0.0/12", dest: "10.1.0.0/16", want: "10.0.0.0/12"},
		{rng: "10.0.0.0/16", dest: "10.200.0.0/16", want: "10.0.0.0/8", changed: true},
		{rng: "192.168.0.0/16", dest: "10.1.0.0/16", errSubstr: "No RFC1918 range covers"},
		// change_ip_range keeps the base address: these need one that moved.
		{rng: "10.1.0.0/16", dest: "10.0.5.0/24", errSubstr: "largest range this network can have is 10.1.0.0/16"},
		{rng: "10.8.0.0/16", dest: "10.1.0.0/16", errSubstr: "such as 10.0.0.0/12"},
	}
	for _, tt := range tests {
		t.Run(tt.rng+"+"+tt.dest, func(t *testing.T) {
			e := newEmu(t, 0.0001)
			n := e.network(t, "net", tt.rng)
			before := e.mutations()
			got, changed, err := EnsureRangeCovers(tctx(t), e.c, n.ID, mustPrefix(tt.dest))
			if tt.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSubstr) {
					t.Fatalf("want error containing %q, got %v", tt.errSubstr, err)
				}
				if d := e.mutations() - before; d != 0 {
					t.Fatalf("a refused growth made %d API mutations", d)
				}
				return
			}
			if err != nil || got != mustPrefix(tt.want) || changed != tt.changed {
				t.Fatalf("EnsureRangeCovers = %v %v %v, want %s %v", got, changed, err, tt.want, tt.changed)
			}
			if rng, _, _ := NetworkFacts(e.get(t, n.ID)); rng != mustPrefix(tt.want) {
				t.Fatalf("live range %v, want %s", rng, tt.want)
			}
			// The route is now accepted.
			if err := EnsureRoute(tctx(t), e.c, n.ID, mustPrefix(tt.dest), addrplan.NetworkRouterIP(mustPrefix(tt.rng)).Next()); err != nil {
				t.Fatalf("route after growth: %v", err)
			}
		})
	}
}
