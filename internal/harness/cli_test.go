package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCLI writes an executable that prints out for `version`.
func fakeCLI(t *testing.T, out string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cli")
	script := "#!/bin/sh\ncat <<'EOF'\n" + out + "EOF\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// Each CLI gets the dev_overrides key and mirror host it resolves
// `crosscloud-tf/crosscloud` against; a key under the other host is ignored
// by the CLI, which then looks for the provider on the network.
func TestDetectCLIChoosesTheRegistryHost(t *testing.T) {
	t.Setenv("TF_ACC_PROVIDER_HOST", "")
	cases := []struct {
		name, out, cmd, version, address string
		tofu                             bool
	}{
		{"terraform", "Terraform v1.11.4\non linux_amd64\n", "terraform", "1.11.4",
			"registry.terraform.io/crosscloud-tf/crosscloud", false},
		{"tofu", "OpenTofu v1.12.6\non linux_amd64\n", "tofu", "1.12.6",
			"registry.opentofu.org/crosscloud-tf/crosscloud", true},
		// OpenTofu prints CLI-configuration warnings ahead of the version.
		{"tofu after a warning", "\nWarning: Unable to open CLI configuration file\n\nThe CLI configuration file at \"/x\" does not exist.\nOpenTofu v1.12.6\non linux_amd64\n",
			"tofu", "1.12.6", "registry.opentofu.org/crosscloud-tf/crosscloud", true},
		{"terraform, out of date", "Terraform v1.11.4\non linux_amd64\n\nYour version of Terraform is out of date! The latest version\nis 1.14.0.\n",
			"terraform", "1.11.4", "registry.terraform.io/crosscloud-tf/crosscloud", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cli, err := DetectCLI(context.Background(), fakeCLI(t, c.out))
			if err != nil {
				t.Fatal(err)
			}
			if cli.OpenTofu != c.tofu || cli.Command() != c.cmd || cli.Version != c.version || cli.ProviderAddress() != c.address {
				t.Errorf("DetectCLI = %+v (command %s, address %s); want command %s, version %s, address %s",
					cli, cli.Command(), cli.ProviderAddress(), c.cmd, c.version, c.address)
			}
		})
	}
}

// TF_ACC_PROVIDER_HOST overrides the host, as it does for
// terraform-plugin-testing, so a harness workspace inside an acceptance
// test agrees with the test framework.
func TestDetectCLIHonoursProviderHost(t *testing.T) {
	p := fakeCLI(t, "Terraform v1.11.4\n")
	t.Setenv("TF_ACC_PROVIDER_HOST", "registry.example.com")
	cli, err := DetectCLI(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got := cli.ProviderAddress(); got != "registry.example.com/crosscloud-tf/crosscloud" {
		t.Errorf("address = %s", got)
	}
}

func TestDetectCLIRefusesSomethingElse(t *testing.T) {
	_, err := DetectCLI(context.Background(), fakeCLI(t, "Packer v1.9.0\n"))
	if err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("err = %v; want one saying it is neither Terraform nor OpenTofu", err)
	}
	_, err = DetectCLI(context.Background(), filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.Contains(err.Error(), "TF_ACC_TERRAFORM_PATH") {
		t.Errorf("err = %v; want one naming the settings that choose the CLI", err)
	}
}

// The harness follows the acceptance tests' TF_ACC_TERRAFORM_PATH, so the
// OpenTofu pass of make test runs harness workspaces under tofu too; its own
// TERRAFORM wins over it.
func TestCLIPathOrder(t *testing.T) {
	t.Setenv("TERRAFORM", "")
	t.Setenv("TF_ACC_TERRAFORM_PATH", "/opt/tofu")
	if got := CLIPath(); got != "/opt/tofu" {
		t.Errorf("CLIPath with TF_ACC_TERRAFORM_PATH = %s", got)
	}
	t.Setenv("TERRAFORM", "/opt/terraform")
	if got := CLIPath(); got != "/opt/terraform" {
		t.Errorf("CLIPath with TERRAFORM = %s", got)
	}
}

func TestWriteCLIConfigKeysTheOverrideByHost(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rc")
	b := Binaries{Dir: "/tmp/bin"}
	if err := WriteCLIConfig(p, b, CLI{OpenTofu: true, ProviderHost: OpenTofuRegistry}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(p)
	if !strings.Contains(string(got), `"registry.opentofu.org/crosscloud-tf/crosscloud" = "/tmp/bin"`) ||
		strings.Contains(string(got), TerraformRegistry) {
		t.Errorf("CLI config for tofu:\n%s", got)
	}
}
