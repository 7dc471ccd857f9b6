package ipseclink_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// haToken is the test's Hetzner API token for the gateways; it must reach
// their user_data and nothing else.
const haToken = "haTok3nForTheGatewaysOnlyNeverInState0123456789abcdefABCDEF0123"

// haConfig is the original topology with a gateway pair; ha goes inside
// high_availability.
func (s site) haConfig(ha string) string { return s.haConfigWith(ha, "") }

// haConfigWith is haConfig with top-level arguments of the link.
func (s site) haConfigWith(ha, top string) string {
	return s.sim.ProviderConfig() + s.hcl(linkHCL{args: "  " + top, hetzner: fmt.Sprintf(`    high_availability = {
      hcloud_token_wo = %q
      %s
    }
`, haToken, ha)})
}

func attrInt(st *terraform.State, name string) int64 {
	var v int64
	fmt.Sscan(st.RootModule().Resources[addr].Primary.Attributes[name], &v)
	return v
}

// The pair: two servers in two locations, one Floating IP that Azure and
// both strongSwan configurations name, an active-active Azure gateway
// admitted by the firewall on both addresses, the route at the active
// server. A failover the servers make is no drift; losing both servers is,
// and apply brings them back on the same addresses. Destroy leaves nothing.
func TestAccLinkHighAvailability(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	hc := s.sim.HCloud()
	var primary, standby, fipID int64
	s.run(t, []resource.TestStep{{
		Config: s.haConfig(`standby_location = "fsn1"`),
		ConfigStateChecks: append(healthy(),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_private_ip"), knownvalue.StringExact("10.0.1.1")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_standby_private_ip"), knownvalue.StringExact("10.0.1.2"))),
		Check: func(st *terraform.State) error {
			a := st.RootModule().Resources[addr].Primary.Attributes
			primary, standby, fipID = attrInt(st, "hetzner_server_id"), attrInt(st, "hetzner_standby_server_id"), attrInt(st, "hetzner_floating_ip_id")
			for k, v := range a {
				if strings.Contains(v, haToken) {
					return fmt.Errorf("state attribute %s carries the API token", k)
				}
			}
			fip, _, err := hc.FloatingIP.GetByID(ctx, fipID)
			if err != nil || fip == nil {
				return fmt.Errorf("floating IP %d: %v", fipID, err)
			}
			if a["hetzner_public_ipv4"] != fip.IP.String() || fip.HomeLocation.Name != "hel1" {
				return fmt.Errorf("hetzner_public_ipv4 %s, want the Floating IP %s homed in hel1 (home %s)", a["hetzner_public_ipv4"], fip.IP, fip.HomeLocation.Name)
			}
			if fip.Server == nil || fip.Server.ID != primary || attrInt(st, "hetzner_active_server_id") != primary {
				return fmt.Errorf("the Floating IP should start on the primary %d (holder %v, active %s)", primary, fip.Server, a["hetzner_active_server_id"])
			}
			for id, loc := range map[int64]string{primary: "hel1", standby: "fsn1"} {
				srv, _, err := hc.Server.GetByID(ctx, id)
				if err != nil || srv == nil || srv.Location.Name != loc {
					return fmt.Errorf("server %d should run in %s: %v %v", id, loc, srv, err)
				}
				ud, _ := s.sim.HCloudSim().UserData(id)
				for _, want := range []string{"keepalived", "local_addrs = " + fip.IP.String(), "remote_addrs = " + a["azure_gateway_public_ip"], "remote_addrs = " + a["azure_gateway_second_public_ip"], haToken} {
					if !strings.Contains(ud, want) {
						return fmt.Errorf("server %d's user_data lacks %q", id, want)
					}
				}
			}
			if gw, ok := s.route(t, networkID(st), "10.1.0.0/16"); !ok || gw != "10.0.1.1" {
				return fmt.Errorf("route 10.1.0.0/16 -> %q, want the active server 10.0.1.1", gw)
			}
			return checkHAAzure(t, s, a, fip.IP)
		},
	}, {
		// The servers fail over on their own: the standby's agent
		// moves the Floating IP, then the route. Not drift.
		PreConfig: func() {
			failOver(t, hc, fipID, standby, networkIDOf(t, s), "10.0.1.1", "10.0.1.2")
		},
		RefreshState: true,
		Check: func(st *terraform.State) error {
			if d := st.RootModule().Resources[addr].Primary.Attributes["drift.#"]; d != "0" {
				return fmt.Errorf("a failover the pair made is reported as %s drift entries: %v", d, st.RootModule().Resources[addr].Primary.Attributes)
			}
			if got := attrInt(st, "hetzner_active_server_id"); got != standby {
				return fmt.Errorf("hetzner_active_server_id %d, want the standby %d after its failover", got, standby)
			}
			return nil
		},
	}, {
		Config:             s.haConfig(`standby_location = "fsn1"`),
		PlanOnly:           true,
		ExpectNonEmptyPlan: false,
	}, {
		// Both servers lost: the refresh says so and the plan
		// repairs it.
		PreConfig: func() {
			for _, id := range []int64{primary, standby} {
				if _, _, err := hc.Server.DeleteWithResult(ctx, &hcloud.Server{ID: id}); err != nil {
					t.Fatal(err)
				}
			}
		},
		RefreshState:       true,
		ExpectNonEmptyPlan: true,
		Check: func(st *terraform.State) error {
			d := st.RootModule().Resources[addr].Primary.Attributes
			got := fmt.Sprint(d["drift.0"], " | ", d["drift.1"], " | ", d["drift.2"])
			for _, want := range []string{fmt.Sprintf("gateway server %d was deleted", primary), fmt.Sprintf("standby gateway server %d was deleted", standby), "is not assigned"} {
				if !strings.Contains(got, want) {
					return fmt.Errorf("drift %q lacks %q", got, want)
				}
			}
			return nil
		},
	}, {
		Config: s.haConfig(`standby_location = "fsn1"`),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
		}},
		ConfigStateChecks: append(healthy(),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_private_ip"), knownvalue.StringExact("10.0.1.1")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_standby_private_ip"), knownvalue.StringExact("10.0.1.2"))),
		Check: func(st *terraform.State) error {
			if attrInt(st, "hetzner_floating_ip_id") != fipID {
				return fmt.Errorf("the Floating IP (Azure's peer) must survive losing both servers")
			}
			if gw, ok := s.route(t, networkID(st), "10.1.0.0/16"); !ok || gw != "10.0.1.1" {
				return fmt.Errorf("route -> %q, want the primary 10.0.1.1, which holds the Floating IP again", gw)
			}
			return nil
		},
	}})
}

// failOver does what the standby's agent does: assign the Floating IP to
// it, then move the route (delete, add).
func failOver(t *testing.T, hc *hcloud.Client, fipID, to, networkID int64, from, ip string) {
	t.Helper()
	ctx := context.Background()
	wait := func(a *hcloud.Action, _ *hcloud.Response, err error) {
		if err == nil {
			err = hc.Action.WaitFor(ctx, a)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	wait(hc.FloatingIP.Assign(ctx, &hcloud.FloatingIP{ID: fipID}, &hcloud.Server{ID: to}))
	_, dest, _ := net.ParseCIDR("10.1.0.0/16")
	n := &hcloud.Network{ID: networkID}
	wait(hc.Network.DeleteRoute(ctx, n, hcloud.NetworkDeleteRouteOpts{Route: hcloud.NetworkRoute{Destination: dest, Gateway: net.ParseIP(from)}}))
	wait(hc.Network.AddRoute(ctx, n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: dest, Gateway: net.ParseIP(ip)}}))
}

func networkIDOf(t *testing.T, s site) int64 {
	t.Helper()
	n, _, err := s.sim.HCloud().Network.GetByName(context.Background(), "hel1-weu")
	if err != nil || n == nil {
		t.Fatalf("network hel1-weu: %v", err)
	}
	return n.ID
}

// checkHAAzure: the gateway runs active-active on two public IPs, the
// local network gateway names the Floating IP, and the firewall admits
// IKE and ESP from both Azure instances.
func checkHAAzure(t *testing.T, s site, a map[string]string, fip net.IP) error {
	ctx := context.Background()
	f := s.armFactory(t)
	gw, err := f.NewVirtualNetworkGatewaysClient().Get(ctx, "rg-net", "hel1-weu-vgw", nil)
	if err != nil {
		return err
	}
	if !*gw.Properties.Active || len(gw.Properties.IPConfigurations) != 2 {
		return fmt.Errorf("gateway active=%v with %d IP configurations, want active-active with 2", *gw.Properties.Active, len(gw.Properties.IPConfigurations))
	}
	lng, err := f.NewLocalNetworkGatewaysClient().Get(ctx, "rg-net", "hel1-weu-lng", nil)
	if err != nil {
		return err
	}
	if *lng.Properties.GatewayIPAddress != fip.String() {
		return fmt.Errorf("local network gateway names %s, want the Floating IP %s", *lng.Properties.GatewayIPAddress, fip)
	}
	second := a["azure_gateway_second_public_ip"]
	if second == "" || second == a["azure_gateway_public_ip"] {
		return fmt.Errorf("azure_gateway_second_public_ip %q: want the second instance's own address", second)
	}
	var id int64
	fmt.Sscan(a["hetzner_firewall_id"], &id)
	fw, _, err := s.sim.HCloud().Firewall.GetByID(ctx, id)
	if err != nil || fw == nil {
		return fmt.Errorf("firewall %d: %v", id, err)
	}
	for _, r := range fw.Rules {
		var srcs []string
		for _, n := range r.SourceIPs {
			srcs = append(srcs, n.String())
		}
		if r.Protocol != hcloud.FirewallRuleProtocolTCP && strings.Join(srcs, ",") != a["azure_gateway_public_ip"]+"/32,"+second+"/32" {
			return fmt.Errorf("rule %s %s admits %v, want both Azure instances", r.Direction, r.Protocol, srcs)
		}
	}
	return nil
}
