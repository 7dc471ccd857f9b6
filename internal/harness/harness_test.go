package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startTestSim builds the binaries and starts an emulator that the test
// stops at its end.
func startTestSim(t *testing.T, o SimOptions) (Binaries, *Sim) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the provider and the emulator")
	}
	ctx := context.Background()
	b, err := Build(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := StartSim(ctx, b.Sim, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sim.Stop(); err != nil {
			t.Error(err)
		}
	})
	return b, sim
}

// The bench reads the emulator's operation records to compute the critical
// path; this checks they are really there and carry the emulator's scaled
// duration (a VNet PUT takes 5 s in real Azure).
func TestSimSeedRecordsAndStats(t *testing.T) {
	const scale = 0.01
	_, sim := startTestSim(t, SimOptions{TimeScale: scale})
	ctx := context.Background()
	for _, k := range []string{"HCLOUD_TOKEN", "HCLOUD_ENDPOINT", "ARM_ACCESS_TOKEN", "ARM_RESOURCE_MANAGER_ENDPOINT", "ARM_SUBSCRIPTION_ID"} {
		if sim.Env[k] == "" {
			t.Errorf("the emulator's env file has no %s", k)
		}
	}
	start := time.Now()
	before, err := sim.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := SeedVNets(ctx, sim, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(ids[1], "/resourceGroups/"+BenchResourceGroup+"/providers/Microsoft.Network/virtualNetworks/vnet-1") {
		t.Errorf("VNet ID = %q", ids[1])
	}
	after, err := sim.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := Delta(before, after); d.Azure < 4 || d.HCloud != 0 || d.Mutations < 4 {
		t.Errorf("stats delta of seeding two VNets = %+v; want >= 4 Azure requests and mutations, no Hetzner ones", d)
	}
	state, err := sim.State(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var vnets int
	for _, r := range state {
		if r.Type == "Microsoft.Network/virtualNetworks" {
			vnets++
		}
	}
	if vnets != 2 {
		t.Errorf("/_sim/state lists %d VNets, want 2: %v", vnets, state)
	}
	recs, err := sim.RecordsAfter(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	var puts int
	for _, r := range recs {
		if r.Step == "azure.put.virtualNetworks" {
			puts++
			if want := time.Duration(5 * float64(time.Second) * scale); r.Duration() != want {
				t.Errorf("VNet PUT record lasts %v, want the emulator's 5 s scaled to %v", r.Duration(), want)
			}
		}
	}
	if puts != 2 {
		t.Errorf("%d VNet PUT records, want 2: %+v", puts, recs)
	}
}

// Interrupting must behave like Ctrl-C: terraform gets SIGINT and stops a
// long apply gracefully within the grace period, so no SIGKILL is needed.
func TestWorkspaceInterrupt(t *testing.T) {
	b, sim := startTestSim(t, SimOptions{})
	ws, err := NewWorkspace(t.TempDir(), b, sim)
	if err != nil {
		t.Fatal(err)
	}
	// terraform_data is built in; on SIGINT terraform stops the provisioner.
	if err := ws.WriteConfig(`resource "terraform_data" "slow" {
  provisioner "local-exec" { command = "sleep 30" }
}`); err != nil {
		t.Fatal(err)
	}
	r := ws.RunWith(context.Background(), RunOptions{InterruptAfter: 1500 * time.Millisecond, KillAfter: 20 * time.Second}, "apply", "-auto-approve")
	if !r.Interrupted || r.Killed || r.ExitCode == 0 {
		t.Errorf("result = interrupted %t, killed %t, exit %d; want a graceful, failed stop", r.Interrupted, r.Killed, r.ExitCode)
	}
	if r.Duration > 15*time.Second {
		t.Errorf("interrupted apply took %v; SIGINT should end it soon after 1.5 s", r.Duration)
	}
}

// The provider's peak RSS comes from /proc while terraform runs; a plan
// with a provider block starts the provider, so the watcher must see it.
func TestWorkspaceWatchesProviderRSS(t *testing.T) {
	b, sim := startTestSim(t, SimOptions{})
	ws, err := NewWorkspace(t.TempDir(), b, sim)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.WriteConfig(`terraform {
  required_providers {
    crosscloud = { source = "crosscloud-tf/crosscloud" }
  }
}
provider "crosscloud" {}
`); err != nil {
		t.Fatal(err)
	}
	r := ws.RunWith(context.Background(), RunOptions{WatchRSS: true}, "plan")
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if r.ProviderPeakRSS < 5<<20 || r.ProviderPeakRSS > 2<<30 {
		t.Errorf("provider peak RSS = %d bytes; want a Go binary's few tens of MB", r.ProviderPeakRSS)
	}
	if _, err := os.Stat(filepath.Join(ws.Dir, ".terraformrc")); err != nil {
		t.Errorf("the workspace's CLI config is missing: %v", err)
	}
}
