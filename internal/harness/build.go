// Package harness measures the crosscloud provider the way a user meets it:
// the real terraform CLI driving the provider binary against the
// crosscloud-sim emulator. cmd/crosscloud-bench (time-to-tunnel, API calls,
// plan scaling) and cmd/crosscloud-chaos (faults and interrupted applies)
// are thin front ends over it, and a short seeded chaos run is a Go test.
//
// Nothing here talks to a real cloud: every workspace gets the emulator's
// settings through the environment, exactly as `. sim.env` gives them.
package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Binary names as DESIGN.md, "Contracts", fixes them; terraform finds the provider by
// this name inside the dev_overrides directory.
const (
	ProviderBinary = "terraform-provider-crosscloud"
	SimBinary      = "crosscloud-sim"
)

// Binaries are the freshly built provider and emulator. Dir holds both, and
// is what the CLI config's dev_overrides points at.
type Binaries struct {
	Dir      string
	Provider string
	Sim      string
}

var (
	buildOnce sync.Once
	built     Binaries
	buildErr  error
)

// Build compiles the provider (main.go) and the emulator (cmd/crosscloud-sim)
// into one temporary directory, once per process: every measurement must run
// the code in this tree, not whatever an earlier `make install` left behind.
func Build(ctx context.Context) (Binaries, error) {
	buildOnce.Do(func() { built, buildErr = build(ctx) })
	return built, buildErr
}

// Cleanup removes the binaries Build made (about 80 MB); call it once the
// process is done measuring.
func Cleanup() {
	if built.Dir != "" {
		_ = os.RemoveAll(built.Dir)
	}
}

// BuildProvider returns the path of the freshly built provider binary.
func BuildProvider(ctx context.Context) (string, error) {
	b, err := Build(ctx)
	return b.Provider, err
}

// BuildSim returns the path of the freshly built emulator binary.
func BuildSim(ctx context.Context) (string, error) {
	b, err := Build(ctx)
	return b.Sim, err
}

func build(ctx context.Context) (Binaries, error) {
	root, err := ModuleRoot()
	if err != nil {
		return Binaries{}, err
	}
	dir, err := os.MkdirTemp("", "crosscloud-harness-bin-")
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{Dir: dir, Provider: filepath.Join(dir, ProviderBinary), Sim: filepath.Join(dir, SimBinary)}
	for _, t := range []struct{ out, pkg string }{{b.Provider, "."}, {b.Sim, "./cmd/crosscloud-sim"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", t.out, t.pkg)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %v\n%s", t.pkg, err, stderr.String())
		}
	}
	return b, nil
}

// ModuleRoot finds the directory holding this module's go.mod by walking up
// from the working directory, so the bench works from `go run` at the root
// and the test works from internal/harness.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module github.com/crosscloud-tf/terraform-provider-crosscloud")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("harness: run from inside the terraform-provider-crosscloud module (no go.mod found above the working directory)")
		}
		dir = parent
	}
}

// WriteCLIConfig writes a CLI config whose dev_overrides make cli load the
// provider from b.Dir, so no `init` and no registry are needed for it
// (terraform 1.11 and tofu 1.12 print a warning and go on). The key is the
// provider's address under cli's registry host: an override keyed on the
// other CLI's host is silently ignored.
func WriteCLIConfig(path string, b Binaries, cli CLI) error {
	cfg := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", cli.ProviderAddress(), b.Dir)
	return os.WriteFile(path, []byte(cfg), 0o644)
}
