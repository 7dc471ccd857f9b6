package hetzner

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
)

func pgSpec() PlacementGroupSpec {
	return PlacementGroupSpec{Name: "l-gw-spread", Labels: Labels("l")}
}

// spreadPair is an HA pair created the way the link does it: one spread
// group, two gateway servers created in it (nbg1 and fsn1, as a pair whose
// standby sits in another location may be).
type spreadPair struct {
	e      *emu
	group  *hcloud.PlacementGroup
	specs  [2]ServerSpec
	server [2]*hcloud.Server
}

func newSpreadPair(t *testing.T) *spreadPair {
	t.Helper()
	e := newEmu(t, 0.0001)
	ctx := tctx(t)
	n := e.network(t, "net", "10.0.0.0/12", "10.0.1.0/24")
	pg, err := EnsurePlacementGroup(ctx, e.c, pgSpec())
	if err != nil {
		t.Fatal(err)
	}
	p := &spreadPair{e: e, group: pg}
	for i, loc := range []string{"nbg1", "fsn1"} {
		ip, err := EnsurePrimaryIP(ctx, e.c, PrimaryIPSpec{Name: fmt.Sprintf("l-gw%d-ipv4", i), Location: loc, Labels: Labels("l")})
		if err != nil {
			t.Fatal(err)
		}
		p.specs[i] = ServerSpec{Name: fmt.Sprintf("l-gw%d", i), ServerType: "cx23", Image: "debian-12", Location: loc,
			UserData: "#cloud-config\n", PrimaryIPID: ip.ID, NetworkID: n.ID, PrivateIP: mustAddr(fmt.Sprintf("10.0.1.%d", 5+i)),
			Labels: Labels("l"), PlacementGroupID: pg.ID}
		if p.server[i], err = EnsureServer(ctx, e.c, p.specs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *spreadPair) members(t *testing.T) []int64 {
	t.Helper()
	g, err := GetPlacementGroup(tctx(t), p.e.c, p.group.ID)
	if err != nil || g == nil {
		t.Fatalf("read group: %v (nil=%v)", err, g == nil)
	}
	slices.Sort(g.Servers)
	return g.Servers
}

func TestEnsurePlacementGroupCreatesOnceAndRefusesForeign(t *testing.T) {
	e := newEmu(t, 0.0001)
	pg, err := EnsurePlacementGroup(tctx(t), e.c, pgSpec())
	if err != nil {
		t.Fatal(err)
	}
	if pg.Type != hcloud.PlacementGroupTypeSpread || !Owned(Labels("l"), pg.Labels) {
		t.Fatalf("created %+v, want a spread group with the link's labels", pg)
	}
	before := e.mutations()
	again, err := EnsurePlacementGroup(tctx(t), e.c, pgSpec())
	if err != nil || again.ID != pg.ID {
		t.Fatalf("second EnsurePlacementGroup = %v, %v; want the same group %d", again, err, pg.ID)
	}
	if d := e.mutations() - before; d != 0 {
		t.Errorf("second EnsurePlacementGroup made %d mutations, want 0", d)
	}

	// Someone else's group with the name the link wants is not taken over.
	if _, _, err := e.c.PlacementGroup.Create(tctx(t), hcloud.PlacementGroupCreateOpts{Name: "m-gw-spread", Type: hcloud.PlacementGroupTypeSpread}); err != nil {
		t.Fatal(err)
	}
	_, err = EnsurePlacementGroup(tctx(t), e.c, PlacementGroupSpec{Name: "m-gw-spread", Labels: Labels("m")})
	var fe *ownership.Error
	if !errors.As(err, &fe) || fe.Kind != "Hetzner placement group" || !strings.Contains(err.Error(), "Rename the link, or delete or rename that Hetzner placement group") {
		t.Fatalf("foreign group: %v, want an *ownership.Error telling the user what to do", err)
	}

	before = e.mutations()
	if _, err := EnsurePlacementGroup(tctx(t), e.c, PlacementGroupSpec{Labels: Labels("l")}); err == nil {
		t.Fatal("a group without a name was accepted")
	}
	if d := e.mutations() - before; d != 0 {
		t.Errorf("a nameless spec made %d API mutations", d)
	}
}

// TestHAPairIsSpreadAndStaysSpreadAcrossReplacement: both gateways are
// created in the group, and a replaced gateway is created in it again while
// the deleted one leaves it.
func TestHAPairIsSpreadAndStaysSpreadAcrossReplacement(t *testing.T) {
	p := newSpreadPair(t)
	if got, want := p.members(t), []int64{p.server[0].ID, p.server[1].ID}; !slices.Equal(got, want) {
		t.Fatalf("group holds %v, want both gateways %v", got, want)
	}
	for i, srv := range p.server {
		if d := PlacementGroupDrift(srv, p.group.ID); d != "" {
			t.Errorf("gateway %d: %s", i, d)
		}
	}

	spec := p.specs[0]
	spec.ServerType = "cx33"
	repl, err := ReplaceServer(tctx(t), p.e.c, p.server[0].ID, spec)
	if err != nil {
		t.Fatal(err)
	}
	if repl.PlacementGroup == nil || repl.PlacementGroup.ID != p.group.ID {
		t.Fatalf("the replacement is in %+v, want group %d", repl.PlacementGroup, p.group.ID)
	}
	if got, want := p.members(t), []int64{p.server[1].ID, repl.ID}; !slices.Equal(got, want) {
		t.Fatalf("after the replacement the group holds %v, want %v", got, want)
	}

	// Adopting an existing server leaves its placement alone.
	before := p.e.mutations()
	again, err := EnsureServer(tctx(t), p.e.c, spec)
	if err != nil || again.ID != repl.ID {
		t.Fatalf("re-ensure: %v, %v", again, err)
	}
	if d := p.e.mutations() - before; d != 0 {
		t.Errorf("re-ensuring a server in its group made %d mutations", d)
	}
}

// TestPlacementGroupDriftNamesTheProblem: a gateway outside the group is
// reported, not moved (moving needs a power-off).
func TestPlacementGroupDriftNamesTheProblem(t *testing.T) {
	g := newGateway(t, "cx23")
	p := newSpreadPair(t)
	if d := PlacementGroupDrift(g.srv, p.group.ID); !strings.Contains(d, "in no placement group") {
		t.Errorf("server outside any group: drift %q", d)
	}
	other := &hcloud.Server{Name: "x", PlacementGroup: &hcloud.PlacementGroup{ID: p.group.ID + 1}}
	if d := PlacementGroupDrift(other, p.group.ID); !strings.Contains(d, fmt.Sprintf("in placement group %d, not in %d", p.group.ID+1, p.group.ID)) {
		t.Errorf("server in another group: drift %q", d)
	}
	if d := PlacementGroupDrift(g.srv, 0); d != "" {
		t.Errorf("no group wanted, yet drift %q", d)
	}
}

// TestDeletePlacementGroup: a group still holding a live server is refused
// with the server's name and left alone; once the servers are deleted it
// goes, and a second delete is fine.
func TestDeletePlacementGroup(t *testing.T) {
	p := newSpreadPair(t)
	if err := DeleteServer(tctx(t), p.e.c, p.server[0].ID); err != nil {
		t.Fatal(err)
	}
	err := DeletePlacementGroup(tctx(t), p.e.c, p.group.ID)
	if err == nil || !strings.Contains(err.Error(), `server "l-gw1"`) || !strings.Contains(err.Error(), "still in the group") {
		t.Fatalf("delete with a live member: %v, want an error naming l-gw1", err)
	}
	if g, _ := GetPlacementGroup(tctx(t), p.e.c, p.group.ID); g == nil {
		t.Fatal("the refused delete removed the group")
	}
	if err := DeleteServer(tctx(t), p.e.c, p.server[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := DeletePlacementGroup(tctx(t), p.e.c, p.group.ID); err != nil {
		t.Fatalf("delete an emptied group: %v", err)
	}
	if g, err := GetPlacementGroup(tctx(t), p.e.c, p.group.ID); err != nil || g != nil {
		t.Fatalf("after delete: %+v, %v", g, err)
	}
	if err := DeletePlacementGroup(tctx(t), p.e.c, p.group.ID); err != nil {
		t.Fatalf("deleting a missing group: %v, want success", err)
	}
}

// TestServerIntoFullGroupFailsAtOnce: the member limit is not a capacity
// shortage, so the create is not retried for minutes; the API's message
// reaches the user.
func TestServerIntoFullGroupFailsAtOnce(t *testing.T) {
	p := newSpreadPair(t)
	for i := range 8 {
		res, _, err := p.e.c.Server.Create(tctx(t), hcloud.ServerCreateOpts{Name: fmt.Sprintf("other%d", i),
			ServerType: &hcloud.ServerType{Name: "cx23"}, Image: &hcloud.Image{Name: "debian-12"},
			PlacementGroup: p.group})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.e.c.Action.WaitFor(tctx(t), res.Action); err != nil {
			t.Fatal(err)
		}
	}
	ctx, logs := logged(t)
	spec := p.specs[0]
	spec.Name, spec.PrimaryIPID, spec.PrivateIP = "l-gw2", 0, mustAddr("10.0.1.7")
	_, err := EnsureServer(ctx, p.e.c, spec)
	if !hcloud.IsError(err, "placement_group_member_limit_reached") || !strings.Contains(err.Error(), "contains already 10 servers") {
		t.Fatalf("EnsureServer into a full group: %v", err)
	}
	if n := retriesLogged(t, logs, "placement_group_member_limit_reached"); n != 0 {
		t.Errorf("the member limit was retried %d times", n)
	}
	if _, err := EnsureServer(tctx(t), p.e.c, ServerSpec{Name: "neg", PlacementGroupID: -1}); err == nil || !strings.Contains(err.Error(), "placement group ID -1") {
		t.Errorf("negative group ID: %v", err)
	}
}
