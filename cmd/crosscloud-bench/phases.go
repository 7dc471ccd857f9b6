package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

type bench struct {
	log io.Writer
	bin harness.Binaries
	res Result
}

func (b *bench) build(ctx context.Context) (err error) {
	cli, err := harness.CurrentCLI(ctx)
	if err != nil {
		return err
	}
	b.res.CLI = cli.Name() + " " + cli.Version
	fmt.Fprintf(b.log, "  driving %s\n", cli)
	b.bin, err = harness.Build(ctx)
	return err
}

// peak keeps the largest provider RSS seen and the command it was seen in.
func (b *bench) peak(r harness.Result) {
	if mb := float64(r.ProviderPeakRSS) / (1 << 20); mb > b.res.PeakRSSMB {
		b.res.PeakRSSMB, b.res.PeakRSSCmd = mb, fmt.Sprint(r.Args)
	}
}

func (b *bench) run(ctx context.Context, ws *harness.Workspace, args ...string) (harness.Result, error) {
	r := ws.RunWith(ctx, harness.RunOptions{WatchRSS: true}, args...)
	b.peak(r)
	fmt.Fprintf(b.log, "  %s %v: %s, exit %d\n", r.Command, args, r.Duration.Round(time.Millisecond), r.ExitCode)
	return r, r.Err()
}

// measured runs a terraform command and returns the emulator's request
// counters around it.
func (b *bench) measured(ctx context.Context, sim *harness.Sim, ws *harness.Workspace, args ...string) (harness.Result, harness.StatsDelta, error) {
	before, err := sim.Stats(ctx)
	if err != nil {
		return harness.Result{}, harness.StatsDelta{}, err
	}
	r, err := b.run(ctx, ws, args...)
	if err != nil {
		return r, harness.StatsDelta{}, err
	}
	after, err := sim.Stats(ctx)
	return r, harness.Delta(before, after), err
}

// tunnel applies a fresh link at the time scale where the gateway takes
// -gateway, compares the wall time with the critical path the emulator's
// records impose, refreshes it, applies a second link that reuses its
// gateway, and destroys both.
func (b *bench) tunnel(ctx context.Context) error {
	sim, err := harness.StartSim(ctx, b.bin.Sim, harness.SimOptions{TimeScale: b.res.TimeScale, Log: b.log})
	if err != nil {
		return err
	}
	defer sim.Stop()
	vnets, err := harness.SeedVNets(ctx, sim, 1)
	if err != nil {
		return err
	}
	baseline, err := sim.State(ctx)
	if err != nil {
		return err
	}
	fresh, err := harness.LinkWorkspace(b.bin, sim, map[string]harness.Link{
		"bench-fresh": {ResourceGroupName: harness.BenchResourceGroup, VirtualNetworkID: vnets[0]},
	})
	if err != nil {
		return err
	}
	defer fresh.Remove()

	start := time.Now()
	sampler := harness.StartSampler(ctx, sim, 50*time.Millisecond)
	r, d, err := b.measured(ctx, sim, fresh, "apply", "-auto-approve")
	samples := sampler.Stop()
	if err != nil {
		return err
	}
	b.res.ApplySeconds, b.res.RequestsCreate = r.Duration.Seconds(), requests(d)
	recs, err := sim.RecordsAfter(ctx, start)
	if err != nil {
		return err
	}
	if err := b.paths(start, recs, samples); err != nil {
		return err
	}

	if _, d, err = b.measured(ctx, sim, fresh, "plan", "-detailed-exitcode"); err != nil {
		return fmt.Errorf("a plan right after apply must show no changes (exit 0): %w", err)
	}
	b.res.RequestsRefresh = requests(d)

	out, err := fresh.Outputs(ctx)
	if err != nil {
		return err
	}
	var linkOut map[string]struct {
		GatewayID string `json:"azure_gateway_id"`
	}
	if err := json.Unmarshal(out["links"], &linkOut); err != nil || linkOut["bench-fresh"].GatewayID == "" {
		return fmt.Errorf("output links has no azure_gateway_id for bench-fresh (%s): %v", out["links"], err)
	}
	reuse, err := harness.LinkWorkspace(b.bin, sim, map[string]harness.Link{
		"bench-reuse": {ResourceGroupName: harness.BenchResourceGroup, VirtualNetworkID: vnets[0],
			GatewaySubnet: "10.0.2.0/24", VirtualNetworkGatewayID: linkOut["bench-fresh"].GatewayID},
	})
	if err != nil {
		return err
	}
	defer reuse.Remove()
	start = time.Now()
	if r, err = b.run(ctx, reuse, "apply", "-auto-approve"); err != nil {
		return err
	}
	b.res.ReuseSeconds = r.Duration.Seconds()
	if recs, err = sim.RecordsAfter(ctx, start); err != nil {
		return err
	}
	cp, _ := harness.CriticalPath(recs)
	b.res.ReuseCritical = cp.Seconds()
	b.res.ReuseSpeedup = b.res.ApplySeconds / b.res.ReuseSeconds

	// The reusing link goes first: its connection holds the gateway.
	if _, err := b.run(ctx, reuse, "destroy", "-auto-approve"); err != nil {
		return err
	}
	r, d, err = b.measured(ctx, sim, fresh, "destroy", "-auto-approve")
	if err != nil {
		return err
	}
	b.res.DestroySeconds, b.res.RequestsDestroy = r.Duration.Seconds(), requests(d)
	left, err := sim.State(ctx)
	if err != nil {
		return err
	}
	for _, o := range harness.Orphans(baseline, left) {
		b.res.Orphans++
		b.res.OrphanNames = append(b.res.OrphanNames, o.Type+"/"+o.Name)
	}
	return nil
}

// paths fills the critical-path figures from the emulator's records of the
// fresh apply, and the Hetzner request rate inside the gateway's window.
func (b *bench) paths(start time.Time, recs []harness.Record, samples []harness.StatsSample) error {
	gw, ok := harness.Find(recs, harness.StepGateway)
	if !ok {
		return fmt.Errorf("the emulator recorded no gateway creation (%s) during the fresh apply", harness.StepGateway)
	}
	cp, path := harness.CriticalPath(recs)
	b.res.GatewaySeconds = gw.Duration().Seconds()
	b.res.CriticalPath, b.res.PathSteps = cp.Seconds(), path
	// What terraform and the provider add beyond the clouds' own waits
	// (start-up, plan, requests, poll granularity) is kept in the
	// sequential estimate: only the waits change from concurrent to serial.
	b.res.SequentialWait = harness.SequentialTime(recs).Seconds()
	b.res.Overhead = b.res.ApplySeconds - b.res.CriticalPath
	b.res.Sequential = b.res.Overhead + b.res.SequentialWait
	b.res.FirstOp = recs[0].Start.Sub(start).Seconds()
	b.res.RatioTunnel = b.res.ApplySeconds / b.res.CriticalPath
	b.res.RatioSeq = b.res.Sequential / b.res.CriticalPath
	b.res.Unplaced = harness.Unplaced(recs)
	n := harness.CountBetween(samples, simenv.CloudHCloud, gw.Start, gw.End)
	b.res.HCloudWaitRequests = float64(n)
	// The window lasts gw.Duration() here and gw.Duration()/scale in real
	// life; polling intervals scale with it (HCLOUD_POLL_INTERVAL), so the
	// request count is the same and only the hour is longer.
	realWindow := gw.Duration().Hours() / b.res.TimeScale
	b.res.HCloudPerHour = float64(n) / realWindow
	var hetznerDone time.Time
	for _, r := range recs {
		if r.Cloud == simenv.CloudHCloud && r.End.After(hetznerDone) {
			hetznerDone = r.End
		}
	}
	if hetznerDone.Before(gw.End) {
		b.res.HCloudIdle = float64(harness.CountBetween(samples, simenv.CloudHCloud, hetznerDone, gw.End))
	}
	return nil
}

// planScaling times `terraform plan` with no changes over 1 and n links, on
// an emulator so fast that building 50 gateways costs seconds. Each plan is
// run three times; the median counts.
func (b *bench) planScaling(ctx context.Context, n int, scale float64) error {
	sim, err := harness.StartSim(ctx, b.bin.Sim, harness.SimOptions{TimeScale: scale, Log: b.log})
	if err != nil {
		return err
	}
	defer sim.Stop()
	vnets := make([]string, n+1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range vnets {
		g.Go(func() error {
			id, err := harness.SeedAzure(gctx, sim, harness.AzureSeed{ResourceGroup: harness.BenchResourceGroup,
				Location: "westeurope", VNet: harness.BenchVNet(i), AddressSpace: []string{"10.1.0.0/16"},
				Subnets: map[string]string{"workload": "10.1.1.0/24"}})
			vnets[i] = id
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	one := map[string]harness.Link{"plan-one": {ResourceGroupName: harness.BenchResourceGroup, VirtualNetworkID: vnets[n]}}
	many := map[string]harness.Link{}
	for i := range n {
		many[fmt.Sprintf("plan-%02d", i)] = harness.Link{ResourceGroupName: harness.BenchResourceGroup, VirtualNetworkID: vnets[i]}
	}
	for _, c := range []struct {
		links map[string]harness.Link
		out   *float64
	}{{one, &b.res.PlanSeconds1}, {many, &b.res.PlanSecondsN}} {
		ws, err := harness.LinkWorkspace(b.bin, sim, c.links)
		if err != nil {
			return err
		}
		defer ws.Remove()
		if _, err := b.run(ctx, ws, "apply", "-auto-approve"); err != nil {
			return err
		}
		var times []float64
		for range 3 {
			r, err := b.run(ctx, ws, "plan", "-detailed-exitcode")
			if err != nil {
				return fmt.Errorf("plan over %d links must show no changes: %w", len(c.links), err)
			}
			times = append(times, r.Duration.Seconds())
		}
		slices.Sort(times)
		*c.out = times[1]
	}
	b.res.PlanMsPerLink = (b.res.PlanSecondsN - b.res.PlanSeconds1) / float64(n-1) * 1000
	return nil
}

// schema measures a cold GetProviderSchema five times; the median counts.
func (b *bench) schema(ctx context.Context) error {
	var rpc, startup []time.Duration
	for range 5 {
		t, err := harness.MeasureSchema(ctx, b.bin.Provider)
		if err != nil {
			return err
		}
		rpc, startup = append(rpc, t.RPC), append(startup, t.Startup)
		b.res.SchemaBytes = t.Bytes
	}
	slices.Sort(rpc)
	slices.Sort(startup)
	b.res.SchemaMs = float64(rpc[2].Microseconds()) / 1000
	b.res.SchemaStartupMs = float64(startup[2].Microseconds()) / 1000
	return nil
}
