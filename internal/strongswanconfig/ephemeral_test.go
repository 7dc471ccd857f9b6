package strongswanconfig_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
)

var withEcho = map[string]func() (tfprotov6.ProviderServer, error){
	"crosscloud": providerserver.NewProtocol6WithError(provider.New("test")()),
	"echo":       echoprovider.NewProviderServer(),
}

var atLeast110 = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)}

// ephemeralHCL is args.hcl() as the ephemeral resource.
func ephemeralHCL(a args) string {
	return strings.Replace(a.hcl(), `data "crosscloud_strongswan_config" "test"`, `ephemeral "crosscloud_strongswan_config" "test"`, 1)
}

// The ephemeral twin returns exactly what the data source returns for the
// same arguments: the swanctl.conf cloudinit renders for the original
// topology, the proposals and the effective policy.
func TestAccStrongswanConfigEphemeral_sameOutputs(t *testing.T) {
	g := originalGateway()
	conf, ud := originalRendering(t)
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   atLeast110,
		ProtoV6ProviderFactories: withEcho,
		Steps: []resource.TestStep{{
			Config: ephemeralHCL(args{}) + `
provider "echo" { data = ephemeral.crosscloud_strongswan_config.test }
resource "echo" "out" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				echoed("swanctl_conf", knownvalue.StringExact(conf)),
				echoed("cloud_init", knownvalue.StringExact(ud)),
				echoed("swanctl_conf_path", knownvalue.StringExact("/etc/swanctl/conf.d/hel1-weu.conf")),
				echoed("ike_proposal", knownvalue.StringExact(g.IKEProposal)),
				echoed("esp_proposal", knownvalue.StringExact(g.ESPProposal)),
				echoed("dpd_timeout_seconds", knownvalue.Int64Exact(45)),
			},
		}},
	})
}

func echoed(attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("echo.out", tfjsonpath.New("data").AtMapKey(attr), v)
}

// The same rules refuse the same mistakes, on the attribute, at plan time.
func TestAccStrongswanConfigEphemeral_invalid(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   atLeast110,
		ProtoV6ProviderFactories: withEcho,
		Steps: []resource.TestStep{{
			Config:      ephemeralHCL(args{remotePrefixes: `["10.0.1.0/25"]`}),
			ExpectError: regexp.MustCompile(`(?s)overlap`),
		}, {
			Config:      ephemeralHCL(args{key: `"has-hyphen"`}),
			ExpectError: regexp.MustCompile(`(?s)shared_key.*hyphen`),
		}},
	})
}

// The reason the ephemeral twin exists: a configuration that ships the
// rendered swanctl.conf to a gateway (here a local-exec provisioner writes
// it to a file, as an Ansible run would) leaves no trace of the key in the
// state, where the data source would keep it. The first step is the
// control: the same check finds the key in a data source's state.
func TestAccStrongswanConfigEphemeral_keyNotInState(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hel1-weu.conf")
	keyVar := args{key: "var.psk"}.hcl()
	variable := "variable \"psk\" {\n  type      = string\n  sensitive = true\n}\n"
	ship := func(from string) string {
		return fmt.Sprintf(`
resource "terraform_data" "ship" {
  provisioner "local-exec" {
    command     = "printf '%%s' \"$CONF\" > %s"
    environment = { CONF = %s.crosscloud_strongswan_config.test.swanctl_conf }
  }
}
`, out, from)
	}
	vars := config.Variables{"psk": config.StringVariable(testKey)}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   atLeast110,
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config:          variable + keyVar + ship("data"),
			ConfigVariables: vars,
			Check:           noKeyInState,
			ExpectError:     regexp.MustCompile(`the state holds the shared key`),
		}, {
			Config:          variable + strings.Replace(keyVar, `data "crosscloud_strongswan_config"`, `ephemeral "crosscloud_strongswan_config"`, 1) + ship("ephemeral"),
			ConfigVariables: vars,
			Check:           noKeyInState,
		}},
	})
	conf, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the provisioner wrote no swanctl.conf: %v", err)
	}
	if !strings.Contains(string(conf), hex.EncodeToString([]byte(testKey))) {
		t.Errorf("the shipped swanctl.conf lacks the key; it was:\n%s", conf)
	}
}

// noKeyInState fails if any attribute of any resource or data source in
// the state holds the test key, as text or in the hex form swanctl.conf
// uses.
func noKeyInState(s *terraform.State) error {
	needles := []string{testKey, hex.EncodeToString([]byte(testKey))}
	for _, m := range s.Modules {
		for name, r := range m.Resources {
			for k, v := range r.Primary.Attributes {
				for _, n := range needles {
					if strings.Contains(v, n) {
						return fmt.Errorf("the state holds the shared key in %s.%s", name, k)
					}
				}
			}
		}
	}
	return nil
}

// The registry example works as written (only the file lands in a
// directory of the test's): it renders a key it generated and ships the
// swanctl.conf, and the state holds neither.
func TestAccStrongswanConfigEphemeral_example(t *testing.T) {
	example, err := os.ReadFile("../../examples/ephemeral-resources/crosscloud_strongswan_config/ephemeral-resource.tf")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := strings.Replace(string(example), "${path.module}", dir, 1)
	if cfg == string(example) {
		t.Fatal("the example no longer writes under ${path.module}; update this test")
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   atLeast110,
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: cfg,
			Check: func(s *terraform.State) error {
				for _, m := range s.Modules {
					for name, r := range m.Resources {
						for k, v := range r.Primary.Attributes {
							if strings.Contains(v, "secret = 0x") {
								return fmt.Errorf("the state holds the rendered secrets section in %s.%s", name, k)
							}
						}
					}
				}
				return nil
			},
		}},
	})
	written, err := os.ReadFile(filepath.Join(dir, "hel1-weu.conf"))
	if err != nil {
		t.Fatalf("the example shipped no swanctl.conf: %v", err)
	}
	if !regexp.MustCompile(`(?m)^\s*secret = 0x[0-9a-f]{128}$`).Match(written) {
		t.Errorf("the shipped swanctl.conf carries no 64-character generated key:\n%s", written)
	}
	if fi, err := os.Stat(filepath.Join(dir, "hel1-weu.conf")); err == nil && fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("the shipped swanctl.conf has mode %v; the example promises 0600", fi.Mode().Perm())
	}
}
