package hetzner

import (
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// A link that adds its gateway subnet to a user's network and is killed
// right after add_subnet has no state saying the subnet is its own. The
// re-run must still find out (from the network's label) or destroy leaves
// the subnet in the user's network; another link, or a subnet the user
// made, is never claimed, and the user's own labels survive.
func TestSubnetOwnershipSurvivesALostRun(t *testing.T) {
	e := newEmu(t, 0.0001)
	n := e.network(t, "users", "10.0.0.0/12")
	if _, _, err := e.c.Network.Update(tctx(t), n, hcloudNetworkLabels(map[string]string{"env": "prod"})); err != nil {
		t.Fatal(err)
	}
	sub := mustPrefix("10.0.1.0/24")
	for i := range 2 { // the second call is the re-run after a kill
		owned, err := EnsureOwnedSubnet(tctx(t), e.c, n.ID, "eu-central", sub, "l")
		if err != nil || !owned {
			t.Fatalf("EnsureOwnedSubnet #%d = owned %v err %v, want owned", i+1, owned, err)
		}
	}
	if owned, err := EnsureOwnedSubnet(tctx(t), e.c, n.ID, "eu-central", sub, "other"); err != nil || owned {
		t.Fatalf("another link: owned %v err %v, want not owned", owned, err)
	}
	if err := DeleteOwnedSubnet(tctx(t), e.c, n.ID, sub, "l"); err != nil {
		t.Fatal(err)
	}
	got := e.get(t, n.ID)
	if _, subnets, _ := NetworkFacts(got); len(subnets) != 0 {
		t.Errorf("subnets after delete = %v", subnets)
	}
	if _, ok := got.Labels[SubnetLabel(sub)]; ok || got.Labels["env"] != "prod" {
		t.Errorf("labels after delete = %v; want the ownership label gone and env=prod kept", got.Labels)
	}

	// The user's own subnet is theirs.
	if _, err := EnsureSubnet(tctx(t), e.c, n.ID, "eu-central", sub); err != nil {
		t.Fatal(err)
	}
	if owned, err := EnsureOwnedSubnet(tctx(t), e.c, n.ID, "eu-central", sub, "l"); err != nil || owned {
		t.Fatalf("the user's subnet: owned %v err %v, want not owned", owned, err)
	}
}

func hcloudNetworkLabels(l map[string]string) hcloud.NetworkUpdateOpts {
	return hcloud.NetworkUpdateOpts{Labels: l}
}
