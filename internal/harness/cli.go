package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// The registry hosts the two CLIs resolve an unqualified provider source
// (`crosscloud-tf/crosscloud`) against. A dev_overrides entry or a
// filesystem mirror only applies under the host the CLI in use expects:
// OpenTofu defaults to its own registry (opentofu/opentofu:
// internal/addrs/provider.go, built on opentofu/registry-address), which is
// also why terraform-plugin-testing needs TF_ACC_PROVIDER_HOST for it.
const (
	TerraformRegistry = "registry.terraform.io"
	OpenTofuRegistry  = "registry.opentofu.org"
)

// ProviderSource is the provider's source address without a host, as
// configurations write it in required_providers.
const ProviderSource = "crosscloud-tf/crosscloud"

// CLI is the Terraform-compatible command line the harness and the demo
// drive: HashiCorp Terraform or OpenTofu, told apart by `version`.
type CLI struct {
	Path string
	// OpenTofu is true for `tofu` (its version line starts "OpenTofu v").
	OpenTofu bool
	// Version is the CLI's version without the leading v, e.g. "1.12.6".
	Version string
	// ProviderHost is the registry host the CLI resolves
	// crosscloud-tf/crosscloud against.
	ProviderHost string
}

// Name is the product name for messages: "Terraform" or "OpenTofu".
func (c CLI) Name() string {
	if c.OpenTofu {
		return "OpenTofu"
	}
	return "Terraform"
}

// Command is what a user types: "terraform" or "tofu".
func (c CLI) Command() string {
	if c.OpenTofu {
		return "tofu"
	}
	return "terraform"
}

// String is "OpenTofu 1.12.6 (/path/to/tofu)".
func (c CLI) String() string { return fmt.Sprintf("%s %s (%s)", c.Name(), c.Version, c.Path) }

// ProviderAddress is the fully qualified address of this provider under the
// CLI's registry host: the key of dev_overrides and the directory of a
// filesystem mirror.
func (c CLI) ProviderAddress() string { return c.ProviderHost + "/" + ProviderSource }

// CLIPath is the CLI the harness runs, the first of: $TERRAFORM (the
// harness's own setting), $TF_ACC_TERRAFORM_PATH (what the acceptance tests
// use, so a test that drives a harness workspace runs the same CLI as its
// neighbours), terraform on PATH, tofu on PATH, /usr/local/bin/terraform.
func CLIPath() string {
	for _, k := range []string{"TERRAFORM", "TF_ACC_TERRAFORM_PATH"} {
		if p := os.Getenv(k); p != "" {
			return p
		}
	}
	for _, name := range []string{"terraform", "tofu"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return "/usr/local/bin/terraform"
}

var detected sync.Map // path -> CLI

// CurrentCLI detects the CLI at CLIPath.
func CurrentCLI(ctx context.Context) (CLI, error) { return DetectCLI(ctx, CLIPath()) }

// DetectCLI runs `path version` once per path and process and reads the
// product and version from its first recognised line. The provider host is
// $TF_ACC_PROVIDER_HOST when set (the same override terraform-plugin-testing
// honours), otherwise the CLI's default registry.
func DetectCLI(ctx context.Context, path string) (CLI, error) {
	c, ok := detected.Load(path)
	if !ok {
		d, err := detect(ctx, path)
		if err != nil {
			return CLI{}, err
		}
		c, _ = detected.LoadOrStore(path, d)
	}
	cli := c.(CLI)
	if h := os.Getenv("TF_ACC_PROVIDER_HOST"); h != "" {
		cli.ProviderHost = h
	}
	return cli, nil
}

func detect(ctx context.Context, path string) (CLI, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version")
	// Without a CLI configuration: a TF_CLI_CONFIG_FILE naming a missing
	// file makes OpenTofu print a warning ahead of the version line.
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TF_CLI_CONFIG_FILE=")
	}), "CHECKPOINT_DISABLE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return CLI{}, fmt.Errorf("running %s version: %v %s (set TERRAFORM or TF_ACC_TERRAFORM_PATH to a terraform or tofu binary)",
			path, err, strings.TrimSpace(stderr.String()))
	}
	return parseVersion(path, out)
}

// parseVersion reads `terraform version` / `tofu version` output.
func parseVersion(path string, out []byte) (CLI, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		for _, p := range []struct {
			prefix string
			tofu   bool
			host   string
		}{{"Terraform v", false, TerraformRegistry}, {"OpenTofu v", true, OpenTofuRegistry}} {
			if v, ok := strings.CutPrefix(line, p.prefix); ok && v != "" {
				return CLI{Path: path, OpenTofu: p.tofu, Version: strings.Fields(v)[0], ProviderHost: p.host}, nil
			}
		}
	}
	return CLI{}, fmt.Errorf("%s version printed neither \"Terraform v...\" nor \"OpenTofu v...\":\n%s", path, out)
}
