package ipseclink_test

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

const addr = "crosscloud_ipsec_link.main"

var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"crosscloud": providerserver.NewProtocol6WithError(provider.New("test")()),
}

// site is an emulator with the Azure side a user's other tooling made: the
// original topology's resource group and VNet (10.1.0.0/16, VM subnet
// 10.1.1.0/24).
type site struct {
	sim    *simtest.Instance
	vnetID string
}

func newSite(t *testing.T, opts ...simtest.Option) site {
	t.Helper()
	sim := simtest.Start(t, opts...)
	sim.CreateResourceGroup(t, "rg-net", "westeurope")
	id := sim.CreateVNet(t, "rg-net", "vnet", "westeurope", []string{"10.1.0.0/16"}, map[string]string{"vm": "10.1.1.0/24"})
	return site{sim: sim, vnetID: id}
}

// config is the original topology as one link; extra goes inside the
// resource block.
func (s site) config(extra string) string {
	return s.sim.ProviderConfig() + s.hcl(linkHCL{args: extra})
}

// linkHCL varies the original topology's crosscloud_ipsec_link "main"; the
// zero value is that topology as it is. Extra arguments are one a line,
// indented as they stand.
type linkHCL struct {
	name, location string // of the link and its gateway; "hel1-weu" and "hel1" when empty
	hetzner        string // more arguments of the hetzner block, each line ending in "\n"
	args           string // more arguments of the resource
}

// hcl is the resource block alone, so that one definition of the topology
// serves under every provider block (the emulator's, or the CLI's with
// credentials from the environment).
func (s site) hcl(l linkHCL) string {
	return fmt.Sprintf(`
resource "crosscloud_ipsec_link" "main" {
  name = %q
  hetzner = {
    network_ip_range = "10.0.0.0/12"
    gateway_subnet   = "10.0.1.0/24"
    location         = %q
%s  }
  azure = {
    resource_group_name   = "rg-net"
    location              = "westeurope"
    virtual_network_id    = %q
    gateway_subnet_prefix = "10.1.255.0/27"
  }
%s
}
`, cmp.Or(l.name, "hel1-weu"), cmp.Or(l.location, "hel1"), l.hetzner, s.vnetID, l.args)
}

// leftovers lists what the link left in the emulator beyond the user's own
// resource group, VNet and subnets.
func (s site) leftovers(t *testing.T) []string {
	var out []string
	for _, r := range s.sim.State(t) {
		switch {
		case r.Cloud == "azure" && (strings.HasSuffix(r.Type, "resourceGroups") || strings.HasSuffix(r.Type, "virtualNetworks")):
		case r.Cloud == "azure" && strings.HasSuffix(r.Type, "subnets") && !strings.HasSuffix(r.ID, "/GatewaySubnet"):
		default:
			out = append(out, r.Cloud+" "+r.Type+" "+r.Name)
		}
	}
	return out
}

func (s site) checkDestroyed(t *testing.T) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if left := s.leftovers(t); len(left) > 0 {
			return fmt.Errorf("destroy left resources behind: %v", left)
		}
		return nil
	}
}

// run is how most tests here run: steps against the in-process provider,
// in parallel with the other tests (each has its own emulator), and after
// the destroy the check that the link left nothing behind.
func (s site) run(t *testing.T, steps []resource.TestStep) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy:             s.checkDestroyed(t),
		Steps:                    steps,
	})
}

// route returns the Hetzner network route for dest, as Hetzner has it.
func (s site) route(t *testing.T, networkID int64, dest string) (string, bool) {
	n, _, err := s.sim.HCloud().Network.GetByID(context.Background(), networkID)
	if err != nil || n == nil {
		t.Fatalf("network %d: %v", networkID, err)
	}
	for _, r := range n.Routes {
		if r.Destination.String() == dest {
			return r.Gateway.String(), true
		}
	}
	return "", false
}

func networkID(st *terraform.State) int64 {
	var id int64
	fmt.Sscan(st.RootModule().Resources[addr].Primary.Attributes["hetzner_network_id"], &id)
	return id
}

func TestAccLinkOriginalTopology(t *testing.T) {
	s := newSite(t)
	s.run(t, []resource.TestStep{{
		Config: s.config(""),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("connection_status"), knownvalue.StringExact("Connected")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_private_ip"), knownvalue.StringExact("10.0.1.1")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("azure").AtMapKey("remote_prefixes"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.1.0.0/16")})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner").AtMapKey("local_prefixes"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.0.1.0/24")})),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
			statecheck.ExpectSensitiveValue(addr, tfjsonpath.New("shared_key")),
		},
		Check: func(st *terraform.State) error {
			// The lesson of the original setup: one network-level route to the gateway.
			gw, ok := s.route(t, networkID(st), "10.1.0.0/16")
			if !ok || gw != "10.0.1.1" {
				return fmt.Errorf("route 10.1.0.0/16 -> %q (found %v), want 10.0.1.1", gw, ok)
			}
			attrs := st.RootModule().Resources[addr].Primary.Attributes
			if strings.Contains(attrs["swanctl_conf"], attrs["shared_key"]) || strings.Contains(attrs["swanctl_conf"], "secret") {
				return fmt.Errorf("swanctl_conf must not carry the secret")
			}
			return checkFirewall(t, s, attrs)
		},
	}, {
		ResourceName:      addr,
		ImportState:       true,
		ImportStateVerify: true,
		ImportStateIdFunc: func(st *terraform.State) (string, error) { return st.RootModule().Resources[addr].Primary.ID, nil },
		// created_resources is verified too: the import finds that the
		// link created the GatewaySubnet (the VNet's tag) as well as
		// its network and gateway, so destroy after it removes all.
		ImportStateVerifyIgnore: []string{"timeouts"},
	}})
}

// checkFirewall: IKE and ESP open to the Azure gateway only, SSH closed.
func checkFirewall(t *testing.T, s site, attrs map[string]string) error {
	var id int64
	fmt.Sscan(attrs["hetzner_firewall_id"], &id)
	fw, _, err := s.sim.HCloud().Firewall.GetByID(context.Background(), id)
	if err != nil || fw == nil {
		return fmt.Errorf("firewall %d: %v", id, err)
	}
	peer := attrs["azure_gateway_public_ip"] + "/32"
	var got []string
	for _, r := range fw.Rules {
		port := ""
		if r.Port != nil {
			port = *r.Port
		}
		for _, src := range r.SourceIPs {
			if src.String() != peer {
				return fmt.Errorf("rule %s %s %s admits %s, want only %s", r.Direction, r.Protocol, port, src.String(), peer)
			}
		}
		got = append(got, fmt.Sprintf("%s/%s/%s", r.Direction, r.Protocol, port))
	}
	slices.Sort(got)
	want := []string{"in/esp/", "in/udp/4500", "in/udp/500"}
	if !slices.Equal(got, want) {
		return fmt.Errorf("firewall rules %v, want %v", got, want)
	}
	return nil
}
