package ipseclink_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// exampleBlocks are the blocks of an example that name the registry
// provider; the test supplies the emulator's provider block instead. A
// block is either empty on one line or closed by a "}" at a line start.
var exampleBlocks = regexp.MustCompile(`(?ms)^(terraform|provider "crosscloud") \{(\}|.*?^\})\n`)

// The published example applies as written (its token from an ephemeral
// variable), builds the pair and destroys cleanly.
func TestAccExampleHighAvailability(t *testing.T) {
	raw, err := os.ReadFile("../../examples/high-availability/main.tf")
	if err != nil {
		t.Fatal(err)
	}
	body := exampleBlocks.ReplaceAllString(string(raw), "")
	if strings.Contains(body, "required_providers") || strings.Contains(body, `provider "crosscloud"`) ||
		!strings.Contains(body, `variable "azure_virtual_network_id"`) || !strings.Contains(body, "high_availability") {
		t.Fatalf("the example's layout changed; update exampleBlocks:\n%s", body)
	}
	s := newSite(t)
	s.run(t, []resource.TestStep{{
		Config: s.sim.ProviderConfig() + body,
		ConfigVariables: config.Variables{
			"azure_virtual_network_id": config.StringVariable(s.vnetID),
			"gateway_hcloud_token":     config.StringVariable(haToken),
		},
		ConfigStateChecks: append(healthy(),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_standby_private_ip"), knownvalue.StringExact("10.0.1.2")),
			statecheck.ExpectKnownOutputValue("active_server_id", knownvalue.NotNull()),
			statecheck.ExpectKnownOutputValue("azure_gateway_public_ips", knownvalue.ListSizeExact(2))),
	}})
}
