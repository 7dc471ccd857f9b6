package harness

import (
	"context"
	"fmt"
	"net"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// SeedHetznerNetwork creates a Hetzner network the way a user's own tooling
// would (no crosscloud labels) and returns its ID, for links that join an
// existing network (network_id) instead of creating theirs: such a link
// owns only the subnet and routes it adds, and must remove exactly those.
func SeedHetznerNetwork(ctx context.Context, sim *Sim, name, ipRange string) (int64, error) {
	_, rng, err := net.ParseCIDR(ipRange)
	if err != nil {
		return 0, err
	}
	c := hcloud.NewClient(hcloud.WithEndpoint(sim.Env["HCLOUD_ENDPOINT"]), hcloud.WithToken(sim.Env["HCLOUD_TOKEN"]))
	n, _, err := c.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: name, IPRange: rng, Labels: map[string]string{"owner": "user"}})
	if err != nil {
		return 0, fmt.Errorf("creating Hetzner network %s: %w", name, err)
	}
	return n.ID, nil
}
