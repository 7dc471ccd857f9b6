package hcloudsim

import (
	"net"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// /_sim/state lists a network's subnets and routes on their own, so that
// what a destroy left inside a network that outlives it (a user's) counts
// as an orphan; they go with their network.
func TestResourcesListSubnetsAndRoutes(t *testing.T) {
	f := newFixture(t)
	n, _, err := f.client.Network.Create(ctx(t), hcloud.NetworkCreateOpts{Name: "users", IPRange: cidr("10.0.0.0/12"),
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: cidr("10.0.1.0/24"), NetworkZone: hcloud.NetworkZoneEUCentral}},
		Routes:  []hcloud.NetworkRoute{{Destination: cidr("10.1.0.0/16"), Gateway: net.ParseIP("10.0.1.1")}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"network": "1", "network_subnet": "1/10.0.1.0/24", "network_route": "1/10.1.0.0/16"}
	got := map[string]string{}
	for _, r := range f.sim.Resources() {
		if r.Cloud != simenv.CloudHCloud {
			t.Errorf("cloud %q", r.Cloud)
		}
		got[r.Type] = r.ID
	}
	if len(got) != len(want) || got["network"] != want["network"] || got["network_subnet"] != want["network_subnet"] || got["network_route"] != want["network_route"] {
		t.Errorf("Resources() = %v, want %v", got, want)
	}
	if _, err := f.client.Network.Delete(ctx(t), n); err != nil {
		t.Fatal(err)
	}
	if left := f.sim.Resources(); len(left) != 0 {
		t.Errorf("after deleting the network: %v", left)
	}
}
