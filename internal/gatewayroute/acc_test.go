package gatewayroute_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// acc is where one acceptance test runs: its own emulator by default, or
// the real Hetzner Cloud project of HCLOUD_TOKEN when that is set (then the
// provider reads HCLOUD_TOKEN / HCLOUD_ENDPOINT itself).
type acc struct {
	t        *testing.T
	provider string
	hc       *hcloud.Client
	sim      *simtest.Instance // nil against a real project
}

func newAcc(t *testing.T) *acc {
	t.Helper()
	if tok := os.Getenv("HCLOUD_TOKEN"); tok != "" {
		opts := []hcloud.ClientOption{hcloud.WithToken(tok)}
		if ep := os.Getenv("HCLOUD_ENDPOINT"); ep != "" {
			opts = append(opts, hcloud.WithEndpoint(ep))
		}
		return &acc{t: t, provider: `provider "crosscloud" {}` + "\n", hc: hcloud.NewClient(opts...)}
	}
	inst := simtest.Start(t)
	env := inst.Env()
	hc := hcloud.NewClient(hcloud.WithToken(env["HCLOUD_TOKEN"]), hcloud.WithEndpoint(env["HCLOUD_ENDPOINT"]),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(time.Millisecond)}))
	return &acc{t: t, provider: inst.ProviderConfig(), hc: hc, sim: inst}
}

func factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"crosscloud": providerserver.NewProtocol6WithError(provider.New("test")()),
	}
}

func (a *acc) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	a.t.Cleanup(cancel)
	return ctx
}

// network creates a network (as the user's other tooling would) with a
// unique name, deleted when the test ends.
func (a *acc) network(rng string, subnets ...string) *hcloud.Network {
	a.t.Helper()
	_, ipr, _ := net.ParseCIDR(rng)
	opts := hcloud.NetworkCreateOpts{Name: fmt.Sprintf("crosscloud-acc-%d", time.Now().UnixNano()), IPRange: ipr,
		Labels: map[string]string{"crosscloud.dev/acceptance-test": "true"}}
	for _, s := range subnets {
		_, sr, _ := net.ParseCIDR(s)
		opts.Subnets = append(opts.Subnets, hcloud.NetworkSubnet{Type: hcloud.NetworkSubnetTypeCloud, IPRange: sr, NetworkZone: hcloud.NetworkZoneEUCentral})
	}
	n, _, err := a.hc.Network.Create(a.ctx(), opts)
	if err != nil {
		a.t.Fatalf("create network: %v", err)
	}
	a.t.Cleanup(func() {
		if err := hetzner.DeleteNetwork(context.Background(), a.hc, n.ID); err != nil {
			a.t.Errorf("cleanup: %v", err)
		}
	})
	return n
}

// routes returns the live routes of a network, destination -> gateway.
func (a *acc) routes(id int64) (map[string]string, string) {
	a.t.Helper()
	n, err := hetzner.GetNetwork(a.ctx(), a.hc, id)
	if err != nil || n == nil {
		a.t.Fatalf("network %d: %v", id, err)
	}
	rng, _, rs := hetzner.NetworkFacts(n)
	out := map[string]string{}
	for _, r := range rs {
		out[r.Destination.String()] = r.Gateway.String()
	}
	return out, rng.String()
}

// checkLive asserts the network's routes and range as Hetzner reports them,
// not as the state claims.
func (a *acc) checkLive(id int64, wantRange string, want map[string]string) func(*terraform.State) error {
	return func(*terraform.State) error {
		got, rng := a.routes(id)
		if rng != wantRange {
			return fmt.Errorf("network %d range %s, want %s", id, rng, wantRange)
		}
		if len(got) != len(want) {
			return fmt.Errorf("network %d routes %v, want %v", id, got, want)
		}
		for d, g := range want {
			if got[d] != g {
				return fmt.Errorf("network %d route %s via %q, want %q (all: %v)", id, d, got[d], g, got)
			}
		}
		return nil
	}
}

func (a *acc) setRoute(id int64, dest, gw string) {
	a.t.Helper()
	if err := hetzner.EnsureRoute(a.ctx(), a.hc, id, netip.MustParsePrefix(dest), netip.MustParseAddr(gw)); err != nil {
		a.t.Fatal(err)
	}
}

func (a *acc) config(networkID int64, dest, gw string, extra string) string {
	return a.provider + fmt.Sprintf(`
resource "crosscloud_hcloud_gateway_route" "r" {
  network_id  = %d
  destination = %q
  gateway     = %q
%s}
`, networkID, dest, gw, extra)
}

func id(n *hcloud.Network) string { return strconv.FormatInt(n.ID, 10) }

var mustPrefix = netip.MustParsePrefix
