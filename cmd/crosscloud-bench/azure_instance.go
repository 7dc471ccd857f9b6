package main

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
)

// AzureInstance is the other half of an HA link's failover (issue 15):
// an active-active Azure gateway has two instances and the Hetzner
// gateway a tunnel to each, so when the instance carrying the traffic
// stops (Azure's planned maintenance), traffic moves to the other tunnel.
// It is measured on the HA rotation's link once the rotation is done.
type AzureInstance struct {
	// Seconds is the longest time between two TCP exchanges that got
	// through, from the stop of the carrying instance's charon (SIGTERM:
	// it deletes its SAs, as a planned stop would) until traffic flowed
	// over the other tunnel (resolution RotationInterval).
	Seconds *float64 `json:"azure_instance_failover_seconds,omitempty"`
	// Stopped is the public IP of the instance that was stopped.
	Stopped string `json:"azure_instance_failover_stopped,omitempty"`
	Skipped string `json:"azure_instance_failover_skipped,omitempty"`
}

// carrierWindow is how long the instances' ingress counters are watched
// to tell which one carries the probe's traffic.
const carrierWindow = 2 * time.Second

// azureInstanceFailover finds the Azure instance the traffic crosses (its
// ingress grows), stops it and measures the gap. A failure is reported in
// Skipped and leaves the rotation's figures alone.
func (b *bench) azureInstanceFailover(ctx context.Context, sim *harness.Sim, tr *harness.Traffic) {
	r := &b.res.AzureInstance
	if err := b.measureAzureInstance(ctx, sim, tr, r); err != nil {
		r.Skipped = "measuring the Azure instance failover: " + err.Error()
	}
}

func (b *bench) measureAzureInstance(ctx context.Context, sim *harness.Sim, tr *harness.Traffic, r *AzureInstance) error {
	conn := haRotationLink + "-conn" // the link's connection (ipseclink's naming)
	growth, err := ingressGrowth(ctx, sim, conn)
	if err != nil {
		return err
	}
	if len(growth) < 2 {
		return fmt.Errorf("connection %s reports %d tunnels, want one per instance of the active-active gateway", conn, len(growth))
	}
	var carrier netip.Addr
	var most int64
	for addr, d := range growth {
		if d > most {
			carrier, most = addr, d
		}
	}
	if !carrier.IsValid() {
		return fmt.Errorf("no tunnel of %s received traffic in %s: %v", conn, carrierWindow, growth)
	}
	stopped := time.Now()
	if err := harness.StopAzureInstance(ctx, sim, carrier); err != nil {
		return err
	}
	if err := flowsAfter(ctx, tr, stopped.Add(time.Second), time.Minute); err != nil {
		return fmt.Errorf("after stopping the Azure instance %s: %w", carrier, err)
	}
	ok, _ := tr.Delivered()
	gap, _ := harness.LongestGap(ok, stopped)
	// The traffic that flows now must cross the other instance's tunnel.
	if moved, err := ingressGrowth(ctx, sim, conn); err != nil {
		return err
	} else if moved[carrier] > 0 || !anyOther(moved, carrier) {
		return fmt.Errorf("after stopping %s the traffic did not move to the other instance (ingress growth %v)", carrier, moved)
	}
	d := gap.Seconds()
	r.Seconds, r.Stopped = &d, carrier.String()
	fmt.Fprintf(b.log, "  Azure instance %s stopped (it carried %d bytes in %s): longest gap %s\n", carrier, most, carrierWindow, gap.Round(time.Millisecond))
	return nil
}

// ingressGrowth is how many bytes each instance received over carrierWindow.
func ingressGrowth(ctx context.Context, sim *harness.Sim, conn string) (map[netip.Addr]int64, error) {
	before, err := harness.AzureTunnelIngress(ctx, sim, harness.BenchResourceGroup, conn)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(carrierWindow):
	}
	after, err := harness.AzureTunnelIngress(ctx, sim, harness.BenchResourceGroup, conn)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]int64{}
	for addr, n := range after {
		out[addr] = n - before[addr]
	}
	return out, nil
}

// anyOther says whether an instance other than stopped received traffic.
func anyOther(growth map[netip.Addr]int64, stopped netip.Addr) bool {
	for addr, d := range growth {
		if addr != stopped && d > 0 {
			return true
		}
	}
	return false
}

// azureInstanceRow is the table's line for it.
func azureInstanceRow(row func(k, v, note string), r AzureInstance) {
	switch {
	case r.Seconds != nil:
		row("Azure instance failover", fmt.Sprintf("%.2f s", *r.Seconds), fmt.Sprintf(
			"longest TCP gap (probe every %s) after the Azure instance carrying the traffic (%s) is stopped, HA link in the lab; traffic moves to the other instance's tunnel", RotationInterval, r.Stopped))
	case r.Skipped != "":
		row("Azure instance failover", "skipped", r.Skipped)
	}
}
