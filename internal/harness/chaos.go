package harness

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/azuresim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simcore"
)

// ChaosOptions configures a reliability run: seeded fault runs, then
// interrupted-apply runs, each on its own emulator.
type ChaosOptions struct {
	// Runs is the number of apply+destroy runs with injected faults.
	Runs int
	// Interrupts is the number of runs whose first apply gets SIGINT at a
	// random moment during create and SIGKILL after Grace.
	Interrupts int
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

// DefaultFaultSpec injects every fault kind the emulator knows: 500s, 429
// with Retry-After, connections dropped before any change, and failed
// long-running operations (ARM LROs and Hetzner actions).
const DefaultFaultSpec = "error_rate=0.05,rate_limit_rate=0.05,drop_rate=0.02,lro_failure_rate=0.03,seed=%d"

// MaxReapplies is how many times a run may re-run apply after the first
// one before it counts as not converged.
const MaxReapplies = 2

// ChaosRun is what one run saw.
type ChaosRun struct {
	Seed           uint64             `json:"seed"`
	Kind           string             `json:"kind"` // "faults" or "interrupt"
	Faults         string             `json:"faults,omitempty"`
	InterruptAfter float64            `json:"interrupt_after_first_change_seconds,omitempty"`
	Interrupted    bool               `json:"interrupted,omitempty"`
	Killed         bool               `json:"killed,omitempty"`
	Applies        int                `json:"applies"`
	Reapplies      int                `json:"reapplies"`
	Converged      bool               `json:"converged"`
	Destroys       int                `json:"destroys"`
	MaxGateways    int                `json:"max_gateways"`
	MaxServers     int                `json:"max_servers"`
	Orphans        []simcore.Resource `json:"orphans,omitempty"`
	Error          string             `json:"error,omitempty"`
}

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
	// SIGINT (one that finished first tested nothing), Killed those that
	// also needed the SIGKILL.
	Interrupted int        `json:"interrupted"`
	Killed      int        `json:"killed"`
	Details     []ChaosRun `json:"-"`
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
	runs := make([]ChaosRun, o.Runs+o.Interrupts)
	var logMu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(o.Parallel, 1))
	for i := range runs {
		seed := o.Seed + uint64(i)
		kind := "faults"
		if i >= o.Runs {
			kind = "interrupt"
		}
		g.Go(func() error {
			r, err := chaosRun(gctx, b, o, seed, kind)
			if err != nil {
				return fmt.Errorf("run %d (seed %d, %s): %w", i, seed, kind, err)
			}
			runs[i] = r
			logMu.Lock()
			fmt.Fprintf(o.Log, "run %2d seed %-4d %-9s applies=%d converged=%-5t destroys=%d gateways<=%d orphans=%d %s\n",
				i, seed, kind, r.Applies, r.Converged, r.Destroys, r.MaxGateways, len(r.Orphans), r.Error)
			logMu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return ChaosResult{}, err
	}
	res := ChaosResult{CLI: cli.Name() + " " + cli.Version, Runs: len(runs), Details: runs}
	for _, r := range runs {
		if r.Converged {
			res.Converged++
		}
		res.Orphans += len(r.Orphans)
		res.DuplicateGateways += max(r.MaxGateways-1, 0) + max(r.MaxServers-1, 0)
		res.MaxReapplies = max(res.MaxReapplies, r.Reapplies)
		res.Interrupted += boolInt(r.Interrupted)
		res.Killed += boolInt(r.Killed)
	}
	return res, nil
}

// chaosRun is one run: emulator, seeded VNet, apply (re-run up to
// MaxReapplies times until a plan shows no changes), destroy (re-run until
// it succeeds, a few times), then a look at what is left.
func chaosRun(ctx context.Context, b Binaries, o ChaosOptions, seed uint64, kind string) (ChaosRun, error) {
	run := ChaosRun{Seed: seed, Kind: kind}
	rng := rand.New(rand.NewPCG(seed, 0x63686173))
	so := SimOptions{TimeScale: o.Gateway.Seconds() / azuresim.DefaultGatewayCreate.Seconds()}
	if kind == "faults" {
		run.Faults = strings.ReplaceAll(o.FaultSpec, "%d", fmt.Sprint(seed))
		so.Faults = run.Faults
	}
	sim, err := StartSim(ctx, b.Sim, so)
	if err != nil {
		return run, err
	}
	defer sim.Stop()
	var vnets []string
	for range 3 { // seeding meets the same faults; a user's tooling retries
		if vnets, err = SeedVNets(ctx, sim, 1); err == nil {
			break
		}
	}
	if err != nil {
		return run, fmt.Errorf("seeding the VNet: %w", err)
	}
	baseline, err := sim.State(ctx)
	if err != nil {
		return run, err
	}
	name := fmt.Sprintf("chaos-%d", seed)
	ws, err := LinkWorkspace(b, sim, map[string]Link{name: {ResourceGroupName: BenchResourceGroup, VirtualNetworkID: vnets[0]}})
	if err != nil {
		return run, err
	}
	defer ws.Remove()
	watch := watchDuplicates(ctx, sim)

	var ro RunOptions
	if kind == "interrupt" {
		// "During create": a random moment within the gateway's wait after
		// the first change the emulator sees (the plan phase changes
		// nothing), so every phase of the create graph gets hit.
		after := time.Duration(rng.Int64N(int64(o.Gateway)))
		run.InterruptAfter = after.Seconds()
		ro.Interrupt = afterFirstChange(ctx, sim, after)
		ro.KillAfter = o.Grace
	}
	var last Result
	// An interrupted first apply is the experiment; the first normal apply
	// and up to MaxReapplies re-runs follow it.
	for attempt := 0; attempt <= MaxReapplies+boolInt(run.Interrupted); attempt++ {
		opts := RunOptions{}
		if attempt == 0 {
			opts = ro
		}
		last = ws.RunWith(ctx, opts, "apply", "-auto-approve")
		run.Applies++
		run.Interrupted = run.Interrupted || last.Interrupted
		run.Killed = run.Killed || last.Killed
		fmt.Fprintf(o.Log, "  seed %d: apply #%d exit %d in %s (interrupted %t, killed %t) %s\n",
			seed, attempt+1, last.ExitCode, last.Duration.Round(time.Millisecond), last.Interrupted, last.Killed, firstLine(last.Err()))
		if last.Interrupted || last.ExitCode != 0 {
			continue
		}
		if planClean(ctx, ws) {
			run.Converged = true
			break
		}
	}
	run.Reapplies = max(run.Applies-1-boolInt(run.Interrupted), 0)
	if !run.Converged {
		run.Error = "apply did not converge: " + firstLine(last.Err())
	}
	for run.Destroys < 4 {
		run.Destroys++
		d := ws.Run(ctx, "destroy", "-auto-approve")
		if d.ExitCode == 0 {
			break
		}
		fmt.Fprintf(o.Log, "  seed %d: destroy #%d exit %d: %s\n", seed, run.Destroys, d.ExitCode, firstLine(d.Err()))
		if run.Destroys == 4 {
			run.Error = strings.TrimSpace(run.Error + "; destroy failed: " + firstLine(d.Err()))
		}
	}
	run.MaxGateways, run.MaxServers = watch.stop()
	left, err := sim.State(ctx)
	if err != nil {
		return run, err
	}
	run.Orphans = Orphans(baseline, left)
	return run, nil
}

// afterFirstChange returns a channel closed `after` past the first
// mutating request the emulator counts from now on.
func afterFirstChange(ctx context.Context, sim *Sim, after time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		base, err := sim.Stats(ctx)
		for err == nil {
			st, e := sim.Stats(ctx)
			if e != nil || st.MutationsTotal > base.MutationsTotal {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(after):
			close(ch)
		}
	}()
	return ch
}

// planClean reports whether `terraform plan -detailed-exitcode` says the
// infrastructure matches the configuration (exit 0). A plan that errors
// (faults hit the refresh) is retried; exit 2 (changes) is final.
func planClean(ctx context.Context, ws *Workspace) bool {
	for range 3 {
		switch ws.Run(ctx, "plan", "-detailed-exitcode").ExitCode {
		case 0:
			return true
		case 2:
			return false
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstLine(err error) string {
	if err == nil {
		return ""
	}
	var out []string
	for line := range strings.SplitSeq(err.Error(), "\n") {
		l := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "│╷╵"))
		switch {
		case strings.HasPrefix(l, "Error:"):
			out = append(out, l)
		case len(out) > 0 && len(out) < 3 && l != "" && !isSourceLine(l):
			out = append(out, l) // the summary's first detail lines
		}
		if len(out) == 3 {
			break
		}
	}
	if len(out) == 0 {
		s, _, _ := strings.Cut(err.Error(), "\n")
		return s
	}
	return strings.Join(out, " ")
}

// isSourceLine recognises terraform's pointers to the configuration in an
// error block ("with x,", "on main.tf line 3, in ...:", "3: resource ..."),
// which say nothing about what went wrong.
func isSourceLine(l string) bool {
	if strings.HasPrefix(l, "with ") || strings.HasPrefix(l, "on ") {
		return true
	}
	n, _, ok := strings.Cut(l, ":")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// Orphans lists resources in after that were not in baseline: what a
// destroy left behind, excluding what the harness itself created (the
// resource group and VNet a user would own).
func Orphans(baseline, after []simcore.Resource) []simcore.Resource {
	key := func(r simcore.Resource) string { return r.Cloud + "|" + r.Type + "|" + strings.ToLower(r.ID) }
	seen := map[string]bool{}
	for _, r := range baseline {
		seen[key(r)] = true
	}
	return slices.DeleteFunc(slices.Clone(after), func(r simcore.Resource) bool { return seen[key(r)] })
}

// dupWatch samples /_sim/state during a run and keeps the largest number of
// Azure VPN gateways and Hetzner servers alive at once: a link owns one of
// each, so anything above one is a duplicate (a retried create that did
// not adopt the first one).
type dupWatch struct {
	cancel            context.CancelFunc
	done              chan struct{}
	gateways, servers int
}

func watchDuplicates(ctx context.Context, sim *Sim) *dupWatch {
	ctx, cancel := context.WithCancel(ctx)
	w := &dupWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			if res, err := sim.State(ctx); err == nil {
				var gw, srv int
				for _, r := range res {
					gw += boolInt(r.Type == "Microsoft.Network/virtualNetworkGateways")
					srv += boolInt(r.Cloud == simcore.CloudHCloud && r.Type == "server")
				}
				w.gateways, w.servers = max(w.gateways, gw), max(w.servers, srv)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *dupWatch) stop() (gateways, servers int) {
	w.cancel()
	<-w.done
	return w.gateways, w.servers
}
