package lab

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestLabFloatingIPMoves: the internet routes a Floating IP to whichever
// server the API assigned it to, whatever order the two servers of a move
// are reported in, and the new holder only receives traffic once its own OS
// configures the address, as on Hetzner.
func TestLabFloatingIPMoves(t *testing.T) {
	ctx := labContext(t, 60*time.Second)
	l := buildOrigin(t, ctx, testPrefix("f"))

	fip := netip.MustParseAddr("192.0.2.129")
	a := Server{Name: "gw", PublicIP: hzGatewayPub, PrivateIP: netip.MustParseAddr("10.0.1.1"), IsGateway: true}
	b := Server{Name: "gw2", PublicIP: netip.MustParseAddr("203.0.113.11"), PrivateIP: netip.MustParseAddr("10.0.1.5"), IsGateway: true}
	if _, err := l.AddServer(ctx, b); err != nil {
		t.Fatal(err)
	}
	nsA, _ := l.ServerNS("gw")
	nsB, _ := l.ServerNS("gw2")
	// What an agent does on the active gateway: configure the address.
	osAddr := func(ns, verb string) {
		t.Helper()
		if _, err := ipCmd(ctx, ns, "addr", verb, fip.String()+"/32", "dev", "lo"); err != nil {
			t.Fatal(err)
		}
	}
	// The Azure gateway's namespace stands for the far end on the internet.
	reach := func() bool {
		_, err := InNS(ctx, l.azureGW, "ping", "-c", "1", "-W", "1", fip.String())
		return err == nil
	}
	routedVia := func() string {
		out, _ := ipCmd(ctx, l.inet, "-4", "route", "get", fip.String())
		return out
	}

	if reach() {
		t.Fatal("an unassigned Floating IP answered")
	}
	withFIP := a
	withFIP.FloatingIPs = []netip.Addr{fip}
	if err := l.UpdateServer(ctx, a, withFIP); err != nil {
		t.Fatal(err)
	}
	if reach() {
		t.Fatal("the holder answered before its OS configured the address")
	}
	osAddr(nsA, "add")
	if !reach() || l.FloatingIPHolder(fip) != "gw" {
		t.Fatalf("assigned to gw: reachable %v, holder %q, route %s", reach(), l.FloatingIPHolder(fip), routedVia())
	}

	// The move, reported new holder first: the old holder's update must not
	// take the new route away.
	bWith := b
	bWith.FloatingIPs = []netip.Addr{fip}
	if err := l.UpdateServer(ctx, b, bWith); err != nil {
		t.Fatal(err)
	}
	if err := l.UpdateServer(ctx, withFIP, a); err != nil {
		t.Fatal(err)
	}
	if got := routedVia(); !strings.Contains(got, "via 203.0.113.11") {
		t.Fatalf("after the move the internet routes %v as %q, want via gw2's 203.0.113.11", fip, got)
	}
	if reach() {
		t.Fatal("traffic still reached the old holder after the move")
	}
	osAddr(nsA, "del")
	osAddr(nsB, "add")
	if !reach() || l.FloatingIPHolder(fip) != "gw2" {
		t.Fatalf("moved to gw2: reachable %v, holder %q", reach(), l.FloatingIPHolder(fip))
	}

	// A deleted holder takes its route with it.
	if err := l.RemoveServer(ctx, "gw2"); err != nil {
		t.Fatal(err)
	}
	if h := l.FloatingIPHolder(fip); h != "" || strings.Contains(routedVia(), "203.0.113.11") {
		t.Fatalf("after gw2 is removed: holder %q, route %q", h, routedVia())
	}
}
