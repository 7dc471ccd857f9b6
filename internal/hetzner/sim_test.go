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
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// emu is one emulated Hetzner project reached through the real hcloud-go
// client, so the adapter is tested against Hetzner's wire format, error
// codes and action protocol.
type emu struct {
	c     *hcloud.Client
	stats *simenv.Stats
	clock *simenv.Clock
	// sim is the emulated project, for tests that change what Hetzner can
	// place (SetAvailable, FailServerCreates).
	sim *hcloudsim.Server
}

// newEmu starts an emulator; scale is its time scale (actions take 1-3 s
// times scale). The client polls every millisecond and never retries by
// itself, so every `locked` answer reaches the adapter's own Retry.
func newEmu(t *testing.T, scale float64) *emu { return newFaultyEmu(t, scale, nil) }

// newFaultyEmu is newEmu with injected faults (nil: none).
func newFaultyEmu(t *testing.T, scale float64, faults *simenv.Faults) *emu {
	t.Helper()
	env := &simenv.Env{Clock: &simenv.Clock{Scale: scale}, Token: "t", Stats: &simenv.Stats{}, Faults: faults}
	sim := hcloudsim.New(env)
	mux := http.NewServeMux()
	mux.Handle("/hcloud/v1/", http.StripPrefix("/hcloud/v1", sim))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	c := hcloud.NewClient(hcloud.WithEndpoint(ts.URL+"/hcloud/v1"), hcloud.WithToken("t"),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(time.Millisecond)}),
		hcloud.WithRetryOpts(hcloud.RetryOpts{MaxRetries: 0}))
	return &emu{c: c, stats: env.Stats, clock: env.Clock, sim: sim}
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

// setScale changes the emulator's time scale from now on.
func (e *emu) setScale(f float64) { e.clock.Scale = f }

// gateway is one link's Hetzner side in an emulator: network, primary IP,
// firewall and a running gateway server holding 10.0.1.5.
type gateway struct {
	e    *emu
	spec ServerSpec
	srv  *hcloud.Server
}

func newGateway(t *testing.T, serverType string) *gateway {
	t.Helper()
	e := newEmu(t, 0.0001)
	ctx := tctx(t)
	n := e.network(t, "net", "10.0.0.0/12", "10.0.1.0/24")
	ip, err := EnsurePrimaryIP(ctx, e.c, PrimaryIPSpec{Name: "l-gw-ipv4", Location: "nbg1", Labels: Labels("l")})
	if err != nil {
		t.Fatal(err)
	}
	fw, err := EnsureFirewall(ctx, e.c, FirewallSpec{Name: "l-gw-fw", PeerIPv4: mustAddr("198.51.100.7"), Labels: Labels("l")})
	if err != nil {
		t.Fatal(err)
	}
	spec := ServerSpec{Name: "l-gw", ServerType: serverType, Image: "debian-12", Location: "nbg1", UserData: "#cloud-config\n",
		PrimaryIPID: ip.ID, FirewallID: fw.ID, NetworkID: n.ID, PrivateIP: mustAddr("10.0.1.5"), Labels: Labels("l")}
	srv, err := EnsureServer(ctx, e.c, spec)
	if err != nil {
		t.Fatal(err)
	}
	return &gateway{e: e, spec: spec, srv: srv}
}
