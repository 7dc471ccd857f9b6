package hetzner

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
)

// pair is a gateway pair in one emulated project: the first server of
// newGateway (10.0.1.5) and a second one on the same network (10.0.1.6).
type pair struct {
	*gateway
	second *hcloud.Server
}

func newPair(t *testing.T) *pair {
	t.Helper()
	g := newGateway(t, "cx23")
	ctx := tctx(t)
	ip, err := EnsurePrimaryIP(ctx, g.e.c, PrimaryIPSpec{Name: "l-gw2-ipv4", Location: "fsn1", Labels: Labels("l")})
	if err != nil {
		t.Fatal(err)
	}
	spec := g.spec
	spec.Name, spec.Location, spec.PrimaryIPID, spec.PrivateIP = "l-gw2", "fsn1", ip.ID, mustAddr("10.0.1.6")
	srv, err := EnsureServer(ctx, g.e.c, spec)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{gateway: g, second: srv}
}

func fipSpec() FloatingIPSpec {
	return FloatingIPSpec{Name: "l-gw-fip", HomeLocation: "nbg1", Labels: Labels("l")}
}

func TestEnsureFloatingIPCreatesOnceInHomeLocation(t *testing.T) {
	e := newEmu(t, 0.0001)
	f, err := EnsureFloatingIP(tctx(t), e.c, fipSpec())
	if err != nil {
		t.Fatal(err)
	}
	before := e.mutations()
	again, err := EnsureFloatingIP(tctx(t), e.c, fipSpec())
	if err != nil || again.ID != f.ID {
		t.Fatalf("second EnsureFloatingIP = %v, %v; want the same Floating IP %d", again, err, f.ID)
	}
	if d := e.mutations() - before; d != 0 {
		t.Errorf("second EnsureFloatingIP made %d mutations, want 0", d)
	}
	st, err := GetFloatingIP(tctx(t), e.c, f.ID)
	if err != nil || st == nil {
		t.Fatalf("GetFloatingIP: %v, %v", st, err)
	}
	if st.HomeLocation != "nbg1" || st.ServerID != 0 || !st.IP.Is4() || !Owned(Labels("l"), st.Labels) {
		t.Errorf("Floating IP = %+v, want an unassigned IPv4 in nbg1 with the link's labels", st)
	}
}

func TestEnsureFloatingIPRefusesForeignAndMovedHome(t *testing.T) {
	e := newEmu(t, 0.0001)
	if _, _, err := e.c.FloatingIP.Create(tctx(t), hcloud.FloatingIPCreateOpts{
		Type: hcloud.FloatingIPTypeIPv4, HomeLocation: &hcloud.Location{Name: "nbg1"}, Name: new("someone-elses"),
	}); err != nil {
		t.Fatal(err)
	}
	spec := fipSpec()
	spec.Name = "someone-elses"
	_, err := EnsureFloatingIP(tctx(t), e.c, spec)
	var fe *ownership.Error
	if !errors.As(err, &fe) || fe.Kind != "Hetzner Floating IP" {
		t.Fatalf("EnsureFloatingIP over a foreign Floating IP: %v, want an *ownership.Error", err)
	}

	if _, err := EnsureFloatingIP(tctx(t), e.c, fipSpec()); err != nil {
		t.Fatal(err)
	}
	moved := fipSpec()
	moved.HomeLocation = "fsn1"
	_, err = EnsureFloatingIP(tctx(t), e.c, moved)
	var he *HomeLocationError
	if !errors.As(err, &he) || he.Have != "nbg1" || he.Want != "fsn1" {
		t.Fatalf("EnsureFloatingIP with another home location: %v, want a *HomeLocationError nbg1 -> fsn1", err)
	}
}

func TestAssignFloatingIPMovesBetweenGateways(t *testing.T) {
	p := newPair(t)
	c, ctx := p.e.c, tctx(t)
	f, err := EnsureFloatingIP(ctx, c, fipSpec())
	if err != nil {
		t.Fatal(err)
	}
	holder := func() int64 {
		t.Helper()
		st, err := GetFloatingIP(ctx, c, f.ID)
		if err != nil || st == nil {
			t.Fatalf("GetFloatingIP: %v, %v", st, err)
		}
		return st.ServerID
	}
	if err := AssignFloatingIP(ctx, c, f.ID, p.srv.ID); err != nil {
		t.Fatal(err)
	}
	if h := holder(); h != p.srv.ID {
		t.Fatalf("holder = %d, want %d", h, p.srv.ID)
	}
	before := p.e.mutations()
	if err := AssignFloatingIP(ctx, c, f.ID, p.srv.ID); err != nil {
		t.Fatalf("assigning to the holder again: %v", err)
	}
	if d := p.e.mutations() - before; d != 0 {
		t.Errorf("assigning to the holder again made %d mutations, want 0", d)
	}
	// The second gateway is in fsn1, the address's home is nbg1: allowed.
	if err := AssignFloatingIP(ctx, c, f.ID, p.second.ID); err != nil {
		t.Fatalf("moving to the second gateway: %v", err)
	}
	if h := holder(); h != p.second.ID {
		t.Fatalf("holder after the move = %d, want %d", h, p.second.ID)
	}
	first, err := GetServer(ctx, c, p.srv.ID)
	if err != nil || first == nil {
		t.Fatal(err)
	}
	if len(first.PublicNet.FloatingIPs) != 0 {
		t.Errorf("the first gateway still lists Floating IPs %v after the move", first.PublicNet.FloatingIPs)
	}
	if err := AssignFloatingIP(ctx, c, f.ID+1000, p.srv.ID); err == nil {
		t.Error("assigning a Floating IP that does not exist succeeded")
	}
}

// newPairWithFloatingIP is a pair whose first gateway holds the Floating IP.
func newPairWithFloatingIP(t *testing.T) (*pair, *hcloud.FloatingIP) {
	t.Helper()
	p := newPair(t)
	c, ctx := p.e.c, tctx(t)
	f, err := EnsureFloatingIP(ctx, c, fipSpec())
	if err != nil {
		t.Fatal(err)
	}
	if err := AssignFloatingIP(ctx, c, f.ID, p.srv.ID); err != nil {
		t.Fatal(err)
	}
	return p, f
}

func TestDeleteFloatingIPUnassignsFirst(t *testing.T) {
	p, f := newPairWithFloatingIP(t)
	c, ctx := p.e.c, tctx(t)
	// Hetzner refuses to delete an assigned Floating IP (must_be_unassigned).
	if _, err := c.FloatingIP.Delete(ctx, f); !hcloud.IsError(err, hcloud.ErrorCode("must_be_unassigned")) {
		t.Fatalf("plain delete of an assigned Floating IP: %v, want must_be_unassigned (the emulator's rule this test relies on)", err)
	}
	if err := DeleteFloatingIP(ctx, c, f.ID); err != nil {
		t.Fatalf("DeleteFloatingIP: %v", err)
	}
	if st, err := GetFloatingIP(ctx, c, f.ID); err != nil || st != nil {
		t.Fatalf("after delete: %+v, %v; want gone", st, err)
	}
	if all, err := c.FloatingIP.All(ctx); err != nil || len(all) != 0 {
		t.Errorf("Floating IPs left: %v (%v)", all, err)
	}
	if err := DeleteFloatingIP(ctx, c, f.ID); err != nil {
		t.Errorf("deleting it again: %v, want success", err)
	}
}

func TestMoveRoutesToTheOtherGateway(t *testing.T) {
	e := newEmu(t, 0.0001)
	n := e.network(t, "net", "10.0.0.0/12", "10.0.1.0/24")
	dests := []netip.Prefix{mustPrefix("10.1.0.0/16"), mustPrefix("10.2.0.0/16")}
	a, b := mustAddr("10.0.1.5"), mustAddr("10.0.1.6")
	if err := MoveRoutes(tctx(t), e.c, n.ID, dests, a); err != nil {
		t.Fatal(err)
	}
	if err := MoveRoutes(tctx(t), e.c, n.ID, dests, b); err != nil {
		t.Fatalf("moving to %s: %v", b, err)
	}
	_, _, routes := NetworkFacts(e.get(t, n.ID))
	want := []addrplan.Route{{Destination: dests[0], Gateway: b}, {Destination: dests[1], Gateway: b}}
	if !slices.Equal(routes, want) {
		t.Fatalf("routes = %v, want %v", routes, want)
	}
	before := e.mutations()
	if err := MoveRoutes(tctx(t), e.c, n.ID, dests, b); err != nil {
		t.Fatal(err)
	}
	if d := e.mutations() - before; d != 0 {
		t.Errorf("moving to the current gateway made %d mutations, want 0", d)
	}
}

// WaitFloatingIPHolder returns once the expected server holds the address,
// returns the holder it last saw without an error when the budget runs out
// (the caller decides what a missing takeover means), reports the caller's
// cancellation, and says when the address is gone.
func TestWaitFloatingIPHolder(t *testing.T) {
	p, f := newPairWithFloatingIP(t)
	c, ctx := p.e.c, tctx(t)
	if h, err := WaitFloatingIPHolder(ctx, c, f.ID, p.second.ID, 50*time.Millisecond, 5*time.Millisecond); err != nil || h != p.srv.ID {
		t.Fatalf("nobody takes over: holder %d, %v; want %d and no error", h, err, p.srv.ID)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		_ = AssignFloatingIP(context.Background(), c, f.ID, p.second.ID)
	}()
	if h, err := WaitFloatingIPHolder(ctx, c, f.ID, p.second.ID, 10*time.Second, 5*time.Millisecond); err != nil || h != p.second.ID {
		t.Fatalf("after the takeover: holder %d, %v; want %d", h, err, p.second.ID)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := WaitFloatingIPHolder(cancelled, c, f.ID, p.srv.ID, time.Minute, time.Millisecond); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v, want context.Canceled", err)
	}
	if err := DeleteFloatingIP(ctx, c, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := WaitFloatingIPHolder(ctx, c, f.ID, p.srv.ID, time.Second, time.Millisecond); err == nil || !strings.Contains(err.Error(), "is gone") {
		t.Fatalf("deleted address: %v, want 'is gone'", err)
	}
}
