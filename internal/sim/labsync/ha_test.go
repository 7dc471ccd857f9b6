package labsync

import (
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
)

// TestLabHAFailover boots an active/standby pair of gateway servers from
// the HA cloud-init the provider renders, each with keepalived and the
// failover script, and no Floating IP assignment or network route made
// beforehand: the agents elect one, which claims the Floating IP and the
// route through the Hetzner API the lab serves them, and Azure's tunnel to
// the Floating IP comes up. Then the active server's machine is killed and
// the test measures how long traffic from a Hetzner host to an Azure host
// stops until the standby has taken over. The emulator runs with
// -real-time-failover, so the Floating IP and route actions the standby
// waits for take their real-world durations and land when they finish:
// the time is what a user would see, and issue 15 wants it under 15 s.
// The pair and the measurement are the harness's, shared with `make
// bench` (failover_seconds).
func TestLabHAFailover(t *testing.T) {
	ctx, ls := startLabTest(t, "h", 40*time.Minute, hcloudsim.WithRealTimeFailover())
	s := &harness.Sim{URL: ls.env["CROSSCLOUD_SIM_URL"], Env: ls.env, TimeScale: 0.001}
	pair, err := harness.BuildHAPair(ctx, s)
	if err != nil {
		t.Fatalf("building the HA pair: %v", err)
	}
	f, err := pair.MeasureFailover(ctx, 5003)
	if f != nil {
		t.Logf("the standby's keepalived and failover journal:\n%s", f.Journal)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("failover_seconds=%.1f (%s killed: the longest run without a TCP exchange from the Hetzner probe to the Azure probe, from %.1f s after the kill, until %s carried them; %d exchanges got through, %d did not)",
		f.Gap.Seconds(), f.Killed, f.GapStart.Seconds(), f.Standby, f.Delivered, f.Lost)
	// One lost exchange is a gap of two intervals; a failover that short
	// would mean the kill did not take the active gateway's traffic.
	if f.Gap <= time.Second {
		t.Fatalf("the longest gap was %s although the active gateway was killed", f.Gap)
	}
	if f.Gap >= harness.FailoverGoal {
		t.Errorf("failover took %s; issue 15's goal is under %s", f.Gap.Round(100*time.Millisecond), harness.FailoverGoal)
	}
}
