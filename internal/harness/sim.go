package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// SimOptions chooses how the emulator behaves for one measurement.
type SimOptions struct {
	// TimeScale multiplies every real cloud duration (1/60: the 45-minute
	// gateway takes 45 s). 0 means 1.
	TimeScale float64
	// Faults is the -faults spec; empty means a well-behaved cloud.
	Faults string
	// Extra are further crosscloud-sim flags.
	Extra []string
	// Log, when set, receives the emulator's stderr.
	Log io.Writer
	// StopGrace is how long Stop waits for a graceful exit before SIGKILL
	// (0: 10 s). A -lab emulator powers off its machines first; with two
	// gateways that takes longer, and a killed one leaves its namespaces to
	// the next start's sweep.
	StopGrace time.Duration
}

// Sim is one running crosscloud-sim process.
type Sim struct {
	// URL is the emulator root, e.g. http://127.0.0.1:41234.
	URL string
	// Env is the provider settings the emulator wrote to its env file
	// (HCLOUD_TOKEN, HCLOUD_ENDPOINT, ARM_*, CROSSCLOUD_SIM_URL).
	Env map[string]string
	// TimeScale is the scale the emulator runs at.
	TimeScale float64

	cmd   *exec.Cmd
	dir   string
	done  chan error
	grace time.Duration
}

// StartSim starts the emulator binary on a free loopback port and returns
// once its env file exists, which the emulator writes only after it listens
// (atomically, so it is never read half-written).
func StartSim(ctx context.Context, bin string, o SimOptions) (*Sim, error) {
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	dir, err := os.MkdirTemp("", "crosscloud-harness-sim-")
	if err != nil {
		return nil, err
	}
	if o.StopGrace == 0 {
		o.StopGrace = 10 * time.Second
	}
	s := &Sim{TimeScale: o.TimeScale, dir: dir, done: make(chan error, 1), grace: o.StopGrace}
	envFile := filepath.Join(dir, "sim.env")
	args := []string{"-addr", "127.0.0.1:0", "-env-file", envFile,
		"-time-scale", strconv.FormatFloat(o.TimeScale, 'g', -1, 64)}
	if o.Faults != "" {
		args = append(args, "-faults", o.Faults)
	}
	args = append(args, o.Extra...)
	// Not CommandContext: the emulator must outlive ctx's start-up bound and
	// be stopped gracefully by Stop.
	s.cmd = exec.Command(bin, args...)
	s.cmd.Stdout = io.Discard
	s.cmd.Stderr = o.Log
	if s.cmd.Stderr == nil {
		s.cmd.Stderr = io.Discard
	}
	if err := s.cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		if env, err := readEnvFile(envFile); err == nil {
			s.Env, s.URL = env, env["CROSSCLOUD_SIM_URL"]
			if s.URL == "" {
				s.Stop()
				return nil, fmt.Errorf("crosscloud-sim env file %s has no CROSSCLOUD_SIM_URL", envFile)
			}
			return s, nil
		}
		select {
		case err := <-s.done:
			s.done <- err
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("crosscloud-sim %s exited before listening: %v", strings.Join(args, " "), err)
		case <-deadline.C:
			s.Stop()
			return nil, errors.New("crosscloud-sim did not write its env file within 30s")
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// readEnvFile parses the emulator's `export K='V'` lines.
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export ")
		if !ok {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		env[k] = strings.ReplaceAll(strings.Trim(v, "'"), `'\''`, "'")
	}
	return env, sc.Err()
}

// Stop ends the emulator with SIGTERM (it exits gracefully),
// or SIGKILL after SimOptions.StopGrace, and removes its directory. Safe to
// call twice.
func (s *Sim) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(s.grace):
		_ = s.cmd.Process.Kill()
	}
	_ = os.RemoveAll(s.dir)
}

func (s *Sim) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, v)
}

// Stats reads GET /_sim/stats: the emulator's own request counters.
func (s *Sim) Stats(ctx context.Context) (simenv.StatsSnapshot, error) {
	var st simenv.StatsSnapshot
	err := s.getJSON(ctx, "/_sim/stats", &st)
	return st, err
}

// State reads GET /_sim/state: every live emulated resource.
func (s *Sim) State(ctx context.Context) ([]simenv.Resource, error) {
	var st struct {
		Resources []simenv.Resource `json:"resources"`
	}
	err := s.getJSON(ctx, "/_sim/state", &st)
	return st.Resources, err
}

// StatsDelta is the difference between two /_sim/stats snapshots.
type StatsDelta struct {
	Total, HCloud, Azure, Mutations, RateLimited int64
}

// Delta returns after minus before.
func Delta(before, after simenv.StatsSnapshot) StatsDelta {
	return StatsDelta{
		Total:       after.RequestsTotal - before.RequestsTotal,
		HCloud:      after.RequestsByCloud[simenv.CloudHCloud] - before.RequestsByCloud[simenv.CloudHCloud],
		Azure:       after.RequestsByCloud[simenv.CloudAzure] - before.RequestsByCloud[simenv.CloudAzure],
		Mutations:   after.MutationsTotal - before.MutationsTotal,
		RateLimited: after.RateLimitedTotal - before.RateLimitedTotal,
	}
}
