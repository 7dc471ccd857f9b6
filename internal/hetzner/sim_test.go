package hetzner

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simcore"
)

// emu is one emulated Hetzner project reached through the real hcloud-go
// client, so the adapter is tested against Hetzner's wire format, error
// codes and action protocol.
type emu struct {
	c     *hcloud.Client
	stats *simcore.Stats
	clock *simcore.Clock
}

// newEmu starts an emulator; scale is its time scale (actions take 1-3 s
// times scale). The client polls every millisecond and never retries by
// itself, so every `locked` answer reaches the adapter's own Retry.
func newEmu(t *testing.T, scale float64) *emu { return newFaultyEmu(t, scale, nil) }

// newFaultyEmu is newEmu with injected faults (nil: none).
func newFaultyEmu(t *testing.T, scale float64, faults *simcore.Faults) *emu {
	t.Helper()
	env := &simcore.Env{Clock: &simcore.Clock{Scale: scale}, Token: "t", Stats: &simcore.Stats{}, Faults: faults}
	mux := http.NewServeMux()
	mux.Handle("/hcloud/v1/", http.StripPrefix("/hcloud/v1", hcloudsim.New(env)))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	c := hcloud.NewClient(hcloud.WithEndpoint(ts.URL+"/hcloud/v1"), hcloud.WithToken("t"),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(time.Millisecond)}),
		hcloud.WithRetryOpts(hcloud.RetryOpts{MaxRetries: 0}))
	return &emu{c: c, stats: env.Stats, clock: env.Clock}
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// network creates a network the way a user's own tooling would.
func (e *emu) network(t *testing.T, name, rng string, subnets ...string) *hcloud.Network {
	t.Helper()
	opts := hcloud.NetworkCreateOpts{Name: name, IPRange: cidr(rng)}
	for _, s := range subnets {
		opts.Subnets = append(opts.Subnets, hcloud.NetworkSubnet{Type: hcloud.NetworkSubnetTypeCloud, IPRange: cidr(s), NetworkZone: hcloud.NetworkZoneEUCentral})
	}
	n, _, err := e.c.Network.Create(tctx(t), opts)
	if err != nil {
		t.Fatalf("create network %s: %v", name, err)
	}
	return n
}

func (e *emu) get(t *testing.T, id int64) *hcloud.Network {
	t.Helper()
	n, err := GetNetwork(tctx(t), e.c, id)
	if err != nil || n == nil {
		t.Fatalf("network %d: %v (nil=%v)", id, err, n == nil)
	}
	return n
}

func (e *emu) mutations() int64 { return e.stats.Snapshot().MutationsTotal }

var (
	mustPrefix = netip.MustParsePrefix
	mustAddr   = netip.MustParseAddr
)
