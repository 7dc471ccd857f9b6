package prefixplan_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwtest"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
)

// factories serves the real provider with no credentials configured:
// the data source must not need any.
var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"crosscloud": providerserver.NewProtocol6WithError(provider.New("test")()),
}

const addr = "data.crosscloud_prefix_plan.test"

func config(supernet, providers string) string {
	return fmt.Sprintf(`
data "crosscloud_prefix_plan" "test" {
  supernet  = %q
  providers = %s
}
`, supernet, providers)
}

func expect(path string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New(path), v)
}

func TestAccPrefixPlan(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			// The README example: three sites split evenly (next power of two: 4 blocks of /10).
			Config: config("10.0.0.0/8", `[{ name = "hetzner" }, { name = "azure" }, { name = "onprem" }]`),
			ConfigStateChecks: []statecheck.StateCheck{
				expect("prefixes", knownvalue.MapExact(map[string]knownvalue.Check{
					"hetzner": knownvalue.StringExact("10.0.0.0/10"),
					"azure":   knownvalue.StringExact("10.64.0.0/10"),
					"onprem":  knownvalue.StringExact("10.128.0.0/10"),
				})),
				expect("hetzner_network_ip_range", knownvalue.StringExact("10.0.0.0/8")),
				expect("id", knownvalue.StringExact("10.0.0.0/8")),
			},
		}, {
			// Explicit sizes: the /12 goes first, the /16s after it in list order,
			// and the Hetzner range shrinks to what covers them.
			Config: config("10.0.0.0/8", `[{ name = "hetzner", prefix_length = 16 }, { name = "azure", prefix_length = 12 }, { name = "onprem", prefix_length = 16 }]`),
			ConfigStateChecks: []statecheck.StateCheck{
				expect("prefixes", knownvalue.MapExact(map[string]knownvalue.Check{
					"hetzner": knownvalue.StringExact("10.16.0.0/16"),
					"azure":   knownvalue.StringExact("10.0.0.0/12"),
					"onprem":  knownvalue.StringExact("10.17.0.0/16"),
				})),
				expect("hetzner_network_ip_range", knownvalue.StringExact("10.0.0.0/11")),
			},
		}},
	})
}

// TestAccPrefixPlan_feedsOtherData: the outputs are ordinary values another
// data source can use; here the plan's blocks become the tunnel's traffic
// selectors, as in a real configuration.
func TestAccPrefixPlan_feedsOtherData(t *testing.T) {
	withTunnel := func(key string) string {
		return config("172.16.0.0/12", `[{ name = "hetzner" }, { name = "azure" }]`) + fmt.Sprintf(`
data "crosscloud_strongswan_config" "test" {
  connection_name = "plan"
  local_address   = "192.0.2.10"
  remote_address  = "198.51.100.20"
  local_prefixes  = [data.crosscloud_prefix_plan.test.prefixes["hetzner"]]
  remote_prefixes = [data.crosscloud_prefix_plan.test.prefixes["azure"]]
  shared_key      = %q
}
`, key)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config:      withTunnel("plan-free_key"),
			ExpectError: regexp.MustCompile(`contains\s+a\s+hyphen`),
		}, {
			Config: withTunnel("plan_key"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.crosscloud_strongswan_config.test", tfjsonpath.New("swanctl_conf"),
					knownvalue.StringRegexp(regexp.MustCompile(`local_ts = 172\.16\.0\.0/13\n\s+remote_ts = 172\.24\.0\.0/13\n`))),
			},
		}},
	})
}

// TestAccPrefixPlan_invalid: each rule is refused at plan time on the
// attribute to change (Terraform prints its source line) with the reason.
func TestAccPrefixPlan_invalid(t *testing.T) {
	fwtest.RefusedAtPlan(t, factories, []fwtest.Refusal{
		{Name: "supernet not RFC1918", Config: config("100.64.0.0/10", `[{ name = "a" }]`),
			Want: `Cannot plan prefixes(.|\n)*supernet\s+=(.|\n)*100\.64\.0\.0/10\s+is\s+not\s+private\s+address\s+space`},
		{Name: "supernet with host bits", Config: config("10.0.0.1/8", `[{ name = "a" }]`),
			Want: `Invalid supernet(.|\n)*supernet\s+=(.|\n)*did\s+you\s+mean\s+10\.0\.0\.0/8`},
		{Name: "too many providers", Config: config("10.0.0.0/24", `[for i in range(257) : { name = "p${i}" }]`),
			Want: `Cannot plan prefixes(.|\n)*providers\s+=(.|\n)*default\s+prefix\s+length\s+33\s+\(splitting\s+10\.0\.0\.0/24\s+into\s+512\s+blocks\)`},
		{Name: "blocks do not fit", Config: config("10.0.0.0/24", `[{ name = "a", prefix_length = 25 }, { name = "b", prefix_length = 25 }, { name = "c", prefix_length = 26 }]`),
			Want: `providers\s+=(.|\n)*do\s+not\s+fit\s+in\s+10\.0\.0\.0/24\s+\(320\s+addresses\s+requested,\s+256\s+available\)`},
		{Name: "duplicate names", Config: config("10.0.0.0/8", `[{ name = "azure" }, { name = "azure" }]`),
			Want: `Duplicate provider name(.|\n)*"azure"\s+is\s+already\s+the\s+name\s+of\s+providers\[0\]`},
		{Name: "invalid name", Config: config("10.0.0.0/8", `[{ name = "Azure West" }]`),
			Want: `Invalid provider name(.|\n)*"Azure West"\s+is\s+not\s+a\s+valid\s+name`},
		{Name: "prefix length larger than supernet", Config: config("10.0.0.0/16", `[{ name = "a", prefix_length = 8 }]`),
			Want: `Invalid prefix length(.|\n)*/8\s+is\s+larger\s+than\s+the\s+supernet\s+10\.0\.0\.0/16`},
	})
}

// TestAccPrefixPlan_example runs the documented example as is, so the
// registry docs never show a configuration that fails or values it does not
// produce.
func TestAccPrefixPlan_example(t *testing.T) {
	fwtest.Example(t, factories, "../../examples/data-sources/crosscloud_prefix_plan/data-source.tf", nil, map[string]knownvalue.Check{
		"prefixes": knownvalue.MapExact(map[string]knownvalue.Check{
			"hetzner": knownvalue.StringExact("10.0.0.0/10"),
			"azure":   knownvalue.StringExact("10.64.0.0/10"),
			"onprem":  knownvalue.StringExact("10.128.0.0/16"),
		}),
		"hetzner_network_ip_range": knownvalue.StringExact("10.0.0.0/8"),
	})
}
