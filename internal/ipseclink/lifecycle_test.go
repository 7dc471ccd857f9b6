package ipseclink_test

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// remember copies one attribute of the link out of a step's state.
func remember(dst *string, attr string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		*dst = st.RootModule().Resources[addr].Primary.Attributes[attr]
		return nil
	}
}

func (s site) armFactory(t *testing.T) *armnetwork.ClientFactory {
	f, err := armnetwork.NewClientFactory(s.sim.SubscriptionID(), s.sim.Credential(), s.sim.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func healthy() []statecheck.StateCheck {
	return []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("connection_status"), knownvalue.StringExact("Connected")),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
	}
}

func TestAccLinkUpdatePolicyAndKeyInPlace(t *testing.T) {
	s := newSite(t)
	var server, primaryIP, connID string
	const policy = `
  ipsec_policy = {
    ike_encryption = "AES256", ike_integrity = "SHA256", dh_group = "DHGroup14"
    ipsec_encryption = "GCMAES256", ipsec_integrity = "GCMAES256", pfs_group = "None"
  }
  shared_key = "rotated0Key0With0Enough0Length"
`
	s.run(t, []resource.TestStep{{
		Config: s.config(""),
		Check: resource.ComposeTestCheckFunc(remember(&server, "hetzner_server_id"),
			remember(&primaryIP, "hetzner_public_ipv4"), remember(&connID, "azure_connection_id")),
	}, {
		Config: s.config(policy),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
		}},
		ConfigStateChecks: append(healthy(),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_private_ip"), knownvalue.StringExact("10.0.1.1"))),
		Check: func(st *terraform.State) error {
			a := st.RootModule().Resources[addr].Primary.Attributes
			if a["hetzner_server_id"] == server {
				return fmt.Errorf("a new policy must reach the gateway: the server (%s) was not replaced", server)
			}
			if a["hetzner_public_ipv4"] != primaryIP || a["azure_connection_id"] != connID {
				return fmt.Errorf("the public IP (%s -> %s) and connection must survive an update", primaryIP, a["hetzner_public_ipv4"])
			}
			if !regexp.MustCompile(`proposals = aes256-sha256-modp2048\n`).MatchString(a["swanctl_conf"]) {
				return fmt.Errorf("swanctl_conf does not carry the new proposal:\n%s", a["swanctl_conf"])
			}
			ctx := context.Background()
			rid := "hel1-weu-conn"
			conns := s.armFactory(t).NewVirtualNetworkGatewayConnectionsClient()
			got, err := conns.Get(ctx, "rg-net", rid, nil)
			if err != nil {
				return err
			}
			pol := got.Properties.IPSecPolicies[0]
			if *pol.DhGroup != armnetwork.DhGroupDHGroup14 || *pol.PfsGroup != armnetwork.PfsGroupNone {
				return fmt.Errorf("Azure policy not updated: dh=%s pfs=%s", *pol.DhGroup, *pol.PfsGroup)
			}
			key, err := conns.GetSharedKey(ctx, "rg-net", rid, nil)
			if err != nil || *key.Value != "rotated0Key0With0Enough0Length" {
				return fmt.Errorf("Azure shared key not rotated: %v", err)
			}
			return nil
		},
	}})
}

// Every sub-resource changed or deleted outside Terraform is drift: the
// plan shows the repair, apply makes the link whole again.
func TestAccLinkRepairsOutOfBandChanges(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	hc := s.sim.HCloud()
	var netID, serverID, fwID int64
	ids := func(st *terraform.State) error {
		a := st.RootModule().Resources[addr].Primary.Attributes
		fmt.Sscan(a["hetzner_network_id"], &netID)
		fmt.Sscan(a["hetzner_server_id"], &serverID)
		fmt.Sscan(a["hetzner_firewall_id"], &fwID)
		return nil
	}
	repair := func(name string, breakIt func() error) resource.TestStep {
		return resource.TestStep{
			PreConfig: func() {
				if err := breakIt(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			},
			Config: s.config(""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: healthy(),
			Check: resource.ComposeTestCheckFunc(ids, func(*terraform.State) error {
				if gw, ok := s.route(t, netID, "10.1.0.0/16"); !ok || gw != "10.0.1.1" {
					return fmt.Errorf("after repairing %s: route 10.1.0.0/16 -> %q", name, gw)
				}
				return nil
			}),
		}
	}
	s.run(t, []resource.TestStep{
		{Config: s.config(""), Check: ids},
		repair("deleted route", func() error {
			a, _, err := hc.Network.DeleteRoute(ctx, &hcloud.Network{ID: netID}, hcloud.NetworkDeleteRouteOpts{
				Route: hcloud.NetworkRoute{Destination: mustNet("10.1.0.0/16"), Gateway: net.ParseIP("10.0.1.1")}})
			if err == nil {
				err = hc.Action.WaitFor(ctx, a)
			}
			return err
		}),
		repair("opened firewall", func() error {
			_, _, err := hc.Firewall.SetRules(ctx, &hcloud.Firewall{ID: fwID}, hcloud.FirewallSetRulesOpts{Rules: []hcloud.FirewallRule{{
				Direction: hcloud.FirewallRuleDirectionIn, Protocol: hcloud.FirewallRuleProtocolTCP, Port: new("22"),
				SourceIPs: []net.IPNet{*mustNet("0.0.0.0/0")}}}})
			return err
		}),
		repair("deleted gateway server", func() error {
			_, _, err := hc.Server.DeleteWithResult(ctx, &hcloud.Server{ID: serverID})
			return err
		}),
		repair("deleted connection", func() error {
			p, err := s.armFactory(t).NewVirtualNetworkGatewayConnectionsClient().BeginDelete(ctx, "rg-net", "hel1-weu-conn", nil)
			if err == nil {
				_, err = p.PollUntilDone(ctx, simtest.PollOptions())
			}
			return err
		}),
		repair("rotated shared key", func() error {
			p, err := s.armFactory(t).NewVirtualNetworkGatewayConnectionsClient().BeginSetSharedKey(ctx, "rg-net", "hel1-weu-conn",
				armnetwork.ConnectionSharedKey{Value: new("someoneElsesKey")}, nil)
			if err == nil {
				_, err = p.PollUntilDone(ctx, simtest.PollOptions())
			}
			return err
		}),
	})
}

func mustNet(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}
