package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/linkgraph"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// Record is one piece of cloud-side work the emulator performed, with the
// duration it imposed: an ARM long-running operation or a Hetzner action.
// Records come from the emulator's GET /_sim/operations, which lists both
// with their start and finish times, so the harness measures what the
// emulator did rather than what the code says it would do.
type Record struct {
	Cloud string // "azure" or "hcloud"
	// Step names the work, e.g. "azure.put.virtualNetworkGateways",
	// "azure.delete.connections", "hcloud.create_server".
	Step   string
	Target string
	Start  time.Time
	End    time.Time
	Failed bool
}

// Duration is the time the emulator made the client wait for this step.
func (r Record) Duration() time.Duration { return r.End.Sub(r.Start) }

// Records reads every operation record from GET /_sim/operations, sorted by
// start time. The emulator answers from its live state, so the records of
// work that has returned are all there.
func (s *Sim) Records(ctx context.Context) ([]Record, error) {
	var resp sim.OperationsResponse
	if err := s.getJSON(ctx, "/_sim/operations", &resp); err != nil {
		return nil, fmt.Errorf("reading the emulator's operation records: %w", err)
	}
	out := make([]Record, 0, len(resp.Operations))
	for _, op := range resp.Operations {
		step := op.Cloud + "." + op.Kind
		if op.Cloud == simenv.CloudAzure {
			step += "." + armType(op.Target)
		}
		out = append(out, Record{Cloud: op.Cloud, Step: step, Target: op.Target,
			Start: op.Start, End: op.End, Failed: op.Failed})
	}
	slices.SortStableFunc(out, func(a, b Record) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// RecordsAfter returns the records that started at or after since.
func (s *Sim) RecordsAfter(ctx context.Context, since time.Time) ([]Record, error) {
	all, err := s.Records(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(r Record) bool { return r.Start.Before(since) }), nil
}

// armType is the last resource type segment of an ARM ID, e.g.
// ".../virtualNetworks/v/subnets/GatewaySubnet" -> "subnets".
func armType(id string) string {
	parts := strings.Split(strings.Trim(id, "/"), "/")
	if len(parts) >= 2 {
		return parts[len(parts)-2]
	}
	return "unknown"
}

// Step names of the records a fresh link's create produces.
const (
	StepGatewaySubnet = "azure.put.subnets"
	StepPublicIP      = "azure.put.publicIPAddresses"
	StepGateway       = "azure.put.virtualNetworkGateways"
	StepLocalGateway  = "azure.put.localNetworkGateways"
	StepConnection    = "azure.put.connections"
)

// linkGraph is the create graph of crosscloud_ipsec_link as the bench sees
// it: each emulator record with the records it must wait for, derived from
// the one declaration converge runs (internal/linkgraph), so a change to the
// graph changes the critical path with it. Steps that leave no record
// (synchronous calls: the VNet read, network, primary IP and firewall
// create) cost nothing and pass their dependencies through. "connected" is
// the moment Azure reports the connection Connected; the emulator (API-only
// mode) does so as soon as the connection, its gateway and its local network
// gateway are provisioned, so it adds no time.
var linkGraph = linkgraph.RecordGraph(linkgraph.Steps)

// CriticalPath is the shortest time any provider could take for the work in
// recs if it ran every independent step concurrently and waited for nothing
// but the emulator: the longest path through the link's create graph, each
// step weighted by the emulator's own duration for it (several records of
// one step, e.g. one route per Azure prefix, count one after the other).
// It returns the path too, for the report.
func CriticalPath(recs []Record) (time.Duration, []string) {
	weight := map[string]time.Duration{}
	for _, r := range recs {
		weight[r.Step] += r.Duration()
	}
	memo := map[string]time.Duration{}
	next := map[string]string{}
	var longest func(step string) time.Duration
	longest = func(step string) time.Duration {
		if d, ok := memo[step]; ok {
			return d
		}
		var best time.Duration
		for _, dep := range linkGraph[step] {
			if d := longest(dep); d > best || next[step] == "" {
				best, next[step] = d, dep
			}
		}
		memo[step] = best + weight[step]
		return memo[step]
	}
	total := longest(linkgraph.Done)
	var path []string
	for s := linkgraph.Done; s != ""; s = next[s] {
		path = append([]string{s}, path...)
	}
	return total, path
}

// SequentialTime is how long the same work takes if every step runs one
// after the other: the sum of every emulator-imposed wait in recs. It
// leaves out request round trips (milliseconds on loopback), so it is a
// lower bound for a strictly sequential provider.
func SequentialTime(recs []Record) time.Duration {
	var d time.Duration
	for _, r := range recs {
		d += r.Duration()
	}
	return d
}

// Unplaced lists the steps in recs that the link's create graph does not
// know, so a report can say what the critical path left out.
func Unplaced(recs []Record) []string {
	var out []string
	for _, r := range recs {
		if _, ok := linkGraph[r.Step]; !ok && !slices.Contains(out, r.Step) {
			out = append(out, r.Step)
		}
	}
	return out
}

// Find returns the first record of step, if any.
func Find(recs []Record, step string) (Record, bool) {
	i := slices.IndexFunc(recs, func(r Record) bool { return r.Step == step })
	if i < 0 {
		return Record{}, false
	}
	return recs[i], true
}
