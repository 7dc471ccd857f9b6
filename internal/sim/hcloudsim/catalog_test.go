package hcloudsim

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
	"github.com/hetznercloud/hcloud-go/v2/hcloud/exp/deprecationutil"
)

// The catalogue as hcloud-go reads it: removed types are gone, the CPX
// gen-1 types are deprecated (and past unavailable_after) in every location,
// the CX gen-3 types are EU-only and the CPX gen-2 types are everywhere.
func TestServerTypeCatalogue(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"cx22", "cx32", "cx42", "cx52"} {
		if st, _, err := f.client.ServerType.GetByName(ctx(t), name); err != nil || st != nil {
			t.Errorf("server type %s = %v, %v; want removed from the API", name, st, err)
		}
	}
	old, _, err := f.client.ServerType.GetByName(ctx(t), "cpx11")
	if err != nil || old == nil {
		t.Fatalf("cpx11: %v", err)
	}
	if len(old.Locations) != 6 {
		t.Fatalf("cpx11 listed in %d locations, want all 6", len(old.Locations))
	}
	for _, l := range old.Locations {
		if !l.IsDeprecated() || l.Available || l.UnavailableAfter().Format("2006-01-02") != "2025-12-31" {
			t.Errorf("cpx11 in %s: deprecated %v available %v unavailable_after %v", l.Location.Name, l.IsDeprecated(), l.Available, l.UnavailableAfter())
		}
	}
	// hcloud-go's own helper reads the shape the way users see it.
	if msg, unavailable := deprecationutil.ServerTypeMessage(old, "ash"); !unavailable || !strings.Contains(msg, "can no longer be ordered") {
		t.Errorf("deprecationutil says %q (unavailable %v)", msg, unavailable)
	}
	offered := func(typ string) []string {
		st, _, err := f.client.ServerType.GetByName(ctx(t), typ)
		if err != nil || st == nil {
			t.Fatalf("%s: %v", typ, err)
		}
		var out []string
		for _, l := range st.Locations {
			if l.Available && !l.IsDeprecated() {
				out = append(out, l.Location.Name)
			}
		}
		slices.Sort(out)
		return out
	}
	if got := offered("cx23"); !slices.Equal(got, []string{"fsn1", "hel1", "nbg1"}) {
		t.Errorf("cx23 offered in %v, want the EU locations only", got)
	}
	if got := offered("cpx22"); !slices.Equal(got, []string{"ash", "fsn1", "hel1", "hil", "nbg1", "sin"}) {
		t.Errorf("cpx22 offered in %v, want every location", got)
	}
	for _, arch := range []hcloud.Architecture{hcloud.ArchitectureX86, hcloud.ArchitectureARM} {
		if img, _, err := f.client.Image.GetForArchitecture(ctx(t), "debian-13", arch); err != nil || img == nil {
			t.Errorf("debian-13 for %s: %v, %v", arch, img, err)
		}
	}
}

// Creates follow the catalogue: a removed type is not found, a deprecated
// or not offered one gets "unsupported location for server type", the
// current ones work in their locations.
func TestServerCreateFollowsCatalogue(t *testing.T) {
	f := newFixture(t)
	create := func(typ, loc string) error {
		_, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: typ + "-" + loc, ServerType: &hcloud.ServerType{Name: typ},
			Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: loc}})
		return err
	}
	wantField(t, create("cx22", "nbg1"), "server_type")
	for _, tc := range [][2]string{{"cpx11", "nbg1"}, {"cpx31", "fsn1"}, {"cx23", "ash"}, {"cax11", "sin"}} {
		err := create(tc[0], tc[1])
		wantField(t, err, "location")
		if !strings.Contains(err.Error(), "unsupported location for server type") {
			t.Errorf("%s in %s: %v", tc[0], tc[1], err)
		}
	}
	for _, tc := range [][2]string{{"cpx22", "ash"}, {"cpx12", "sin"}, {"cpx22", "hil"}, {"cx23", "hel1"}} {
		if err := create(tc[0], tc[1]); err != nil {
			t.Errorf("%s in %s refused: %v", tc[0], tc[1], err)
		}
	}
}

// A type marked unavailable (capacity) shows available=false in its
// location and creates there answer resource_unavailable with HTTP 412.
func TestServerTypeUnavailable(t *testing.T) {
	f := newFixture(t)
	f.sim.SetAvailable("cpx22", "ash", false)
	st, _, err := f.client.ServerType.GetByName(ctx(t), "cpx22")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range st.Locations {
		if want := l.Location.Name != "ash"; l.Available != want {
			t.Errorf("cpx22 in %s: available %v, want %v", l.Location.Name, l.Available, want)
		}
	}
	_, _, err = f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "gw", ServerType: &hcloud.ServerType{Name: "cpx22"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "ash"}})
	if he := wantCode(t, err, hcloud.ErrorCodeResourceUnavailable); he.Response().StatusCode != http.StatusPreconditionFailed {
		t.Errorf("status %d, want 412", he.Response().StatusCode)
	}
	f.sim.SetAvailable("cpx22", "ash", true)
	f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw", ServerType: &hcloud.ServerType{Name: "cpx22"}, Location: &hcloud.Location{Name: "ash"}})
}

// Injected capacity failures hit exactly the next valid creates, with the
// API's codes and statuses, and leave nothing behind.
func TestInjectedCapacityFaults(t *testing.T) {
	f := newFixture(t)
	if err := f.sim.FailServerCreates("resource_unavailable", 2); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.FailServerCreates("placement_error", 1); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.FailServerCreates("locked", 1); err == nil {
		t.Fatal("a non-capacity code must be refused")
	}
	create := func(typ string) error {
		_, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "gw", ServerType: &hcloud.ServerType{Name: typ},
			Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}})
		return err
	}
	// An invalid request is refused for what it is and consumes nothing.
	wantField(t, create("cx22"), "server_type")
	for _, want := range []struct {
		code   hcloud.ErrorCode
		status int
	}{{hcloud.ErrorCodeResourceUnavailable, 412}, {hcloud.ErrorCodeResourceUnavailable, 412}, {hcloud.ErrorCodePlacementError, 422}} {
		he := wantCode(t, create("cx23"), want.code)
		if he.Response().StatusCode != want.status {
			t.Errorf("%s: status %d, want %d", want.code, he.Response().StatusCode, want.status)
		}
	}
	if len(f.sim.Servers()) != 0 {
		t.Fatalf("failed creates left %d servers", len(f.sim.Servers()))
	}
	if err := create("cx23"); err != nil {
		t.Fatalf("create after the injected failures: %v", err)
	}

	// The seeded rate from -faults.
	g := newFixture(t, withFaults("resource_unavailable_rate=1,seed=3"))
	_, _, err := g.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "gw", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}})
	wantCode(t, err, hcloud.ErrorCodeResourceUnavailable)
}

// Unassigned primary IPs report assignee_type "unassigned" (since
// 2026-08-01), and assignee_type may be left out on create.
func TestPrimaryIPAssigneeType(t *testing.T) {
	f := newFixture(t)
	res, _, err := f.client.PrimaryIP.Create(ctx(t), hcloud.PrimaryIPCreateOpts{Name: "ip", Type: hcloud.PrimaryIPTypeIPv4, Location: "nbg1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.PrimaryIP.AssigneeType != "unassigned" {
		t.Fatalf("unassigned primary IP has assignee_type %q", res.PrimaryIP.AssigneeType)
	}
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw", PublicNet: &hcloud.ServerCreatePublicNet{EnableIPv4: true, IPv4: res.PrimaryIP}})
	p, _, err := f.client.PrimaryIP.GetByID(ctx(t), res.PrimaryIP.ID)
	if err != nil || p.AssigneeType != "server" || p.AssigneeID != s.ID {
		t.Fatalf("assigned primary IP: %+v, %v", p, err)
	}
}

// Labels follow Hetzner's syntax; a refused label changes nothing.
func TestLabelsAreValidated(t *testing.T) {
	f := newFixture(t)
	for _, labels := range []map[string]string{
		{"-bad": "x"},
		{"ok": "-bad"},
		{"ok": strings.Repeat("v", 64)},
		{strings.Repeat("k", 64): "x"},
	} {
		_, _, err := f.client.Network.Create(ctx(t), hcloud.NetworkCreateOpts{Name: "n", IPRange: cidr("10.0.0.0/16"), Labels: labels})
		wantField(t, err, "labels")
	}
	n := f.mustNetwork(t, "n", "10.0.0.0/16")
	ok := map[string]string{"crosscloud.dev/link": "hel1-weu", "crosscloud.dev/managed-by": "terraform-provider-crosscloud", "empty": ""}
	if _, _, err := f.client.Network.Update(ctx(t), n, hcloud.NetworkUpdateOpts{Labels: ok}); err != nil {
		t.Fatalf("the provider's own labels refused: %v", err)
	}
	_, _, err := f.client.Network.Update(ctx(t), n, hcloud.NetworkUpdateOpts{Name: "renamed", Labels: map[string]string{"a b": "x"}})
	wantField(t, err, "labels")
	if got := snapshotNetwork(t, f.sim, n.ID); got.Name != "n" {
		t.Fatalf("a refused update renamed the network to %q", got.Name)
	}
}

// Rules are limited to 50 entries per firewall.
func TestFirewallRuleLimit(t *testing.T) {
	f := newFixture(t)
	rules := make([]hcloud.FirewallRule, 51)
	for i := range rules {
		rules[i] = hcloud.FirewallRule{Direction: "in", Protocol: "esp", SourceIPs: cidrs([]string{"198.51.100.7/32"})}
	}
	_, _, err := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "fw", Rules: rules})
	wantField(t, err, "rules")
	if _, _, err := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "fw", Rules: rules[:50]}); err != nil {
		t.Fatalf("50 rules refused: %v", err)
	}
}
