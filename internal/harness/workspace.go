package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Workspace is one terraform working directory wired to one emulator.
type Workspace struct {
	// CLI is the terraform or tofu binary every command runs (CLIPath).
	CLI CLI
	// Dir holds the configuration, terraform.tfstate and the CLI config.
	Dir string
	// Env is the environment of every terraform command: the caller's
	// environment, the emulator's provider settings and TF_CLI_CONFIG_FILE.
	Env []string
}

// NewWorkspace makes an empty directory under parent (a temp dir when
// parent is empty) whose terraform (or tofu: see CLIPath) commands use the
// provider from b through dev_overrides and talk to sim.
func NewWorkspace(parent string, b Binaries, sim *Sim) (*Workspace, error) {
	tf, err := CurrentCLI(context.Background())
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "crosscloud-harness-ws-")
	if err != nil {
		return nil, err
	}
	cli := filepath.Join(dir, ".terraformrc")
	if err := WriteCLIConfig(cli, b, tf); err != nil {
		return nil, err
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		// A user's real cloud credentials must never reach a measurement.
		return strings.HasPrefix(k, "HCLOUD_") || strings.HasPrefix(k, "ARM_") || strings.HasPrefix(k, "TF_")
	})
	env = append(env, "TF_CLI_CONFIG_FILE="+cli, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1")
	if sim != nil {
		for k, v := range sim.Env {
			env = append(env, k+"="+v)
		}
	}
	return &Workspace{CLI: tf, Dir: dir, Env: env}, nil
}

// WriteConfig writes main.tf.
func (w *Workspace) WriteConfig(hcl string) error {
	return os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(hcl), 0o644)
}

// WriteVars writes terraform.tfvars.json, which terraform loads by itself.
func (w *Workspace) WriteVars(vars map[string]any) error {
	b, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(w.Dir, "terraform.tfvars.json"), b, 0o644)
}

// RunOptions changes how one terraform command runs.
type RunOptions struct {
	// InterruptAfter, when positive, sends SIGINT to terraform's process
	// group (what Ctrl-C does: terraform and the provider both get it) this
	// long after start.
	InterruptAfter time.Duration
	// Interrupt, when not nil, sends the same SIGINT when it is closed
	// (e.g. a moment after the emulator saw the first change).
	Interrupt <-chan struct{}
	// Kill, when not nil, sends SIGKILL to the whole process group the
	// moment it is closed, with no SIGINT first: a CI runner or machine
	// lost mid-apply. Terraform writes nothing and the provider plugin dies
	// with it, wherever it was.
	Kill <-chan struct{}
	// KillAfter is the grace period after the SIGINT; then the whole
	// process group gets SIGKILL (a CI runner giving up). 0 means 5 s.
	KillAfter time.Duration
	// WatchRSS polls /proc for the provider process and records its peak
	// resident set size.
	WatchRSS bool
}

// Result is what one terraform command did.
type Result struct {
	// Command is "terraform" or "tofu".
	Command  string
	Args     []string
	Duration time.Duration
	Stdout   string
	Stderr   string
	// ExitCode is terraform's exit status; -1 when a signal ended it.
	ExitCode int
	// Interrupted and Killed say which signals the harness sent (Killed
	// without Interrupted: a hard kill).
	Interrupted, Killed bool
	// ProviderPeakRSS is the largest VmHWM seen in any provider process
	// terraform started during the command (bytes; 0 unless WatchRSS).
	ProviderPeakRSS int64
}

// Err describes a failed command with the end of its output, or nil.
func (r Result) Err() error {
	if r.ExitCode == 0 {
		return nil
	}
	return fmt.Errorf("%s %s: exit %d after %s\n%s", r.Command, strings.Join(r.Args, " "), r.ExitCode,
		r.Duration.Round(time.Millisecond), tail(r.Stderr, 3000)+"\n"+tail(r.Stdout, 1000))
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Run runs `terraform args...` in the workspace and waits for it.
func (w *Workspace) Run(ctx context.Context, args ...string) Result {
	return w.RunWith(ctx, RunOptions{}, args...)
}

// RunWith runs `terraform args...` with interrupt and RSS options. Terraform
// runs in its own process group so that signals reach it and the provider
// as they would from a terminal, and nothing else.
func (w *Workspace) RunWith(ctx context.Context, o RunOptions, args ...string) Result {
	res := Result{Command: w.CLI.Command(), Args: args, ExitCode: -1}
	cmd := exec.Command(w.CLI.Path, append(args, "-no-color")...)
	cmd.Dir, cmd.Env = w.Dir, w.Env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		res.Stderr = err.Error()
		return res
	}
	pgid := cmd.Process.Pid
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()

	var rss *rssWatch
	if o.WatchRSS {
		rss = watchRSS(pgid, ProviderBinary)
	}
	var kill <-chan time.Time
	interrupt, hardKill := o.Interrupt, o.Kill
	if o.InterruptAfter > 0 {
		ch := make(chan struct{})
		t := time.AfterFunc(o.InterruptAfter, func() { close(ch) })
		defer t.Stop()
		interrupt = ch
	}
	grace := o.KillAfter
	if grace <= 0 {
		grace = 5 * time.Second
	}
	var err error
loop:
	for {
		select {
		case err = <-waitErr:
			break loop
		case <-interrupt:
			interrupt = nil
			res.Interrupted = true
			_ = syscall.Kill(-pgid, syscall.SIGINT)
			kill = time.After(grace)
		case <-kill:
			res.Killed = true
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		case <-hardKill:
			hardKill = nil
			res.Killed = true
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		case <-ctx.Done():
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			ctx = context.Background() // wait for the exit once
		}
	}
	res.Duration = time.Since(start)
	if rss != nil {
		res.ProviderPeakRSS = rss.stop()
	}
	// A killed terraform leaves the provider orphaned; reap the group.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	res.Stdout, res.Stderr = stdout.String(), stderr.String()
	var exit *exec.ExitError
	switch {
	case err == nil:
		res.ExitCode = 0
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
	}
	return res
}

// Outputs reads `terraform output -json` as name -> value.
func (w *Workspace) Outputs(ctx context.Context) (map[string]json.RawMessage, error) {
	r := w.Run(ctx, "output", "-json")
	if err := r.Err(); err != nil {
		return nil, err
	}
	var raw map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &raw); err != nil {
		return nil, fmt.Errorf("terraform output -json: %w", err)
	}
	out := map[string]json.RawMessage{}
	for k, v := range raw {
		out[k] = v.Value
	}
	return out, nil
}

// Remove deletes the workspace directory.
func (w *Workspace) Remove() { _ = os.RemoveAll(w.Dir) }
