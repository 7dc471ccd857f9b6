package ipseclink

import (
	"slices"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// An apply killed between a create and its state write (SIGKILL, a lost CI
// runner) leaves objects whose IDs the state never got; for the HA pair's
// standby server, Floating IP and placement group that includes an update
// to high_availability killed mid-way, after which the state does not even
// say the link is a pair. Destroy finds them by name and deletes them when
// they are the link's, and leaves alone same-named objects that are not.
func TestTeardownDeletesWhatAKilledApplyLeftUnrecorded(t *testing.T) {
	i := simtest.Start(t)
	hc := i.HCloud()
	ctx := t.Context()
	pair := func(link string, lbl map[string]string) {
		t.Helper()
		pg, _, err := hc.PlacementGroup.Create(ctx, hcloud.PlacementGroupCreateOpts{Name: placementGroupName(link),
			Type: hcloud.PlacementGroupTypeSpread, Labels: lbl})
		if err != nil {
			t.Fatal(err)
		}
		srv, _, err := hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: standbyServerName(link), ServerType: &hcloud.ServerType{Name: "cx23"},
			Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}, Labels: lbl, PlacementGroup: pg.PlacementGroup})
		if err != nil {
			t.Fatal(err)
		}
		if err := hetzner.Settle(ctx, hc, srv.Action, "create server"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := hc.FloatingIP.Create(ctx, hcloud.FloatingIPCreateOpts{Name: new(floatingIPName(link)), Type: hcloud.FloatingIPTypeIPv4,
			HomeLocation: &hcloud.Location{Name: "nbg1"}, Labels: lbl}); err != nil {
			t.Fatal(err)
		}
	}
	pair("ours", labels("ours"))
	// Named like the link "theirs" would name them, but without the
	// managed-by mark: someone else's, whatever the link label says.
	pair("theirs", map[string]string{hetzner.LabelLink: "theirs"})

	for _, link := range []string{"ours", "theirs"} {
		if err := teardownHetzner(ctx, clouds{hc: hc}, spec{Name: link}, &progress{}); err != nil {
			t.Fatalf("teardown of %s: %v", link, err)
		}
	}
	var left []string
	for _, r := range i.State(t) {
		// The servers' own primary IPs go with them (auto_delete); only
		// "theirs" still has a server, so they are not what is asked here.
		if r.Cloud == "hcloud" && r.Type != "primary_ip" {
			left = append(left, r.Type+" "+r.Name)
		}
	}
	slices.Sort(left)
	want := []string{"floating_ip theirs-gw-fip", "placement_group theirs-gw-spread", "server theirs-gw-b"}
	if !slices.Equal(left, want) {
		t.Errorf("left after teardown: %q, want only the objects that are not the link's: %q", left, want)
	}
}
