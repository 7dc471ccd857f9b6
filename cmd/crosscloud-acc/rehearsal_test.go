package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// The rehearsal: the real-account path run against crosscloud-sim in every
// `make test`, so it cannot rot while nobody has accounts. The emulator is
// started here; the suite and the sweeper only see its endpoints and fake
// credentials in the environment, as they would see real ones.

func rehearsalGate(t *testing.T) {
	if os.Getenv("TF_ACC") == "" || testing.Short() {
		t.Skip("rehearsal of make testacc-real: set TF_ACC=1 (make test does)")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
}

// realEnv is this process's environment without any cloud settings (so a
// developer's real credentials can never leak into the rehearsal), plus the
// emulator's settings, consent and a run label.
func realEnv(sim *simtest.Instance, run string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HCLOUD_") || strings.HasPrefix(k, "ARM_") || strings.HasPrefix(k, "CROSSCLOUD_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range sim.Env() {
		env = append(env, k+"="+v)
	}
	return append(env, "CROSSCLOUD_ACC_REAL=1", "CROSSCLOUD_ACC_RUN="+run)
}

func moduleRoot(t *testing.T) string {
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func runMake(t *testing.T, env []string, target string) (string, error) {
	cmd := exec.Command("make", "--no-print-directory", target)
	cmd.Dir, cmd.Env = moduleRoot(t), env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// leftovers are the emulator's objects a run named.
func leftovers(t *testing.T, sim *simtest.Instance) []simenv.Resource {
	var out []simenv.Resource
	for _, r := range sim.State(t) {
		if strings.HasPrefix(r.Name, "tf-acc-test-") {
			out = append(out, r)
		}
	}
	return out
}

// TestRehearsalTestaccReal: `make testacc-real` against the emulator passes
// its real-mode suite and leaves nothing behind.
func TestRehearsalTestaccReal(t *testing.T) {
	rehearsalGate(t)
	t.Parallel()
	sim := simtest.Start(t)
	out, err := runMake(t, realEnv(sim, "rehearsal"), "testacc-real")
	if err != nil || !strings.Contains(out, "--- PASS: TestAccRealLink") {
		t.Fatalf("make testacc-real against the emulator: %v\n%s", err, out)
	}
	for _, w := range []string{"Creates, per run", "VpnGw1AZ", "TF_ACC=1 go test -count=1 -timeout 180m"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q", w)
		}
	}
	if left := leftovers(t, sim); len(left) > 0 {
		t.Errorf("the run left %v", left)
	}
	if st := sim.State(t); len(st) > 0 {
		t.Errorf("the emulator is not empty after the run: %v", st)
	}
}

// TestRehearsalKilledRunSwept: a run SIGKILLed mid-apply (the Azure gateway
// still building, the Hetzner server made) leaves objects on both clouds,
// and `make sweep` removes every one of them.
func TestRehearsalKilledRunSwept(t *testing.T) {
	rehearsalGate(t)
	t.Parallel()
	// 0.005: the 45-minute gateway build takes 13.5 s, a wide window to kill
	// in, and what the sweeper waits out (409 while it builds).
	sim := simtest.Start(t, simtest.WithTimeScale(0.005))
	env := realEnv(sim, "killed")
	cmd := exec.Command("go", "test", "-count=1", "-run", "^TestAccRealLink$", "./internal/acctest")
	cmd.Dir, cmd.Env = moduleRoot(t), append(env, "TF_ACC=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // kill go, the test binary, terraform and the plugin together
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Wait()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute) // includes compiling the suite on a cold cache
	defer cancel()
	for !midApply(t, sim) {
		select {
		case <-ctx.Done():
			t.Fatalf("the run never reached mid-apply:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed = true
	_ = cmd.Wait()

	before := leftovers(t, sim)
	clouds := map[string]bool{}
	for _, r := range before {
		clouds[r.Cloud] = true
	}
	if !clouds["hcloud"] || !clouds["azure"] {
		t.Fatalf("the killed run should leave objects on both clouds, left %v", before)
	}
	// Something the sweeper must not touch: a user's own objects.
	sim.CreateResourceGroup(t, "user-rg", "westeurope")
	sim.CreateHCloudNetwork(t, "user-net", "10.0.0.0/16")

	sweep, err := runMake(t, env, "sweep")
	if err != nil {
		t.Fatalf("make sweep: %v\n%s", err, sweep)
	}
	if left := leftovers(t, sim); len(left) > 0 {
		t.Fatalf("make sweep left %v (before it: %d objects)\n%s", left, len(before), sweep)
	}
	var kept []string
	for _, r := range sim.State(t) {
		kept = append(kept, r.Name)
	}
	if fmt.Sprint(kept) != "[user-net user-rg]" && fmt.Sprint(kept) != "[user-rg user-net]" {
		t.Errorf("make sweep must delete only tf-acc-test-* objects; the emulator now holds %v", kept)
	}
	t.Logf("swept %d objects of the killed run", len(before))
}

// midApply: the killed run's Hetzner server exists and its Azure gateway is
// being built.
func midApply(t *testing.T, sim *simtest.Instance) bool {
	var server, gateway bool
	for _, r := range leftovers(t, sim) {
		server = server || (r.Cloud == "hcloud" && r.Type == "server")
		gateway = gateway || (r.Cloud == "azure" && strings.HasSuffix(r.Type, "virtualNetworkGateways"))
	}
	return server && gateway
}
