package harness

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// ChaosOptions configures a reliability run: seeded fault runs, then
// interrupted, hard-killed, lost-state and shared-gateway runs, each on its
// own emulator.
type ChaosOptions struct {
	// Runs is the number of apply+destroy runs with injected faults.
	Runs int
	// Interrupts is the number of runs whose first apply gets SIGINT at a
	// random moment during create and SIGKILL after Grace.
	Interrupts int
	// Kills is the number of runs whose first apply is SIGKILLed (the whole
	// process group, provider included, no SIGINT first) at a random moment
	// during create, then re-applied and destroyed.
	Kills int
	// LostState is the number of runs whose state file is deleted after a
	// converged create; the link is recovered (terraform import on even
	// seeds, a re-apply that finds everything by name on odd ones), then
	// destroyed.
	LostState int
	// MultiLink is the number of runs in which MultiLinkReusers links
	// reusing one Azure gateway are applied together with Terraform's
	// default parallelism.
	MultiLink int
	// Seed is the first seed; run i uses Seed+i for the emulator's fault
	// stream and the interrupt moment, so a failing run can be replayed.
	Seed uint64
	// FaultSpec is the -faults spec of the fault runs, with "%d" for the
	// seed. Empty means DefaultFaultSpec.
	FaultSpec string
	// Gateway is the wall time a gateway takes to provision (sets the time
	// scale). 0 means 3 s.
	Gateway time.Duration
	// Grace is the time between SIGINT and SIGKILL. 0 means 2 s.
	Grace time.Duration
	// Parallel runs this many runs at once (each with its own emulator).
	// 0 means 1.
	Parallel int
	// Log receives one line per run (and per terraform command).
	Log io.Writer
}

// DefaultFaultSpec injects every random fault kind the emulator knows: 500s,
// 429 with Retry-After, connections dropped before any change, failed
// long-running operations (ARM LROs and Hetzner actions), and Hetzner server
// creates refused for capacity (resource_unavailable, placement_error). The
// emulator's deterministic habits need no knob and meet every run: Hetzner's
// propagation delays (subnet, private IP, firewall) and its request budget,
// ARM's 404 operation URLs for local network gateway updates, and conflicts
// (also inside failed operations) between writes to one gateway's
// connections, which the multi-link runs provoke.
const DefaultFaultSpec = "error_rate=0.05,rate_limit_rate=0.05,drop_rate=0.02,lro_failure_rate=0.03," +
	"resource_unavailable_rate=0.05,placement_error_rate=0.02,seed=%d"

// MaxReapplies is how many times a run may re-run apply after the first
// one before it counts as not converged.
const MaxReapplies = 2

// MultiLinkReusers is how many links of a multi-link run reuse the gateway
// its first link created.
const MultiLinkReusers = 3

// Run kinds.
const (
	KindFaults    = "faults"
	KindInterrupt = "interrupt"
	KindKill      = "kill"
	KindLostState = "lost_state"
	KindMultiLink = "multi_link"
)

// ChaosResult sums the runs; the JSON field names are the CHAOS line's.
type ChaosResult struct {
	// CLI names the terraform or tofu that drove the runs.
	CLI               string `json:"cli"`
	Runs              int    `json:"runs"`
	Converged         int    `json:"converged"`
	Orphans           int    `json:"orphans"`
	DuplicateGateways int    `json:"duplicate_gateways"`
	MaxReapplies      int    `json:"max_reapplies"`
	// Interrupted counts the interrupt runs whose apply really got the
	// SIGINT (one that finished first tested nothing), InterruptsKilled
	// those that also needed the SIGKILL after the grace period.
	Interrupted      int `json:"interrupted"`
	InterruptsKilled int `json:"interrupts_killed"`
	// Killed counts the kill runs whose apply really was SIGKILLed mid-run
	// (no SIGINT first).
	Killed int `json:"killed"`
	// StateLostRecovered counts lost-state runs whose link was recovered
	// (a plan with no changes after import or re-apply, no duplicate).
	StateLostRecovered int `json:"state_lost_recovered"`
	// MultiLinkConverged counts multi-link runs whose reusing links all
	// converged in their first apply, with no conflict reaching the user.
	MultiLinkConverged int        `json:"multi_link_converged"`
	Details            []ChaosRun `json:"-"`
}

// Chaos runs the reliability suite. An error means the harness itself could
// not run (build, emulator start); what the provider did is in the result.
func Chaos(ctx context.Context, o ChaosOptions) (ChaosResult, error) {
	if o.Gateway <= 0 {
		o.Gateway = 3 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 2 * time.Second
	}
	if o.FaultSpec == "" {
		o.FaultSpec = DefaultFaultSpec
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	b, err := Build(ctx)
	if err != nil {
		return ChaosResult{}, err
	}
	cli, err := CurrentCLI(ctx)
	if err != nil {
		return ChaosResult{}, err
	}
	fmt.Fprintf(o.Log, "chaos: driving %s\n", cli)
	var kinds []string
	for _, k := range []struct {
		n    int
		kind string
	}{{o.Runs, KindFaults}, {o.Interrupts, KindInterrupt}, {o.Kills, KindKill}, {o.LostState, KindLostState}, {o.MultiLink, KindMultiLink}} {
		for range k.n {
			kinds = append(kinds, k.kind)
		}
	}
	runs := make([]ChaosRun, len(kinds))
	var logMu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.Parallel, 1))
	for i, kind := range kinds {
		seed := o.Seed + uint64(i)
		g.Go(func() error {
			r, err := chaosRun(gctx, b, o, seed, kind)
			if err != nil {
				return fmt.Errorf("run %d (seed %d, %s): %w", i, seed, kind, err)
			}
			runs[i] = r
			logMu.Lock()
			fmt.Fprintf(o.Log, "run %2d seed %-4d %-10s applies=%d converged=%-5t destroys=%d gateways<=%d servers<=%d orphans=%d %s\n",
				i, seed, kind, r.Applies, r.Converged, r.Destroys, r.MaxGateways, r.MaxServers, len(r.Orphans), r.Error)
			logMu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return ChaosResult{}, err
	}
	res := ChaosResult{CLI: cli.Name() + " " + cli.Version, Runs: len(runs), Details: runs}
	for _, r := range runs {
		res.Converged += boolInt(r.Converged)
		res.Orphans += len(r.Orphans)
		res.DuplicateGateways += r.Duplicates()
		res.MaxReapplies = max(res.MaxReapplies, r.Reapplies)
		res.Interrupted += boolInt(r.Interrupted)
		res.InterruptsKilled += boolInt(r.Interrupted && r.Killed)
		res.Killed += boolInt(r.Killed && !r.Interrupted)
		res.StateLostRecovered += boolInt(r.StateLostRecovered)
		res.MultiLinkConverged += boolInt(r.MultiLinkConverged)
	}
	return res, nil
}
