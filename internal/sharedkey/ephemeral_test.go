package sharedkey_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
)

var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"crosscloud": providerserver.NewProtocol6WithError(provider.New("test")()),
	"echo":       echoprovider.NewProviderServer(),
}

// azureValid checks a key against Azure's rule, through the same function
// the link's plan uses.
type azureValid struct{ length int }

func (v azureValid) CheckValue(other any) error {
	s, ok := other.(string)
	if !ok {
		return fmt.Errorf("value is %T, want string", other)
	}
	if len(s) != v.length {
		return fmt.Errorf("key has %d characters, want %d", len(s), v.length)
	}
	return ipsec.ValidateSharedKey(s)
}

func (v azureValid) String() string {
	return fmt.Sprintf("an Azure-valid key of %d characters", v.length)
}

// The key reaches a consumer (the echo provider stands in for a write-only
// argument) with the requested length and Azure's character rules; the
// echo resource is the only place the test can see it, because the
// ephemeral resource itself is never in state. (An echo resource keeps the
// data it was created with, so each step echoes into a new one.)
func TestAccSharedKeyEphemeral(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: `
ephemeral "crosscloud_shared_key" "psk" {}
provider "echo" { data = ephemeral.crosscloud_shared_key.psk }
resource "echo" "k" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.k", tfjsonpath.New("data").AtMapKey("value"), azureValid{length: 64}),
				statecheck.ExpectKnownValue("echo.k", tfjsonpath.New("data").AtMapKey("length"), knownvalue.Int64Exact(64)),
			},
		}, {
			Config: `
ephemeral "crosscloud_shared_key" "psk" {
  length      = 100
  punctuation = true
}
provider "echo" { data = ephemeral.crosscloud_shared_key.psk }
resource "echo" "k100" {}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.k100", tfjsonpath.New("data").AtMapKey("value"), azureValid{length: 100}),
			},
		}},
	})
}

// A length Azure would refuse, or one too short to be a good key, fails at
// validate time on the attribute.
func TestAccSharedKeyEphemeralLengthRefused(t *testing.T) {
	for _, n := range []int{8, 129} {
		t.Run(fmt.Sprint(n), func(t *testing.T) { refused(t, n) })
	}
}

func refused(t *testing.T, n int) {
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
ephemeral "crosscloud_shared_key" "psk" { length = %d }
provider "echo" { data = ephemeral.crosscloud_shared_key.psk }
resource "echo" "k" {}
`, n),
			ExpectError: regexp.MustCompile(`(?s)length.*must be between 16 and 128`),
		}},
	})
}
