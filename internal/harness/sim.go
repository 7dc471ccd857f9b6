package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// SimOptions chooses how the emulator behaves for one measurement.
type SimOptions struct {
	// TimeScale multiplies every real cloud duration (1/60: the 45-minute
	// gateway takes 45 s). 0 means 1.
	TimeScale float64
	// Faults is the -faults spec; empty means a well-behaved cloud.
	Faults string
	// Lab adds -lab: Hetzner servers and the Azure gateway become network
	// namespaces running strongSwan (root only; the start fails otherwise).
	Lab bool
	// Extra are further crosscloud-sim flags.
	Extra []string
	// Log, when set, also receives the emulator's stderr as it is written
	// (the log file gets it regardless).
	Log io.Writer
	// Dir holds the env file (sim.env) and the emulator's stdout and stderr
	// (sim.log). Empty: a new temporary directory, which Stop removes; a Dir
	// given here is its owner's and stays (the demo prints both paths).
	Dir string
	// StopGrace is how long Stop waits for a graceful exit before SIGKILL
	// (0: 10 s). A -lab emulator powers off its machines first; with two
	// gateways that takes longer, and a killed one leaves its namespaces to
	// the next start's sweep.
	StopGrace time.Duration
}

// startTimeout bounds the wait for the env file. The emulator bounds its
// own start at 30 s (cmd/crosscloud-sim), so waiting longer means a slow
// start ends with the emulator's own error rather than this one.
const startTimeout = 60 * time.Second

// Sim is one running crosscloud-sim process. StartSim is the one place
// that starts the binary, waits for it to listen, reads its env file and
// stops it: the bench, chaos and `make demo` all use it. Tests of the
// provider start the emulator in-process instead (internal/sim/simtest),
// and cmd/crosscloud-sim's own test drives the binary by hand because its
// command line is what that test checks. A Sim built around an in-process
// emulator (URL and Env only) works with everything here but StartSim's
// process handling; its Stop does nothing.
type Sim struct {
	// URL is the emulator root, e.g. http://127.0.0.1:41234.
	URL string
	// Env is the provider settings the emulator wrote to its env file
	// (HCLOUD_TOKEN, HCLOUD_ENDPOINT, ARM_*, CROSSCLOUD_SIM_URL).
	Env map[string]string
	// TimeScale is the scale the emulator runs at.
	TimeScale float64
	// Lab says the emulator runs with -lab.
	Lab bool
	// Args are the flags it was started with.
	Args []string
	// EnvFile and LogFile are the paths of its env file and log.
	EnvFile, LogFile string

	cmd      *exec.Cmd
	dir      string // removed by Stop when StartSim made it
	done     chan struct{}
	err      error // the exit status, once done is closed
	grace    time.Duration
	stopOnce sync.Once
	stopErr  error
}

// StartSim starts the emulator binary on a free loopback port and returns
// once its env file exists, which the emulator writes only after it listens
// (atomically, so it is never read half-written). An early exit or a
// timeout is an error carrying the end of the emulator's log.
func StartSim(ctx context.Context, bin string, o SimOptions) (*Sim, error) {
	if o.TimeScale == 0 {
		o.TimeScale = 1
	}
	if o.StopGrace == 0 {
		o.StopGrace = 10 * time.Second
	}
	s := &Sim{TimeScale: o.TimeScale, Lab: o.Lab, done: make(chan struct{}), grace: o.StopGrace}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "crosscloud-harness-sim-"); err != nil {
			return nil, err
		}
		s.dir = dir
	}
	s.EnvFile, s.LogFile = filepath.Join(dir, "sim.env"), filepath.Join(dir, "sim.log")
	// A stale env file (an earlier start in the same Dir) would read as ready.
	if err := os.Remove(s.EnvFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, s.cleanup(err)
	}
	s.Args = []string{"-addr", "127.0.0.1:0", "-env-file", s.EnvFile,
		"-time-scale", strconv.FormatFloat(o.TimeScale, 'g', -1, 64)}
	if o.Faults != "" {
		s.Args = append(s.Args, "-faults", o.Faults)
	}
	if o.Lab {
		s.Args = append(s.Args, "-lab")
	}
	s.Args = append(s.Args, o.Extra...)
	// O_APPEND: the child's stdout and the copy of its stderr to o.Log share
	// the file, and neither overwrites the other.
	logf, err := os.OpenFile(s.LogFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
	if err != nil {
		return nil, s.cleanup(err)
	}
	// Not CommandContext: the emulator must outlive ctx's start-up bound and
	// be stopped gracefully by Stop.
	s.cmd = exec.Command(bin, s.Args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if o.Log != nil {
		s.cmd.Stderr = io.MultiWriter(logf, o.Log)
	}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, s.cleanup(fmt.Errorf("starting %s: %w", bin, err))
	}
	go func() {
		s.err = s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		env, err := sim.ReadEnvFile(s.EnvFile)
		if err == nil {
			if s.Env, s.URL = env, env["CROSSCLOUD_SIM_URL"]; s.URL == "" {
				err = fmt.Errorf("%s has no CROSSCLOUD_SIM_URL", s.EnvFile)
			} else {
				return s, nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, s.abort(fmt.Errorf("crosscloud-sim env file: %w", err))
		}
		select {
		case <-s.done:
			return nil, s.cleanup(fmt.Errorf("crosscloud-sim exited before listening (%v): %s", s.err, s.LogTail(1)))
		case <-deadline.C:
			return nil, s.abort(fmt.Errorf("crosscloud-sim did not write %s within %s: %s", s.EnvFile, startTimeout, s.LogTail(5)))
		case <-ctx.Done():
			return nil, s.abort(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// abort stops a start that will not be used and returns err.
func (s *Sim) abort(err error) error {
	_ = s.Stop()
	return err
}

// cleanup removes the directory StartSim made, and returns err.
func (s *Sim) cleanup(err error) error {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
	return err
}

// LogTail returns the last n lines of the emulator's stdout and stderr
// ("" once Stop has removed a temporary directory).
func (s *Sim) LogTail(n int) string {
	b, _ := os.ReadFile(s.LogFile)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Stop ends the emulator with SIGTERM (it exits gracefully, removing its
// lab), or SIGKILL after SimOptions.StopGrace, waits for it and removes the
// temporary directory. The error says it had to be killed, or that it
// exited unsuccessfully (with the end of its log). Safe to call twice: the
// second call returns the first one's answer.
func (s *Sim) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Sim) stop() error {
	defer s.cleanup(nil)
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(s.grace):
			_ = s.cmd.Process.Kill()
			<-s.done
			msg := fmt.Sprintf("crosscloud-sim did not stop within %s of SIGTERM; killed it", s.grace)
			if s.Lab {
				msg += " (the next start sweeps its lab)"
			}
			return errors.New(msg)
		}
	}
	if s.err != nil {
		return fmt.Errorf("crosscloud-sim exited with %v: %s", s.err, s.LogTail(3))
	}
	return nil
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
