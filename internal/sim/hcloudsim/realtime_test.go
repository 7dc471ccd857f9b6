package hcloudsim

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// realTimeFixture is newFixture with WithRealTimeFailover, at time scale
// 0.0001 and on the fake clock fc.
func realTimeFixture(t *testing.T, fc *fakeClock) *fixture {
	t.Helper()
	rec := &recorder{}
	env := &simenv.Env{Clock: &simenv.Clock{Scale: 0.0001, NowFunc: fc.now}, Stats: &simenv.Stats{}, Token: testToken, Events: rec}
	s := New(env, WithRealTimeFailover())
	ts := httptest.NewServer(http.StripPrefix("/hcloud/v1", s))
	t.Cleanup(ts.Close)
	return &fixture{sim: s, env: env, url: ts.URL + "/hcloud/v1", events: rec, client: newClient(ts.URL+"/hcloud/v1", testToken)}
}

// TestRealTimeFailoverDurations: with the option, the Floating IP and
// route actions take their real-world durations while the rest (a server
// create) stays scaled; without it, they are scaled like everything else.
func TestRealTimeFailoverDurations(t *testing.T) {
	span := func(f *fixture, command string) time.Duration {
		t.Helper()
		for _, op := range f.sim.Operations() {
			if op.Kind == command {
				return op.End.Sub(op.Start)
			}
		}
		t.Fatalf("no %s action", command)
		return 0
	}
	run := func(f *fixture, fc *fakeClock) {
		t.Helper()
		a := f.mustServerAt(t, fc, "gw-a")
		n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
		fip, _, err := f.client.FloatingIP.Create(ctx(t), hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4,
			HomeLocation: &hcloud.Location{Name: "nbg1"}, Name: new("vip")})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.client.FloatingIP.Assign(ctx(t), fip.FloatingIP, a); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{
			Destination: cidr("10.1.0.0/16"), Gateway: net.ParseIP("10.0.1.1")}}); err != nil {
			t.Fatal(err)
		}
	}
	fc := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	rt := realTimeFixture(t, fc)
	run(rt, fc)
	if d := span(rt, "assign_floating_ip"); d < 2*time.Second || d > 4*time.Second {
		t.Errorf("with the option assign_floating_ip takes %s, want the real-world 2-4 s", d)
	}
	if d := span(rt, "add_route"); d < time.Second || d > 3*time.Second {
		t.Errorf("with the option add_route takes %s, want the real-world 1-3 s", d)
	}
	if d := span(rt, "create_server"); d > 3*time.Millisecond {
		t.Errorf("with the option create_server takes %s, want it scaled by 0.0001 (at most 3 ms)", d)
	}

	fc2 := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	plain := newFixture(t, withClock(fc2))
	run(plain, fc2)
	for _, cmd := range []string{"assign_floating_ip", "add_route"} {
		if d := span(plain, cmd); d > time.Millisecond {
			t.Errorf("without the option %s takes %s, want it scaled by 0.0001", cmd, d)
		}
	}
}

// mustServerAt creates a server, moving the fake clock past its create.
func (f *fixture) mustServerAt(t *testing.T, fc *fakeClock, name string) *hcloud.Server {
	t.Helper()
	res := f.startServer(t, name)
	fc.advance(time.Second)
	return res.Server
}

// TestRealTimeFailoverEffectLandsAtTheEnd: under the option, while an
// assign, delete_route or add_route runs, GETs show the old holder and the
// old route and the lab hears nothing (and a second assign is locked
// out); once the action has finished (no
// client asking in between) the change is there and the lab is told. A
// route action locks the network meanwhile, which is what the failover
// script's retry relies on.
func TestRealTimeFailoverEffectLandsAtTheEnd(t *testing.T) {
	fc := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	f := realTimeFixture(t, fc)
	a, b := f.mustServerAt(t, fc, "gw-a"), f.mustServerAt(t, fc, "gw-b")
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	res, _, err := f.client.FloatingIP.Create(ctx(t), hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4, Server: a, Name: new("vip")})
	if err != nil {
		t.Fatal(err)
	}
	fc.advance(5 * time.Second)
	holder := func() int64 {
		t.Helper()
		got, _, err := f.client.FloatingIP.GetByID(ctx(t), res.FloatingIP.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Server == nil {
			return 0
		}
		return got.Server.ID
	}
	if holder() != a.ID {
		t.Fatalf("created with gw-a, held by %d", holder())
	}

	before := len(f.events.kinds())
	act, _, err := f.client.FloatingIP.Assign(ctx(t), res.FloatingIP, b)
	if err != nil {
		t.Fatal(err)
	}
	fc.advance(1500 * time.Millisecond)
	if h := holder(); h != a.ID {
		t.Errorf("1.5 s into the assign (2-4 s) the address is held by %d, want still gw-a (%d)", h, a.ID)
	}
	// A second claim while the first runs waits its turn.
	_, _, err = f.client.FloatingIP.Assign(ctx(t), res.FloatingIP, a)
	wantCode(t, err, "locked")
	if got, _, _ := f.client.Action.GetByID(ctx(t), act.ID); got.Status != hcloud.ActionStatusRunning {
		t.Errorf("the assign is %s after 1.5 s, want running", got.Status)
	}
	if ev := f.events.kinds()[before:]; slices.Contains(ev, "hcloud.floating_ip.updated:"+itoa(res.FloatingIP.ID)) {
		t.Errorf("the lab heard of the move before it finished: %v", ev)
	}
	// The clock passes the finish; no request follows, yet the lab hears.
	fc.advance(3 * time.Second)
	deadline := time.Now().Add(6 * time.Second)
	for !slices.Contains(f.events.kinds()[before:], "hcloud.floating_ip.updated:"+itoa(res.FloatingIP.ID)) {
		if time.Now().After(deadline) {
			t.Fatalf("no floating_ip.updated event after the assign finished; events %v", f.events.kinds()[before:])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if h := holder(); h != b.ID {
		t.Errorf("after the assign the address is held by %d, want gw-b (%d)", h, b.ID)
	}

	// The route moves as the failover script moves it: delete, then add.
	route := func(gw string) hcloud.NetworkRoute {
		return hcloud.NetworkRoute{Destination: cidr("10.1.0.0/16"), Gateway: net.ParseIP(gw)}
	}
	routes := func() []string {
		t.Helper()
		got, _, err := f.client.Network.GetByID(ctx(t), n.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range got.Routes {
			out = append(out, r.Destination.String()+" via "+r.Gateway.String())
		}
		return out
	}
	if _, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: route("10.0.1.1")}); err != nil {
		t.Fatal(err)
	}
	if got := routes(); len(got) != 0 {
		t.Errorf("right after add_route (1-3 s) the network lists %v, want no route yet", got)
	}
	fc.advance(3100 * time.Millisecond)
	if got := routes(); !slices.Equal(got, []string{"10.1.0.0/16 via 10.0.1.1"}) {
		t.Fatalf("after add_route the network lists %v", got)
	}
	if _, _, err := f.client.Network.DeleteRoute(ctx(t), n, hcloud.NetworkDeleteRouteOpts{Route: route("10.0.1.1")}); err != nil {
		t.Fatal(err)
	}
	fc.advance(500 * time.Millisecond)
	if got := routes(); !slices.Equal(got, []string{"10.1.0.0/16 via 10.0.1.1"}) {
		t.Errorf("0.5 s into delete_route the network lists %v, want the old route", got)
	}
	_, _, err = f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: route("10.0.1.2")})
	wantCode(t, err, "locked")
	fc.advance(3 * time.Second)
	if got := routes(); len(got) != 0 {
		t.Errorf("after delete_route the network lists %v, want none", got)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
