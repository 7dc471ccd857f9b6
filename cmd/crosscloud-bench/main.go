// Command crosscloud-bench measures crosscloud_ipsec_link against
// crosscloud-sim with the real terraform CLI: how close `terraform apply`
// of a fresh link comes to the critical path the clouds impose, how much a
// reused gateway saves, how many API requests create/refresh/destroy make,
// how politely the provider waits, how plan scales with links, the
// provider's memory and schema cost, and in the lab the key-rotation
// downtime, with one gateway and with an HA pair, and an HA pair's failover
// time. It prints a table, then one line
// `BENCH {json}` for tools.
//
//	go run ./cmd/crosscloud-bench            # make bench
//	go run ./cmd/crosscloud-bench -gateway 20s -links 20
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/cmd/internal/cli"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/azuresim"
)

// Result is the BENCH line. Every *_seconds is wall time on this machine at
// the time scale in TimeScale unless its comment says otherwise.
type Result struct {
	CLI            string   `json:"cli"`             // "Terraform 1.11.4" or "OpenTofu 1.12.6" (TERRAFORM selects)
	TimeScale      float64  `json:"time_scale"`      // emulator -time-scale of the time-to-tunnel runs
	GatewaySeconds float64  `json:"gateway_seconds"` // the gateway's provisioning time, from the emulator's record
	ApplySeconds   float64  `json:"apply_seconds"`   // wall time of `terraform apply` of a fresh link
	CriticalPath   float64  `json:"critical_path_seconds"`
	PathSteps      []string `json:"critical_path"`
	// SequentialWait sums every emulator wait of that apply; Overhead is
	// apply minus critical path (terraform start-up, plan, requests, poll
	// granularity); Sequential is the same apply with every wait run one
	// after the other: Overhead + SequentialWait.
	SequentialWait float64  `json:"sequential_wait_seconds"`
	Overhead       float64  `json:"overhead_seconds"`
	FirstOp        float64  `json:"first_cloud_operation_after_seconds"`
	Sequential     float64  `json:"sequential_seconds"`
	RatioTunnel    float64  `json:"time_to_tunnel_ratio"`
	RatioSeq       float64  `json:"sequential_ratio"`
	Unplaced       []string `json:"steps_outside_graph,omitempty"`

	ReuseSeconds  float64 `json:"reuse_seconds"`
	ReuseSpeedup  float64 `json:"reuse_speedup"`
	ReuseCritical float64 `json:"reuse_critical_path_seconds"`

	RequestsCreate  Requests `json:"requests_create"`
	RequestsRefresh Requests `json:"requests_refresh"`
	RequestsDestroy Requests `json:"requests_destroy"`
	DestroySeconds  float64  `json:"destroy_seconds"`

	HCloudWaitRequests float64 `json:"hcloud_requests_while_gateway_provisions"`
	HCloudPerHour      float64 `json:"hcloud_requests_per_hour_waiting"`
	HCloudIdle         float64 `json:"hcloud_requests_after_hetzner_done"`

	PlanLinks     int     `json:"plan_links"`
	PlanSeconds1  float64 `json:"plan_seconds_1"`
	PlanSecondsN  float64 `json:"plan_seconds_50"`
	PlanMsPerLink float64 `json:"plan_ms_per_link"`

	PeakRSSMB  float64 `json:"provider_peak_rss_mb"`
	PeakRSSCmd string  `json:"provider_peak_rss_command"`

	SchemaMs        float64 `json:"schema_ms"`
	SchemaStartupMs float64 `json:"schema_startup_ms"`
	SchemaBytes     int     `json:"schema_bytes"`

	Orphans     int      `json:"orphans"`
	OrphanNames []string `json:"orphan_resources,omitempty"`

	Rotation      // key_rotation_*: rotation.go
	HARotation    // ha_key_rotation_*: ha_rotation.go
	AzureInstance // azure_instance_failover_*: azure_instance.go, on the HA rotation's link
	Failover      // failover_*: failover.go
}

// Requests is a /_sim/stats delta split by cloud.
type Requests struct {
	HCloud int64 `json:"hcloud"`
	Azure  int64 `json:"azure"`
	Total  int64 `json:"total"`
}

func requests(d harness.StatsDelta) Requests {
	return Requests{HCloud: d.HCloud, Azure: d.Azure, Total: d.Total}
}

func main() { cli.Main(run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crosscloud-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		gateway   = fs.Duration("gateway", 45*time.Second, "wall time the Azure gateway takes in the time-to-tunnel runs; sets -time-scale from the emulator's real 45 min")
		links     = fs.Int("links", 50, "links in the large plan-scaling workspace")
		planScale = fs.Float64("plan-time-scale", 0.0001, "emulator time scale for the plan-scaling workspaces")
		verbose   = fs.Bool("v", false, "print progress and the emulator's log")
		only      = fs.String("only", "", "run only one step: tunnel, plan, schema, rotation, ha-rotation or failover (the build always runs)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	defer harness.Cleanup()
	b := &bench{log: io.Discard, res: Result{PlanLinks: *links}}
	if *verbose {
		b.log = stderr
	}
	// The emulator's own default is the real-world gateway time, so the
	// scale follows from its code rather than from a number typed here.
	b.res.TimeScale = gateway.Seconds() / azuresim.DefaultGatewayCreate.Seconds()
	steps := []step{
		{"build", "build", b.build},
		{"tunnel", "time to tunnel, reuse, requests", b.tunnel},
		{"plan", "plan scaling", func(ctx context.Context) error { return b.planScaling(ctx, *links, *planScale) }},
		{"schema", "schema", b.schema},
		{"rotation", "key rotation in the lab", b.rotation},
		{"ha-rotation", "key rotation of an HA pair in the lab, then an Azure instance failover", b.haRotation},
		{"failover", "HA failover in the lab", b.failover},
	}
	if *only != "" && !slices.ContainsFunc(steps, func(s step) bool { return s.key == *only && s.key != "build" }) {
		fmt.Fprintf(stderr, "crosscloud-bench: -only %q: use tunnel, plan, schema, rotation, ha-rotation or failover\n", *only)
		return 2
	}
	for _, s := range steps {
		if *only != "" && s.key != "build" && s.key != *only {
			continue
		}
		fmt.Fprintf(stderr, "crosscloud-bench: %s...\n", s.name)
		if err := s.fn(ctx); err != nil {
			fmt.Fprintf(stderr, "crosscloud-bench: %s: %v\n", s.name, err)
			return 1
		}
	}
	printTable(stdout, b.res)
	line, _ := json.Marshal(b.res)
	fmt.Fprintf(stdout, "BENCH %s\n", line)
	return 0
}

// step is one part of the bench; key names it for -only.
type step struct {
	key, name string
	fn        func(context.Context) error
}

func printTable(w io.Writer, r Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v, note string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", k, v, note) }
	sec := func(f float64) string { return fmt.Sprintf("%.2f s", f) }
	row("measure", "value", "what")
	row("CLI", r.CLI, "TERRAFORM=/path/to/tofu selects another")
	row("time scale", fmt.Sprintf("%.5f", r.TimeScale), "emulator -time-scale (gateway "+sec(r.GatewaySeconds)+")")
	row("apply, fresh link", sec(r.ApplySeconds), "wall time of terraform apply")
	row("critical path", sec(r.CriticalPath), fmt.Sprint(r.PathSteps))
	row("overhead", sec(r.Overhead), fmt.Sprintf("apply - critical path; first cloud operation %.2f s in", r.FirstOp))
	row("sequential waits", sec(r.SequentialWait), "sum of every emulator wait of that apply")
	row("sequential apply", sec(r.Sequential), "overhead + sequential waits")
	row("time_to_tunnel_ratio", fmt.Sprintf("%.3f", r.RatioTunnel), "apply / critical path")
	row("sequential_ratio", fmt.Sprintf("%.3f", r.RatioSeq), "sequential apply / critical path")
	row("apply, reused gateway", sec(r.ReuseSeconds), fmt.Sprintf("speedup %.1fx; its critical path %.2f s", r.ReuseSpeedup, r.ReuseCritical))
	row("destroy, fresh link", sec(r.DestroySeconds), "")
	for _, q := range []struct {
		k string
		v Requests
	}{{"requests create", r.RequestsCreate}, {"requests refresh", r.RequestsRefresh}, {"requests destroy", r.RequestsDestroy}} {
		row(q.k, fmt.Sprintf("%d", q.v.Total), fmt.Sprintf("hcloud %d, azure %d", q.v.HCloud, q.v.Azure))
	}
	row("hcloud while gateway waits", fmt.Sprintf("%.0f/h", r.HCloudPerHour),
		fmt.Sprintf("%.0f requests in the gateway window (%.0f after the Hetzner side was done), per real-time hour (budget 3600/h)",
			r.HCloudWaitRequests, r.HCloudIdle))
	row("plan, 1 link", sec(r.PlanSeconds1), "no changes")
	row(fmt.Sprintf("plan, %d links", r.PlanLinks), sec(r.PlanSecondsN), fmt.Sprintf("%.1f ms per extra link", r.PlanMsPerLink))
	row("provider peak RSS", fmt.Sprintf("%.1f MB", r.PeakRSSMB), "VmHWM, during "+r.PeakRSSCmd)
	row("GetProviderSchema", fmt.Sprintf("%.1f ms", r.SchemaMs), fmt.Sprintf("cold RPC, %d bytes; process start to handshake %.1f ms", r.SchemaBytes, r.SchemaStartupMs))
	row("orphans after destroy", fmt.Sprint(r.Orphans), fmt.Sprint(r.OrphanNames))
	rotationRow(row, "key rotation downtime", "", r.Rotation)
	rotationRow(row, "HA key rotation downtime", "HA pair rolled, Floating IP and route actions at real-world durations, rest at ",
		Rotation(r.HARotation))
	azureInstanceRow(row, r.AzureInstance)
	failoverRow(row, r.Failover)
	_ = tw.Flush()
}

// phases is the rotation's emulator records as "step start+duration".
func phases(ps []Phase) string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s at %.2f s for %.2f s (real %.0f s)", p.Step, p.Start, p.Seconds, p.RealSeconds))
	}
	return strings.Join(out, "; ")
}
