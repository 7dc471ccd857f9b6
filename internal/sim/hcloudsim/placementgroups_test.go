package hcloudsim

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

func (f *fixture) mustPlacementGroup(t *testing.T, name string) *hcloud.PlacementGroup {
	t.Helper()
	res, _, err := f.client.PlacementGroup.Create(ctx(t), hcloud.PlacementGroupCreateOpts{
		Name: name, Type: hcloud.PlacementGroupTypeSpread, Labels: map[string]string{"role": "gw"}})
	if err != nil {
		t.Fatalf("create placement group %s: %v", name, err)
	}
	if res.Action != nil {
		t.Fatalf("a placement group create returns no action, got %+v", res.Action)
	}
	return res.PlacementGroup
}

func (f *fixture) members(t *testing.T, id int64) []int64 {
	t.Helper()
	g, _, err := f.client.PlacementGroup.GetByID(ctx(t), id)
	if err != nil || g == nil {
		t.Fatalf("get placement group %d: %v (nil=%v)", id, err, g == nil)
	}
	slices.Sort(g.Servers)
	return g.Servers
}

// TestPlacementGroupHAPair: the two gateways of a pair join one spread group
// at create, each server shows the group, servers of different locations
// may share it, and a deleted server leaves the group (which stays).
func TestPlacementGroupHAPair(t *testing.T) {
	f := newFixture(t)
	g := f.mustPlacementGroup(t, "l-gw-spread")
	a := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw-a", PlacementGroup: g})
	b := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw-b", PlacementGroup: g, Location: &hcloud.Location{Name: "fsn1"}})
	if got := f.members(t, g.ID); !slices.Equal(got, []int64{a.ID, b.ID}) {
		t.Fatalf("group servers %v, want [%d %d]", got, a.ID, b.ID)
	}
	for _, s := range []*hcloud.Server{a, b} {
		if s.PlacementGroup == nil || s.PlacementGroup.ID != g.ID || s.PlacementGroup.Type != hcloud.PlacementGroupTypeSpread {
			t.Fatalf("server %s shows placement group %+v, want %d (spread)", s.Name, s.PlacementGroup, g.ID)
		}
	}
	lone := f.mustServer(t, hcloud.ServerCreateOpts{Name: "lone"})
	if lone.PlacementGroup != nil {
		t.Fatalf("a server created without a group shows %+v", lone.PlacementGroup)
	}

	res, _, err := f.client.Server.DeleteWithResult(ctx(t), a)
	if err != nil || f.client.Action.WaitFor(ctx(t), res.Action) != nil {
		t.Fatalf("delete gw-a: %v", err)
	}
	if got := f.members(t, g.ID); !slices.Equal(got, []int64{b.ID}) {
		t.Fatalf("after deleting gw-a the group holds %v, want [%d]", got, b.ID)
	}

	list, err := f.client.PlacementGroup.AllWithOpts(ctx(t), hcloud.PlacementGroupListOpts{
		ListOpts: hcloud.ListOpts{LabelSelector: "role=gw"}, Type: hcloud.PlacementGroupTypeSpread})
	if err != nil || len(list) != 1 || list[0].ID != g.ID {
		t.Fatalf("list by label and type: %v, %v", list, err)
	}
	byName, _, err := f.client.PlacementGroup.GetByName(ctx(t), "l-gw-spread")
	if err != nil || byName == nil || byName.ID != g.ID {
		t.Fatalf("get by name: %v, %v", byName, err)
	}
}

// TestPlacementGroupSpreadLimit: the 11th server of a spread group is
// refused with the API's code and nothing of it is left behind; after one
// member is deleted there is room again.
func TestPlacementGroupSpreadLimit(t *testing.T) {
	f := newFixture(t)
	g := f.mustPlacementGroup(t, "full")
	var ids []int64
	for i := range maxServersPerSpreadGroup {
		ids = append(ids, f.mustServer(t, hcloud.ServerCreateOpts{Name: fmt.Sprintf("n%d", i), PlacementGroup: g}).ID)
	}
	_, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "n10", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}, PlacementGroup: g})
	wantCode(t, err, "placement_group_member_limit_reached")
	if s, _, _ := f.client.Server.GetByName(ctx(t), "n10"); s != nil {
		t.Fatalf("a refused create left server %d behind", s.ID)
	}
	if got := f.members(t, g.ID); len(got) != maxServersPerSpreadGroup {
		t.Fatalf("group holds %d servers, want %d", len(got), maxServersPerSpreadGroup)
	}
	res, _, err := f.client.Server.DeleteWithResult(ctx(t), &hcloud.Server{ID: ids[0]})
	if err != nil || f.client.Action.WaitFor(ctx(t), res.Action) != nil {
		t.Fatalf("delete: %v", err)
	}
	f.mustServer(t, hcloud.ServerCreateOpts{Name: "n10", PlacementGroup: g})

	// An unknown group is not found, before anything is created.
	_, _, err = f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "x", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, PlacementGroup: &hcloud.PlacementGroup{ID: 999}})
	wantCode(t, err, hcloud.ErrorCodeNotFound)
}

// TestPlacementGroupCreateUpdateDelete: type and name rules, rename and
// relabel, and a group with servers that cannot be deleted until they are
// gone.
func TestPlacementGroupCreateUpdateDelete(t *testing.T) {
	f := newFixture(t)
	_, _, err := f.client.PlacementGroup.Create(ctx(t), hcloud.PlacementGroupCreateOpts{Name: "c", Type: "cluster"})
	wantField(t, err, "type")
	g := f.mustPlacementGroup(t, "pg")
	_, _, err = f.client.PlacementGroup.Create(ctx(t), hcloud.PlacementGroupCreateOpts{Name: "pg", Type: hcloud.PlacementGroupTypeSpread})
	wantCode(t, err, hcloud.ErrorCodeUniquenessError)
	_, _, err = f.client.PlacementGroup.Create(ctx(t), hcloud.PlacementGroupCreateOpts{Name: "bad", Type: hcloud.PlacementGroupTypeSpread,
		Labels: map[string]string{"-x": "y"}})
	wantField(t, err, "labels")

	up, _, err := f.client.PlacementGroup.Update(ctx(t), g, hcloud.PlacementGroupUpdateOpts{Name: "pg2", Labels: map[string]string{"k": "v"}})
	if err != nil || up.Name != "pg2" || up.Labels["k"] != "v" || len(up.Labels) != 1 {
		t.Fatalf("update: %+v, %v", up, err)
	}

	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "m", PlacementGroup: g})
	_, err = f.client.PlacementGroup.Delete(ctx(t), g)
	wantCode(t, err, hcloud.ErrorCodeResourceInUse)
	res, _, err := f.client.Server.DeleteWithResult(ctx(t), s)
	if err != nil || f.client.Action.WaitFor(ctx(t), res.Action) != nil {
		t.Fatalf("delete server: %v", err)
	}
	if _, err := f.client.PlacementGroup.Delete(ctx(t), g); err != nil {
		t.Fatalf("delete an empty group: %v", err)
	}
	if got, _, err := f.client.PlacementGroup.GetByID(ctx(t), g.ID); err != nil || got != nil {
		t.Fatalf("after delete: %+v, %v", got, err)
	}
	_, err = f.client.PlacementGroup.Delete(ctx(t), g)
	wantCode(t, err, hcloud.ErrorCodeNotFound)
}

// TestPlacementGroupProjectLimit: a project holds at most 50 groups.
func TestPlacementGroupProjectLimit(t *testing.T) {
	f := newFixture(t)
	for i := range maxPlacementGroups {
		f.mustPlacementGroup(t, fmt.Sprintf("g%d", i))
	}
	_, _, err := f.client.PlacementGroup.Create(ctx(t), hcloud.PlacementGroupCreateOpts{Name: "one-more", Type: hcloud.PlacementGroupTypeSpread})
	wantCode(t, err, hcloud.ErrorCodeResourceLimitExceeded)
}

// TestAddToPlacementGroupNeedsStoppedServer: an existing server joins only
// while off and only when in no group; remove_from_placement_group takes it
// out again.
func TestAddToPlacementGroupNeedsStoppedServer(t *testing.T) {
	f := newFixture(t)
	g := f.mustPlacementGroup(t, "pg")
	other := f.mustPlacementGroup(t, "other")
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "s"})

	_, _, err := f.client.Server.AddToPlacementGroup(ctx(t), s, g)
	he := wantCode(t, err, hcloud.ErrorCodeServerNotStopped)
	if he.Response() == nil || he.Response().StatusCode != 422 {
		t.Errorf("server_not_stopped answered with %v, want 422 as the API reference lists", he.Response())
	}
	off, _, err := f.client.Server.Poweroff(ctx(t), s)
	f.mustWait(t, "poweroff", off, err)
	a, _, err := f.client.Server.AddToPlacementGroup(ctx(t), s, g)
	f.mustWait(t, "add a stopped server", a, err)
	if got := f.members(t, g.ID); !slices.Equal(got, []int64{s.ID}) {
		t.Fatalf("group holds %v after add, want [%d]", got, s.ID)
	}
	_, _, err = f.client.Server.AddToPlacementGroup(ctx(t), s, other)
	wantCode(t, err, "already_in_placement_group")

	a, _, err = f.client.Server.RemoveFromPlacementGroup(ctx(t), s)
	f.mustWait(t, "remove", a, err)
	got, _, _ := f.client.Server.GetByID(ctx(t), s.ID)
	if got.PlacementGroup != nil || len(f.members(t, g.ID)) != 0 {
		t.Fatalf("after remove the server shows %+v and the group holds %v", got.PlacementGroup, f.members(t, g.ID))
	}
	_, _, err = f.client.Server.RemoveFromPlacementGroup(ctx(t), s)
	wantField(t, err, "placement_group")
}

// TestPlacementGroupsSurviveRestart: groups and their members are part of
// the saved state.
func TestPlacementGroupsSurviveRestart(t *testing.T) {
	f := newFixture(t)
	g := f.mustPlacementGroup(t, "pg")
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "s", PlacementGroup: g})
	f2 := newFixture(t)
	f2.restore(t, f.sim)
	got, _, err := f2.client.Server.GetByID(ctx(t), s.ID)
	if err != nil || got.PlacementGroup == nil || got.PlacementGroup.ID != g.ID {
		t.Fatalf("after restart the server shows %+v (%v), want group %d", got, err, g.ID)
	}
	if pgs := f2.sim.PlacementGroups(); len(pgs) != 1 || !slices.Equal(pgs[0].Servers, []int64{s.ID}) {
		t.Fatalf("after restart: %+v", pgs)
	}
}
