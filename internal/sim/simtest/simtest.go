// Package simtest starts an in-process crosscloud-sim for tests: every test
// gets its own emulator on a free loopback port, with its own token and
// state, so acceptance tests can run in parallel (they configure the
// provider inline with ProviderConfig instead of t.Setenv, which parallel
// tests cannot use).
package simtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/azuresim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// DefaultTimeScale makes a 45-minute Azure gateway take 2.7s: fast enough
// for the suite, slow enough that the provider really has to wait (and run
// the Hetzner side during that wait).
const DefaultTimeScale = 0.001

// Option changes how Start configures the emulator.
type Option func(*config)

type config struct {
	opts       sim.Options
	gatewayDur time.Duration
}

// WithTimeScale sets -time-scale (real durations times f).
func WithTimeScale(f float64) Option { return func(c *config) { c.opts.TimeScale = f } }

// WithFaults sets -faults, e.g. "error_rate=0.2,seed=3", for tests of the
// provider's retries.
func WithFaults(spec string) Option { return func(c *config) { c.opts.Faults = spec } }

// WithGatewayDuration sets -gateway-duration: the real-world time an Azure
// VPN gateway takes before the time scale applies.
func WithGatewayDuration(d time.Duration) Option { return func(c *config) { c.gatewayDur = d } }

// WithStateFile sets -state-file, for tests of persistence across restarts.
func WithStateFile(path string) Option { return func(c *config) { c.opts.StateFile = path } }

// RealModeVar set to "1" means the acceptance suite is pointed at real
// clouds (`make testacc-real`, docs/guides/real-accounts.md).
const RealModeVar = "CROSSCLOUD_ACC_REAL"

// SkipInRealMode skips a test that needs the emulator itself (its faults,
// time scale, lab, request counts or /_sim state) when the suite runs in
// real mode: such a test asserts things only the emulator can show, and
// running it there would only start a local emulator nobody asked for.
func SkipInRealMode(t testing.TB) {
	t.Helper()
	if os.Getenv(RealModeVar) == "1" {
		t.Skipf("emulator-only test (needs crosscloud-sim's faults, time scale, lab, request counts or state): skipped because %s=1 selects real clouds", RealModeVar)
	}
}

// Instance is one running emulator owned by a test.
type Instance struct {
	sim    *sim.Sim
	env    map[string]string
	hcloud *hcloudsim.Server
}

// Start runs an emulator for t on 127.0.0.1 with a free port and
// DefaultTimeScale, and closes it when t ends.
func Start(t testing.TB, opts ...Option) *Instance {
	t.Helper()
	SkipInRealMode(t)
	c := config{
		opts: sim.Options{
			Addr:           "127.0.0.1:0",
			TimeScale:      DefaultTimeScale,
			SubscriptionID: azuresim.SubscriptionID,
			TenantID:       azuresim.TenantID,
		},
		gatewayDur: azuresim.DefaultGatewayCreate,
	}
	for _, o := range opts {
		o(&c)
	}
	var hc *hcloudsim.Server
	newHCloud := func(env *simenv.Env) sim.Cloud { hc = hcloudsim.New(env); return hc }
	newAzure := func(env *simenv.Env) sim.Cloud {
		return azuresim.New(env, azuresim.WithGatewayCreateDuration(c.gatewayDur))
	}
	s, err := sim.New(c.opts, newHCloud, newAzure)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("simtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("simtest: closing the emulator: %v", err)
		}
	})
	return &Instance{sim: s, env: s.Env(), hcloud: hc}
}

// HCloudSim is the emulated Hetzner project itself, for tests that change
// what Hetzner can place between steps (SetAvailable, FailServerCreates).
func (i *Instance) HCloudSim() *hcloudsim.Server { return i.hcloud }

// Sim is the running emulator, for tests that need the frame itself.
func (i *Instance) Sim() *sim.Sim { return i.sim }

// URL is the emulator root, e.g. "http://127.0.0.1:41234".
func (i *Instance) URL() string { return i.sim.URL() }

// Env returns the provider settings, with the same keys as the env file
// (sim.EnvKeys). The map is a copy.
func (i *Instance) Env() map[string]string {
	m := make(map[string]string, len(i.env))
	for k, v := range i.env {
		m[k] = v
	}
	return m
}

// ProviderConfig is a `provider "crosscloud"` block pointing at this
// emulator, to put in front of a test's configuration.
func (i *Instance) ProviderConfig() string { return ProviderConfigFor(i.env) }

// ProviderConfigFor is ProviderConfig for the emulator whose provider
// settings (sim.EnvKeys) are e.
func ProviderConfigFor(e map[string]string) string {
	return fmt.Sprintf(`provider "crosscloud" {
  hcloud = {
    token         = %q
    endpoint      = %q
    poll_interval = %q
  }
  azure = {
    subscription_id           = %q
    tenant_id                 = %q
    access_token              = %q
    resource_manager_endpoint = %q
    poll_interval             = %q
  }
}
`, e["HCLOUD_TOKEN"], e["HCLOUD_ENDPOINT"], e["HCLOUD_POLL_INTERVAL"],
		e["ARM_SUBSCRIPTION_ID"], e["ARM_TENANT_ID"], e["ARM_ACCESS_TOKEN"], e["ARM_RESOURCE_MANAGER_ENDPOINT"], e["ARM_POLL_INTERVAL"])
}

// State reads GET /_sim/state: every live resource of both clouds, sorted.
func (i *Instance) State(t testing.TB) []simenv.Resource {
	t.Helper()
	var st sim.StateResponse
	i.getSim(t, "/_sim/state", &st)
	return st.Resources
}

// Stats reads GET /_sim/stats, e.g. to count the API calls an apply made or
// to prove that refused input mutated nothing.
func (i *Instance) Stats(t testing.TB) simenv.StatsSnapshot {
	t.Helper()
	var st simenv.StatsSnapshot
	i.getSim(t, "/_sim/stats", &st)
	return st
}

// Find returns the live resources of one cloud and type (e.g. "hcloud",
// "server"), for assertions such as "the destroy left no server behind".
func (i *Instance) Find(t testing.TB, cloud, typ string) []simenv.Resource {
	t.Helper()
	var out []simenv.Resource
	for _, r := range i.State(t) {
		if r.Cloud == cloud && strings.EqualFold(r.Type, typ) {
			out = append(out, r)
		}
	}
	return out
}

func (i *Instance) getSim(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(i.URL() + path)
	if err != nil {
		t.Fatalf("simtest: GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("simtest: GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("simtest: GET %s: %v", path, err)
	}
}
