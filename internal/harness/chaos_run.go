package harness

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/azuresim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// ChaosRun is what one run saw.
type ChaosRun struct {
	Seed           uint64  `json:"seed"`
	Kind           string  `json:"kind"`
	Faults         string  `json:"faults,omitempty"`
	InterruptAfter float64 `json:"interrupt_after_first_change_seconds,omitempty"`
	Interrupted    bool    `json:"interrupted,omitempty"`
	// Killed: the harness SIGKILLed terraform's process group (after the
	// SIGINT's grace period when Interrupted, at once otherwise).
	Killed    bool `json:"killed,omitempty"`
	Applies   int  `json:"applies"`
	Reapplies int  `json:"reapplies"`
	Converged bool `json:"converged"`
	Destroys  int  `json:"destroys"`
	// Links is the most links the run's configuration held at once: each
	// owns one Hetzner gateway server.
	Links int `json:"links"`
	// Updated: after converging, the run changed the link in place
	// (local_prefixes) and applied again.
	Updated bool `json:"updated,omitempty"`
	// NetworkID is the user's Hetzner network the link joined, if any.
	NetworkID          int64             `json:"network_id,omitempty"`
	MaxGateways        int               `json:"max_gateways"`
	MaxServers         int               `json:"max_servers"`
	StateLostRecovered bool              `json:"state_lost_recovered,omitempty"`
	Recovery           string            `json:"recovery,omitempty"` // "import" or "reapply"
	MultiLinkConverged bool              `json:"multi_link_converged,omitempty"`
	Orphans            []simenv.Resource `json:"orphans,omitempty"`
	Error              string            `json:"error,omitempty"`
}

// Duplicates is how many gateways or gateway servers were alive beyond what
// the run's links own: one Azure gateway per run (the multi-link runs share
// one), one Hetzner server per link.
func (r ChaosRun) Duplicates() int {
	return max(r.MaxGateways-1, 0) + max(r.MaxServers-max(r.Links, 1), 0)
}

// chaosEnv is one run's emulator, workspace and watchers.
type chaosEnv struct {
	o        ChaosOptions
	b        Binaries
	sim      *Sim
	ws       *Workspace
	vnet     string
	baseline []simenv.Resource
	watch    *dupWatch
	run      *ChaosRun
}

func (e *chaosEnv) logf(format string, args ...any) {
	fmt.Fprintf(e.o.Log, "  seed %d: "+format+"\n", append([]any{e.run.Seed}, args...)...)
}

// chaosRun is one run: emulator, seeded VNet, the kind's experiment, a
// destroy (re-run until it succeeds, a few times), then a look at what is
// left.
func chaosRun(ctx context.Context, b Binaries, o ChaosOptions, seed uint64, kind string) (ChaosRun, error) {
	run := ChaosRun{Seed: seed, Kind: kind, Links: 1}
	so := SimOptions{TimeScale: o.Gateway.Seconds() / azuresim.DefaultGatewayCreate.Seconds()}
	if kind == KindFaults {
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
	link := Link{ResourceGroupName: BenchResourceGroup, VirtualNetworkID: vnets[0]}
	if joinsNetwork(kind, seed) {
		if link.NetworkID, err = SeedHetznerNetwork(ctx, sim, "users-net", "10.0.0.0/12"); err != nil {
			return run, err
		}
		run.NetworkID = link.NetworkID
	}
	baseline, err := sim.State(ctx)
	if err != nil {
		return run, err
	}
	ws, err := LinkWorkspace(b, sim, map[string]Link{chaosLink(seed): link})
	if err != nil {
		return run, err
	}
	defer ws.Remove()
	e := &chaosEnv{o: o, b: b, sim: sim, ws: ws, vnet: vnets[0], baseline: baseline, watch: watchDuplicates(ctx, sim), run: &run}

	rng := rand.New(rand.NewPCG(seed, 0x63686173))
	switch kind {
	case KindFaults:
		run.Converged, _ = e.applyUntilClean(ctx, RunOptions{})
		if run.Converged && seed%2 == 1 {
			// An in-place update under the same faults: a wider local
			// prefix list rewrites the local network gateway (whose
			// update's operation URL answers 404 in ARM) and replaces the
			// gateway server (its private IP is taken for a while after
			// the delete, the firewall lists the old one: Hetzner's
			// propagation delays).
			link.LocalPrefixes = []string{"10.0.1.0/24", "10.0.9.0/24"}
			if err := ws.WriteVars(map[string]any{"links": map[string]Link{chaosLink(seed): link}}); err != nil {
				return run, err
			}
			run.Updated = true
			run.Converged, _ = e.applyUntilClean(ctx, RunOptions{})
		}
	case KindInterrupt, KindKill:
		// "During create": a random moment within the gateway's wait after
		// the first change the emulator sees (the plan phase changes
		// nothing), so every phase of the create graph gets hit.
		after := time.Duration(rng.Int64N(int64(o.Gateway)))
		run.InterruptAfter = after.Seconds()
		var ro RunOptions
		if kind == KindInterrupt {
			ro.Interrupt, ro.KillAfter = afterFirstChange(ctx, sim, after), o.Grace
		} else {
			ro.Kill = afterFirstChange(ctx, sim, after)
		}
		run.Converged, _ = e.applyUntilClean(ctx, ro)
	case KindLostState:
		if err := e.lostState(ctx); err != nil {
			return run, err
		}
	case KindMultiLink:
		if err := e.multiLink(ctx); err != nil {
			return run, err
		}
	}
	e.destroy(ctx)
	run.MaxGateways, run.MaxServers = e.watch.stop()
	left, err := sim.State(ctx)
	if err != nil {
		return run, err
	}
	run.Orphans = Orphans(baseline, left)
	if run.Duplicates() > 0 {
		run.StateLostRecovered, run.MultiLinkConverged = false, false
	}
	return run, nil
}

func chaosLink(seed uint64) string { return fmt.Sprintf("chaos-%d", seed) }

// joinsNetwork: the odd-seeded kill and lost-state runs join a Hetzner
// network the user made (network_id) rather than creating one, so what a
// killed or forgotten run added to someone else's network (the gateway
// subnet, the routes) has to be found and removed on its own.
func joinsNetwork(kind string, seed uint64) bool {
	return (kind == KindKill || kind == KindLostState) && seed%2 == 1
}

// applyUntilClean runs apply (the first one with first's signals) and
// re-runs it up to MaxReapplies times until a plan shows no changes. An
// interrupted or killed first apply is the experiment; the first normal
// apply and up to MaxReapplies re-runs follow it. It reports whether the
// apply converged, and whether the first apply after the experiment did.
func (e *chaosEnv) applyUntilClean(ctx context.Context, first RunOptions) (converged, firstTry bool) {
	run := e.run
	start := run.Applies
	signalled := false
	var last Result
	for attempt := 0; attempt <= MaxReapplies+boolInt(signalled); attempt++ {
		opts := RunOptions{}
		if attempt == 0 {
			opts = first
		}
		last = e.ws.RunWith(ctx, opts, "apply", "-auto-approve")
		run.Applies++
		signalled = signalled || last.Interrupted || last.Killed
		run.Interrupted = run.Interrupted || last.Interrupted
		run.Killed = run.Killed || last.Killed
		e.logf("apply #%d exit %d in %s (interrupted %t, killed %t) %s",
			run.Applies, last.ExitCode, last.Duration.Round(time.Millisecond), last.Interrupted, last.Killed, firstLine(last.Err()))
		if last.Interrupted || last.Killed || last.ExitCode != 0 {
			continue
		}
		if planClean(ctx, e.ws) {
			converged = true
			firstTry = run.Applies-start == 1+boolInt(signalled)
			break
		}
	}
	run.Reapplies = max(run.Reapplies, run.Applies-start-1-boolInt(signalled))
	if !converged {
		run.Error = strings.TrimSpace(run.Error + "; apply did not converge: " + firstLine(last.Err()))
	}
	return converged, firstTry
}

// destroy runs terraform destroy until it succeeds, at most four times.
func (e *chaosEnv) destroy(ctx context.Context) {
	for e.run.Destroys < 4 {
		e.run.Destroys++
		d := e.ws.Run(ctx, "destroy", "-auto-approve")
		if d.ExitCode == 0 {
			return
		}
		e.logf("destroy #%d exit %d: %s", e.run.Destroys, d.ExitCode, firstLine(d.Err()))
		if e.run.Destroys == 4 {
			e.run.Error = strings.TrimSpace(e.run.Error + "; destroy failed: " + firstLine(d.Err()))
		}
	}
}
