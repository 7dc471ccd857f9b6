package ipseclink_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
)

// fixedKey is the tunnel key both tests set, so they can look for it.
const fixedKey = "s3cretKeyNeverLogged0123456789"

// secrets are the values no log line or CLI output may carry: the tunnel
// key and both clouds' API tokens.
func (s site) secrets() map[string]string {
	env := s.sim.Env()
	return map[string]string{"shared_key": fixedKey, "HCLOUD_TOKEN": env["HCLOUD_TOKEN"], "ARM_ACCESS_TOKEN": env["ARM_ACCESS_TOKEN"]}
}

// checkNoSecrets fails t for every secret found in text (named what).
func checkNoSecrets(t *testing.T, what, text string, secrets map[string]string) {
	t.Helper()
	for name, v := range secrets {
		if len(v) < 8 {
			t.Fatalf("secret %s is %q: too short to search for meaningfully", name, v)
		}
		if i := strings.Index(text, v); i >= 0 {
			t.Errorf("%s carries %s at byte %d: ...%s...", what, name, i, text[max(0, i-200):i])
		}
	}
}

// checkProviderLogged makes sure a log really holds the provider's trace
// output, so a secret check on it cannot pass on an empty or CLI-only file.
func checkProviderLogged(t *testing.T, what, log string) {
	t.Helper()
	for _, line := range []string{"creating link", "crosscloud provider configured"} {
		if !strings.Contains(log, line) {
			t.Errorf("%s (%d bytes) has no provider log line %q: the secret check would be vacuous", what, len(log), line)
		}
	}
}

// With TF_LOG=trace, an apply and destroy through terraform-plugin-testing
// (the in-process provider and the terraform CLI logging to one file) log
// neither the tunnel key nor the API tokens.
func TestAccLinkSecretsStayOutOfTraceLogs(t *testing.T) {
	s := newSite(t)
	logPath := filepath.Join(t.TempDir(), "terraform-trace.log")
	t.Setenv("TF_LOG", "trace")
	t.Setenv("TF_LOG_PATH", logPath)     // the in-process provider's log sink
	t.Setenv("TF_ACC_LOG_PATH", logPath) // and the terraform CLI's own log
	// Credentials come from the environment and the key from a sensitive
	// variable, as in a user's configuration: terraform-plugin-testing
	// itself logs each step's configuration text, and that is not the
	// provider's doing.
	for k, v := range s.sim.Env() {
		t.Setenv(k, v)
	}
	cfg := strings.Replace(s.config(`  shared_key = var.psk`), s.sim.ProviderConfig(),
		"variable \"psk\" {\n  type      = string\n  sensitive = true\n}\n", 1)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy:             s.checkDestroyed(t),
		Steps: []resource.TestStep{{
			Config:          cfg,
			ConfigVariables: config.Variables{"psk": config.StringVariable(fixedKey)},
			ConfigStateChecks: append(healthy(),
				// The key really is the one in use, so its absence below means something.
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("shared_key"), knownvalue.StringExact(fixedKey)),
				statecheck.ExpectSensitiveValue(addr, tfjsonpath.New("shared_key"))),
		}},
	})
	if log := checkTraceLog(t, logPath, s.secrets()); !strings.Contains(log, "[TRACE]") || !strings.Contains(log, "ApplyResourceChange") {
		t.Errorf("the trace log (%d bytes) lacks the terraform CLI's trace of the apply", len(log))
	}
}

// The way a user meets it: the provider binary under the terraform CLI with
// TF_LOG=trace and credentials from the environment. Neither the plan and
// apply output, nor `terraform show`, nor the trace log carries a secret;
// only the state does (where Terraform keeps sensitive values).
func TestAccLinkSecretsStayOutOfCLIOutput(t *testing.T) {
	s := newSite(t)
	c := s.startCLI(t, cliProvider+s.hcl(linkHCL{args: fmt.Sprintf("  shared_key = %q", fixedKey)}))
	for _, args := range [][]string{
		{"plan", "-input=false"},
		{"apply", "-auto-approve", "-input=false"},
		{"show"},
		{"plan", "-input=false", "-detailed-exitcode"},
	} {
		if stdout := c.run(args...); args[0] == "plan" && !strings.Contains(stdout, "No changes.") &&
			!strings.Contains(stdout, "shared_key") {
			t.Errorf("terraform %s shows no shared_key line:\n%s", strings.Join(args, " "), stdout)
		}
	}
	if !strings.Contains(c.out.String(), "(sensitive value)") {
		t.Errorf("the CLI output never shows shared_key as a sensitive value:\n%s", c.out.String())
	}
	state, err := os.ReadFile(filepath.Join(c.ws.Dir, "terraform.tfstate"))
	if err != nil || !strings.Contains(string(state), fixedKey) {
		t.Fatalf("the state does not hold the configured key (%v): the link did not use it", err)
	}
	c.destroyWithoutSecrets(s, s.secrets())
}

// checkTraceLog checks that the trace log at path holds the provider's
// output and none of secrets; it returns the log for further checks.
func checkTraceLog(t *testing.T, path string, secrets map[string]string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("TF_LOG_PATH: %v", err)
	}
	log := string(data)
	checkProviderLogged(t, "the trace log", log)
	checkNoSecrets(t, "the trace log", log, secrets)
	return log
}

// buildProvider compiles this tree's provider into a directory of t's, the
// way dev_overrides wants it (harness.Build caches one build per process
// and would also build the emulator, which this test runs in-process).
func buildProvider(ctx context.Context, t *testing.T) harness.Binaries {
	t.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b := harness.Binaries{Dir: t.TempDir()}
	b.Provider = filepath.Join(b.Dir, harness.ProviderBinary)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.Provider, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return b
}

// traceWorkspace is a terraform workspace for the real CLI with the
// provider built from this tree, the emulator's settings in its
// environment and TF_LOG=trace written to the returned path, so a test can
// search every byte the CLI and the provider log.
func (s *site) traceWorkspace(ctx context.Context, t *testing.T) (*harness.Workspace, string) {
	t.Helper()
	ws, err := harness.NewWorkspace(t.TempDir(), buildProvider(ctx, t), nil)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "terraform-trace.log")
	for k, v := range s.sim.Env() {
		ws.Env = append(ws.Env, k+"="+v)
	}
	ws.Env = append(ws.Env, "TF_LOG=trace", "TF_LOG_PATH="+logPath)
	return ws, logPath
}

// cliProvider heads a configuration for the real terraform CLI: the
// provider at the address dev_overrides points at this tree's build, with
// its settings from the environment traceWorkspace sets.
const cliProvider = `terraform {
  required_providers {
    crosscloud = { source = "crosscloud-tf/crosscloud" }
  }
}

provider "crosscloud" {}
`

// cli is a terraform CLI session in a trace workspace; it keeps everything
// the CLI printed, for the secret checks.
type cli struct {
	t       *testing.T
	ctx     context.Context
	ws      *harness.Workspace
	logPath string
	out     strings.Builder
}

// startCLI opens a trace workspace holding cfg; the session has five
// minutes.
func (s *site) startCLI(t *testing.T, cfg string) *cli {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	ws, logPath := s.traceWorkspace(ctx, t)
	c := &cli{t: t, ctx: ctx, ws: ws, logPath: logPath}
	c.write(cfg)
	return c
}

func (c *cli) write(cfg string) {
	c.t.Helper()
	if err := c.ws.WriteConfig(cfg); err != nil {
		c.t.Fatal(err)
	}
}

// run runs terraform with args, fails the test if terraform fails, and
// returns what it printed on stdout.
func (c *cli) run(args ...string) string {
	c.t.Helper()
	r := c.ws.Run(c.ctx, args...)
	if err := r.Err(); err != nil {
		c.t.Fatal(err)
	}
	c.out.WriteString(r.Stdout + r.Stderr)
	return r.Stdout
}

// destroyWithoutSecrets destroys the link, checks that it left nothing
// behind, and that neither the CLI output nor the trace log carries any of
// secrets.
func (c *cli) destroyWithoutSecrets(s site, secrets map[string]string) {
	c.t.Helper()
	c.run("destroy", "-auto-approve", "-input=false")
	if left := s.leftovers(c.t); len(left) > 0 {
		c.t.Errorf("destroy left resources behind: %v", left)
	}
	checkNoSecrets(c.t, "the terraform CLI output", c.out.String(), secrets)
	checkTraceLog(c.t, c.logPath, secrets)
}
