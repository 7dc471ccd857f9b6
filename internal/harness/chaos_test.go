package harness

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestChaosShort is the reliability suite in miniature, part of `make test`:
// three seeded runs with every fault kind, one interrupted apply and one
// hard-killed one (SIGKILL of terraform and the provider mid-create, nothing
// written to state), each against its own emulator with the real terraform
// CLI. Users rely on what it asserts: destroy leaves nothing behind (the
// GatewaySubnet a killed run created included), a retried create never
// builds a second gateway, and a re-run converges.
func TestChaosShort(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC not set: runs terraform against crosscloud-sim")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	res, err := Chaos(ctx, ChaosOptions{Runs: 3, Interrupts: 1, Kills: 1, Seed: 100, Gateway: time.Second,
		Grace: time.Second, Parallel: 2, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Details {
		for _, o := range r.Orphans {
			t.Errorf("seed %d (%s): destroy left %s %s %q (%s); %s", r.Seed, r.Kind, o.Cloud, o.Type, o.Name, o.ID, r.Error)
		}
		if !r.Converged {
			t.Errorf("seed %d (%s): apply did not converge within %d re-runs: %s", r.Seed, r.Kind, MaxReapplies, r.Error)
		}
		if r.Duplicates() > 0 {
			t.Errorf("seed %d (%s): %d Azure gateways and %d Hetzner servers alive at once; a link owns one of each",
				r.Seed, r.Kind, r.MaxGateways, r.MaxServers)
		}
	}
	if res.Runs != 5 || res.Orphans != 0 {
		t.Errorf("runs = %d, orphans = %d; want 5 runs and 0 orphans", res.Runs, res.Orphans)
	}
	if res.Killed != 1 {
		t.Errorf("killed = %d; want the kill run's apply SIGKILLed mid-create (it finished first?)", res.Killed)
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(string(p))
	return len(p), nil
}
