package hcloudsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

func TestUnauthorized(t *testing.T) {
	f := newFixture(t)
	for _, token := range []string{"wrong", ""} {
		_, _, err := newClient(f.url, token).Network.List(ctx(t), hcloud.NetworkListOpts{})
		wantCode(t, err, hcloud.ErrorCodeUnauthorized)
	}
	if got := f.env.Stats.Snapshot().RequestsByCloud["hcloud"]; got != 2 {
		t.Fatalf("refused requests counted %d, want 2", got)
	}
}

func rawGet(t *testing.T, url string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// The budget is Hetzner's 3600 requests, refilled by one per second of clock
// time (not scaled by -time-scale).
func TestRateLimit(t *testing.T) {
	fc := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	f := newFixture(t, withClock(fc))
	first := rawGet(t, f.url+"/locations")
	if first.Header.Get("RateLimit-Limit") != "3600" || first.Header.Get("RateLimit-Remaining") != "3599" ||
		first.Header.Get("RateLimit-Reset") != strconv.FormatInt(fc.now().Unix()+1, 10) {
		t.Fatalf("headers %v", first.Header)
	}
	for range 3599 {
		if r := rawGet(t, f.url+"/locations"); r.StatusCode != http.StatusOK {
			t.Fatalf("request within budget answered %d", r.StatusCode)
		}
	}
	_, resp, err := f.client.Location.List(ctx(t), hcloud.LocationListOpts{})
	wantCode(t, err, hcloud.ErrorCodeRateLimitExceeded)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Meta.Ratelimit.Remaining != 0 || resp.Meta.Ratelimit.Limit != 3600 {
		t.Fatalf("429 response %d, meta %+v", resp.StatusCode, resp.Meta.Ratelimit)
	}
	fc.advance(2 * time.Second)
	for i := range 3 {
		r := rawGet(t, f.url+"/locations")
		if want := map[bool]int{true: 200, false: 429}[i < 2]; r.StatusCode != want {
			t.Fatalf("after 2 s, request %d answered %d, want %d", i, r.StatusCode, want)
		}
	}
	fc.advance(2 * time.Hour)
	if r := rawGet(t, f.url+"/locations"); r.Header.Get("RateLimit-Remaining") != "3599" {
		t.Fatalf("refill must stop at the budget, remaining %s", r.Header.Get("RateLimit-Remaining"))
	}
	if got := f.env.Stats.Snapshot().RateLimitedTotal; got != 2 {
		t.Fatalf("rate_limited_total %d, want 2", got)
	}
}

func TestFaults(t *testing.T) {
	create := func(f *fixture) error {
		_, _, err := f.client.Network.Create(ctx(t), hcloud.NetworkCreateOpts{Name: "n", IPRange: cidr("10.0.0.0/16")})
		return err
	}
	tests := []struct {
		spec  string
		check func(t *testing.T, err error)
	}{
		{"error_rate=1,seed=3", func(t *testing.T, err error) {
			he := wantCode(t, err, hcloud.ErrorCodeServerError)
			if he.Response().StatusCode != http.StatusInternalServerError {
				t.Fatalf("status %d", he.Response().StatusCode)
			}
		}},
		{"rate_limit_rate=1", func(t *testing.T, err error) {
			he := wantCode(t, err, hcloud.ErrorCodeRateLimitExceeded)
			if he.Response().Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}},
		{"drop_rate=1", func(t *testing.T, err error) {
			var he hcloud.Error
			if err == nil || errors.As(err, &he) {
				t.Fatalf("want a transport error from a dropped connection, got %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			f := newFixture(t, withFaults(tc.spec))
			tc.check(t, create(f))
			if len(f.sim.Resources()) != 0 || f.env.Stats.Snapshot().MutationsTotal != 0 {
				t.Fatalf("a faulted request changed state: %v", f.sim.Resources())
			}
		})
	}
	t.Run("lro_failure_rate=1 fails the action and changes nothing", func(t *testing.T) {
		f := newFixture(t, withFaults("lro_failure_rate=1"))
		n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
		a, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("10.0.100.0/24"), Gateway: net.ParseIP("10.0.1.5")}})
		if err != nil {
			t.Fatal(err)
		}
		var ae hcloud.ActionError
		if err := f.client.Action.WaitFor(ctx(t), a); !errors.As(err, &ae) || ae.Code != "action_failed" {
			t.Fatalf("want failed action, got %v", err)
		}
		if got := snapshotNetwork(t, f.sim, n.ID).Routes; len(got) != 0 {
			t.Fatalf("failed add_route left routes %v", got)
		}
	})
}

func TestPersistenceRoundTrip(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw", Networks: []*hcloud.Network{n}, UserData: "#cloud-config\n"})
	g := newFixture(t)
	g.restore(t, f.sim)
	if !slices.Equal(f.sim.Resources(), g.sim.Resources()) {
		t.Fatalf("resources differ:\n%v\n%v", f.sim.Resources(), g.sim.Resources())
	}
	if ud, _ := g.sim.UserData(s.ID); ud != "#cloud-config\n" {
		t.Fatalf("user data %q", ud)
	}
	// IDs and IPs continue after a restart instead of starting over.
	s2 := g.mustServer(t, hcloud.ServerCreateOpts{Name: "second", Networks: []*hcloud.Network{{ID: n.ID}}})
	if s2.ID != s.ID+1 || s2.PrivateNet[0].IP.String() != "10.0.1.2" || s2.PublicNet.IPv4.IP.Equal(s.PublicNet.IPv4.IP) {
		t.Fatalf("restored emulator reused IDs or IPs: id %d ip %s public %s", s2.ID, s2.PrivateNet[0].IP, s2.PublicNet.IPv4.IP)
	}
	if err := g.sim.UnmarshalState([]byte("{not json")); err == nil {
		t.Fatal("garbage accepted as state")
	}
}

func TestEventsAndStats(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw", Networks: []*hcloud.Network{n}})
	a, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("10.0.100.0/24"), Gateway: s.PrivateNet[0].IP}})
	f.mustWait(t, "add route", a, err)
	before := f.env.Stats.Snapshot().MutationsTotal
	_, _, err = f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("10.0.100.0/24"), Gateway: s.PrivateNet[0].IP}})
	wantField(t, err, "destination")
	if after := f.env.Stats.Snapshot().MutationsTotal; after != before {
		t.Fatalf("refused request counted as mutation (%d -> %d)", before, after)
	}
	dr, _, _ := f.client.Server.DeleteWithResult(ctx(t), s)
	_ = f.client.Action.WaitFor(ctx(t), dr.Action)
	want := []string{"hcloud.network.created:1", "hcloud.server.created:1", "hcloud.network.updated:1", "hcloud.server.deleted:1"}
	if got := f.events.kinds(); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestActionEndpoints(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	a, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("10.0.100.0/24"), Gateway: net.ParseIP("10.0.1.5")}})
	f.mustWait(t, "add route", a, err)
	for _, path := range []string{"/actions/%d", "/networks/actions/%d", "/networks/1/actions/%d"} {
		var body schema.ActionGetResponse
		req, _ := http.NewRequest(http.MethodGet, f.url+fmt.Sprintf(path, a.ID), nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if body.Action.Status != "success" || body.Action.Progress != 100 || body.Action.Command != "add_route" || body.Action.Finished == nil {
			t.Fatalf("%s: %+v", path, body.Action)
		}
	}
	if got, _, _ := f.client.Server.Action.GetByID(ctx(t), a.ID); got != nil {
		t.Fatal("a network action must not be visible under /servers/actions")
	}
	list, err := f.client.Network.Action.AllFor(ctx(t), n, hcloud.ActionListOpts{})
	if err != nil || len(list) != 1 {
		t.Fatalf("network actions: %v %v", list, err)
	}
}

func BenchmarkGetNetwork(b *testing.B) {
	f := newFixture(b)
	n := f.mustNetwork(b, "net", "10.0.0.0/16", "10.0.1.0/24")
	for i := range 10 {
		f.mustServer(b, hcloud.ServerCreateOpts{Name: fmt.Sprintf("vm%d", i), Networks: []*hcloud.Network{n}})
	}
	f.sim.limiter.limit = 1 << 30 // measure the handler, not the budget
	f.sim.limiter.remaining = 1 << 30
	c := ctx(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := f.client.Network.GetByID(c, n.ID); err != nil {
			b.Fatal(err)
		}
	}
}
