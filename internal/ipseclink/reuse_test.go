package ipseclink_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

const gatewayType = "Microsoft.Network/virtualNetworkGateways"

func (s site) gateways(t *testing.T) int { return len(s.sim.Find(t, "azure", gatewayType)) }

// A second link reuses the first link's gateway: one gateway, two tunnels,
// and removing the second link leaves the gateway to its owner.
func TestAccLinkReusesExistingGateway(t *testing.T) {
	s := newSite(t)
	second := fmt.Sprintf(`
resource "crosscloud_ipsec_link" "second" {
  name = "fsn1-weu"
  hetzner = {
    network_ip_range = "10.0.0.0/8"
    gateway_subnet   = "10.32.1.0/24"
    location         = "fsn1"
  }
  azure = {
    resource_group_name        = "rg-net"
    location                   = "westeurope"
    virtual_network_id         = %q
    virtual_network_gateway_id = crosscloud_ipsec_link.main.azure_gateway_id
  }
}
`, s.vnetID)
	oneGateway := func(*terraform.State) error {
		if n := s.gateways(t); n != 1 {
			return fmt.Errorf("%d gateways, want the one shared gateway", n)
		}
		return nil
	}
	s.run(t, []resource.TestStep{{
		Config: s.config("") + second,
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("crosscloud_ipsec_link.second", tfjsonpath.New("connection_status"), knownvalue.StringExact("Connected")),
			statecheck.CompareValuePairs(addr, tfjsonpath.New("azure_gateway_id"), "crosscloud_ipsec_link.second", tfjsonpath.New("azure_gateway_id"), compareEqual{}),
			statecheck.ExpectKnownValue("crosscloud_ipsec_link.second", tfjsonpath.New("azure_public_ip_id"), knownvalue.Null()),
		},
		Check: oneGateway,
	}, {
		Config:            s.config(""),
		ConfigStateChecks: healthy(),
		Check:             oneGateway,
	}})
}

type compareEqual struct{}

func (compareEqual) CompareValues(values ...any) error {
	if len(values) != 2 || values[0] != values[1] {
		return fmt.Errorf("values differ: %v", values)
	}
	return nil
}

// Joining an existing network: the route lands in it, its other subnets are
// announced to Azure, and destroy leaves the network and the user's subnet.
func TestAccLinkJoinsExistingNetwork(t *testing.T) {
	s := newSite(t)
	n := s.sim.CreateHCloudNetwork(t, "existing", "10.0.0.0/12", "10.0.2.0/24")
	cfg := s.sim.ProviderConfig() + fmt.Sprintf(`
resource "crosscloud_ipsec_link" "main" {
  name    = "hel1-weu"
  hetzner = { network_id = %d, gateway_subnet = "10.0.1.0/24", location = "hel1" }
  azure = {
    resource_group_name = "rg-net", location = "westeurope", virtual_network_id = %q
    gateway_subnet_prefix = "10.1.255.0/27"
  }
}`, n.ID, s.vnetID)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy: func(*terraform.State) error {
			got, _, err := s.sim.HCloud().Network.GetByID(context.Background(), n.ID)
			if err != nil || got == nil {
				return fmt.Errorf("the user's network must survive destroy: %v", err)
			}
			var subnets []string
			for _, sn := range got.Subnets {
				subnets = append(subnets, sn.IPRange.String())
			}
			if !slices.Equal(subnets, []string{"10.0.2.0/24"}) || len(got.Routes) != 0 {
				return fmt.Errorf("destroy must remove only what the link added: subnets %v routes %v", subnets, got.Routes)
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: append(healthy(),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_network_id"), knownvalue.Int64Exact(n.ID)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner").AtMapKey("local_prefixes"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.0.2.0/24"), knownvalue.StringExact("10.0.1.0/24")}))),
			Check: func(*terraform.State) error {
				if gw, ok := s.route(t, n.ID, "10.1.0.0/16"); !ok || gw != "10.0.1.1" {
					return fmt.Errorf("route 10.1.0.0/16 -> %q in the existing network", gw)
				}
				return nil
			},
		}},
	})
}

// A create that times out during the gateway wait leaves a tracked state;
// the next apply converges without ever holding two gateways.
func TestAccLinkTimeoutThenResume(t *testing.T) {
	s := newSite(t, simtest.WithTimeScale(0.002)) // gateway ~5.4 s
	s.run(t, []resource.TestStep{{
		Config:      s.config(`  timeouts = { create = "2s" }`),
		ExpectError: regexp.MustCompile(`(?s)Creating the link failed.*(deadline|context)`),
	}, {
		Config:            s.config(""),
		ConfigStateChecks: healthy(),
		Check: func(*terraform.State) error {
			if n := s.gateways(t); n != 1 {
				return fmt.Errorf("%d gateways after a timed-out and a resumed apply, want 1", n)
			}
			return nil
		},
	}})
}

// The emulator injects 5xx, 429 and dropped connections; retries absorb
// them and destroy still leaves nothing behind.
func TestAccLinkSurvivesInjectedFaults(t *testing.T) {
	s := newSite(t, simtest.WithFaults("error_rate=0.04,rate_limit_rate=0.04,drop_rate=0.02,seed=11"))
	s.run(t, []resource.TestStep{{Config: s.config(""), ConfigStateChecks: healthy()}})
}
