package ipseclink_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// withLocalPrefixes is the original topology announcing prefixes to Azure.
func (s site) withLocalPrefixes(prefixes ...string) string {
	q := make([]string, len(prefixes))
	for i, p := range prefixes {
		q[i] = fmt.Sprintf("%q", p)
	}
	return strings.Replace(s.config(""), `location         = "hel1"`,
		`location         = "hel1"`+"\n    local_prefixes   = ["+strings.Join(q, ", ")+"]", 1)
}

// A changed local_prefixes updates the local network gateway in place and
// converges in one apply, although ARM's operation URL for that update
// answers 404.
func TestAccLinkLocalPrefixesChangeInPlace(t *testing.T) {
	s := newSite(t)
	lngPrefixes := func(want ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			got, err := s.armFactory(t).NewLocalNetworkGatewaysClient().Get(context.Background(), "rg-net", "hel1-weu-lng", nil)
			if err != nil {
				return err
			}
			var have []string
			for _, p := range got.Properties.LocalNetworkAddressSpace.AddressPrefixes {
				have = append(have, *p)
			}
			if !slices.Equal(have, want) || *got.Properties.ProvisioningState != "Succeeded" {
				return fmt.Errorf("local network gateway announces %v (%s), want %v", have, *got.Properties.ProvisioningState, want)
			}
			return nil
		}
	}
	s.run(t, []resource.TestStep{{
		Config:            s.withLocalPrefixes("10.0.1.0/24"),
		ConfigStateChecks: healthy(),
		Check:             lngPrefixes("10.0.1.0/24"),
	}, {
		Config: s.withLocalPrefixes("10.0.1.0/24", "10.0.2.0/24"),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
		}},
		ConfigStateChecks: healthy(),
		Check:             lngPrefixes("10.0.1.0/24", "10.0.2.0/24"),
	}})
}

// Three links reusing one gateway, applied in one run, all connect: the
// gateway serializes writes to its connections, and the links take turns
// (and back off when something else writes there).
func TestAccThreeLinksReuseOneGateway(t *testing.T) {
	s := newSite(t)
	reuse := func(name, subnet, location string) string {
		return fmt.Sprintf(`
resource "crosscloud_ipsec_link" %q {
  name = %q
  hetzner = {
    network_ip_range = "10.0.0.0/8"
    gateway_subnet   = %q
    location         = %q
  }
  azure = {
    resource_group_name        = "rg-net"
    location                   = "westeurope"
    virtual_network_id         = %q
    virtual_network_gateway_id = crosscloud_ipsec_link.main.azure_gateway_id
  }
}
`, name, name, subnet, location, s.vnetID)
	}
	connected := func(name string) statecheck.StateCheck {
		return statecheck.ExpectKnownValue("crosscloud_ipsec_link."+name, tfjsonpath.New("connection_status"), knownvalue.StringExact("Connected"))
	}
	s.run(t, []resource.TestStep{{
		Config: s.config("") + reuse("fsn1-weu", "10.32.1.0/24", "fsn1") + reuse("nbg1-weu", "10.48.1.0/24", "nbg1"),
		ConfigStateChecks: append(healthy(), connected("fsn1-weu"), connected("nbg1-weu"),
			statecheck.CompareValuePairs(addr, tfjsonpath.New("azure_gateway_id"), "crosscloud_ipsec_link.nbg1-weu", tfjsonpath.New("azure_gateway_id"), compareEqual{})),
		Check: func(*terraform.State) error {
			if n := s.gateways(t); n != 1 {
				return fmt.Errorf("%d gateways, want the one shared gateway", n)
			}
			if n := len(s.sim.Find(t, "azure", "Microsoft.Network/connections")); n != 3 {
				return fmt.Errorf("%d connections, want 3", n)
			}
			return nil
		},
	}})
}

// A new shared_key reaches both sides: Azure's connection carries it (set
// through the sharedkey endpoint, which a connection PUT would ignore) and
// is Succeeded, not still applying it, when the apply returns; the gateway
// server runs it.
func TestAccLinkKeyRotation(t *testing.T) {
	s := newSite(t)
	var server string
	s.run(t, []resource.TestStep{{
		Config: s.config(`  shared_key = "first0Key0For0The0Rotation"`),
		Check:  remember(&server, "hetzner_server_id"),
	}, {
		Config: s.config(`  shared_key = "second0Key0For0The0Rotation"`),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
		}},
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			conns := s.armFactory(t).NewVirtualNetworkGatewayConnectionsClient()
			key, err := conns.GetSharedKey(context.Background(), "rg-net", "hel1-weu-conn", nil)
			if err != nil || *key.Value != "second0Key0For0The0Rotation" {
				return fmt.Errorf("Azure key after the rotation: %v", err)
			}
			got, err := conns.Get(context.Background(), "rg-net", "hel1-weu-conn", nil)
			if err != nil || *got.Properties.ProvisioningState != "Succeeded" {
				return fmt.Errorf("connection after the rotation: %v %v", err, got.Properties)
			}
			if st.RootModule().Resources[addr].Primary.Attributes["hetzner_server_id"] == server {
				return fmt.Errorf("the gateway server (%s) still runs the old key", server)
			}
			return nil
		},
	}})
}

// connection_mode is ResponderOnly unless set; Azure fixes it when the
// connection is created, so a change re-creates the connection (and only
// the connection: same gateway).
func TestAccLinkConnectionMode(t *testing.T) {
	s := newSite(t)
	withMode := func(mode string) string {
		return strings.Replace(s.config(""), `gateway_subnet_prefix = "10.1.255.0/27"`,
			`gateway_subnet_prefix = "10.1.255.0/27"`+"\n    connection_mode       = "+fmt.Sprintf("%q", mode), 1)
	}
	modeIs := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			got, err := s.armFactory(t).NewVirtualNetworkGatewayConnectionsClient().Get(context.Background(), "rg-net", "hel1-weu-conn", nil)
			if err != nil || string(*got.Properties.ConnectionMode) != want {
				return fmt.Errorf("Azure connection mode %v (%v), want %s", got.Properties, err, want)
			}
			return nil
		}
	}
	var gateway string
	s.run(t, []resource.TestStep{{
		Config:            s.config(""),
		ConfigStateChecks: healthy(),
		Check:             resource.ComposeTestCheckFunc(modeIs("ResponderOnly"), remember(&gateway, "azure_gateway_id")),
	}, {
		Config: withMode("Default"),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
		}},
		ConfigStateChecks: healthy(),
		Check: resource.ComposeTestCheckFunc(modeIs("Default"), func(st *terraform.State) error {
			if got := st.RootModule().Resources[addr].Primary.Attributes["azure_gateway_id"]; got != gateway {
				return fmt.Errorf("gateway %s replaced by %s for a connection mode change", gateway, got)
			}
			return nil
		}),
	}})
}
