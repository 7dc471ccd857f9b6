// Command crosscloud-chaos is crosscloud's reliability suite: seeded runs of
// `terraform apply` then `terraform destroy` of a crosscloud_ipsec_link
// against crosscloud-sim while it injects 500s, 429s with Retry-After,
// dropped connections, failed long-running operations and Hetzner capacity
// refusals; runs whose apply is interrupted (SIGINT, then SIGKILL) or
// hard-killed (SIGKILL of terraform and the provider, no SIGINT) at a
// random moment and then re-run; runs whose state file is deleted after a
// create and recovered (import or re-apply); and runs in which several
// links reuse one Azure gateway in one apply. It prints one line per run,
// then `CHAOS {json}`:
//
//	runs                  how many runs
//	converged             runs whose apply reached the desired state (a plan
//	                      with no changes) within two re-runs
//	orphans               resources left in the emulator after destroy, summed
//	                      (the harness's own resource group and VNet excluded;
//	                      subnets, the GatewaySubnet included)
//	duplicate_gateways    extra Azure gateways / Hetzner gateway servers alive
//	                      at once, summed (a link owns one of each)
//	max_reapplies         the most re-runs any run needed
//	interrupted           interrupt runs whose apply really got the SIGINT
//	interrupts_killed     those of them that also needed the SIGKILL
//	killed                kill runs whose apply really was SIGKILLed mid-run
//	state_lost_recovered  lost-state runs whose link was recovered
//	multi_link_converged  multi-link runs whose reusing links all converged in
//	                      their first apply (no error reached the user)
//
// Every run has its own seed (-seed + run index): replay one with
// -seed N -runs 1 -interrupts 0 -kills 0 -lost-state 0 -multi-link 0 (and
// the kind's flag set to 1 instead of -runs).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/cmd/internal/cli"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
)

func main() { cli.Main(run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crosscloud-chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		runs       = fs.Int("runs", 30, "seeded apply+destroy runs with injected faults")
		interrupts = fs.Int("interrupts", 10, "runs whose first apply is interrupted (SIGINT, then SIGKILL) and re-run")
		kills      = fs.Int("kills", 12, "runs whose first apply is SIGKILLed (terraform and provider, no SIGINT) and re-run")
		lostState  = fs.Int("lost-state", 5, "runs whose state file is deleted after create, then recovered (import or re-apply)")
		multiLink  = fs.Int("multi-link", 3, "runs in which 3 links reusing one Azure gateway are applied together, a 4th from a second workspace at the same time")
		seed       = fs.Uint64("seed", 1, "seed of the first run; run i uses seed+i")
		faults     = fs.String("faults", harness.DefaultFaultSpec, "crosscloud-sim -faults spec of the fault runs; %d is the run's seed")
		gateway    = fs.Duration("gateway", 3*time.Second, "wall time an Azure gateway takes to provision (sets the emulator's time scale)")
		grace      = fs.Duration("grace", 2*time.Second, "time between SIGINT and SIGKILL in interrupt runs")
		parallel   = fs.Int("parallel", 2, "runs at once, each with its own emulator")
		verbose    = fs.Bool("v", false, "print every terraform command")
		details    = fs.Bool("details", false, "print every run as JSON before the CHAOS line")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	o := harness.ChaosOptions{Runs: *runs, Interrupts: *interrupts, Kills: *kills, LostState: *lostState, MultiLink: *multiLink,
		Seed: *seed, FaultSpec: *faults,
		Gateway: *gateway, Grace: *grace, Parallel: *parallel, Log: runLog{stdout, *verbose}}
	defer harness.Cleanup()
	start := time.Now()
	res, err := harness.Chaos(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "crosscloud-chaos: %v\n", err)
		return 1
	}
	if *details {
		for _, r := range res.Details {
			line, _ := json.Marshal(r)
			fmt.Fprintf(stdout, "RUN %s\n", line)
		}
	}
	for _, r := range res.Details {
		for _, o := range r.Orphans {
			fmt.Fprintf(stdout, "orphan (seed %d): %s %s %s %s\n", r.Seed, o.Cloud, o.Type, o.Name, o.ID)
		}
	}
	fmt.Fprintf(stdout, "%d runs in %s\n", res.Runs, time.Since(start).Round(time.Second))
	line, _ := json.Marshal(res)
	fmt.Fprintf(stdout, "CHAOS %s\n", line)
	// A kill that came after the apply had finished tested nothing.
	if res.Orphans > 0 || res.DuplicateGateways > 0 || res.Converged < res.Runs || res.Killed < o.Kills ||
		res.StateLostRecovered < o.LostState || res.MultiLinkConverged < o.MultiLink {
		return 1
	}
	return 0
}

// runLog shows the per-run summaries and, with -v, the per-command lines
// (indented) as well.
type runLog struct {
	w       io.Writer
	verbose bool
}

func (l runLog) Write(p []byte) (int, error) {
	if !l.verbose && len(p) > 0 && p[0] == ' ' {
		return len(p), nil
	}
	return l.w.Write(p)
}
