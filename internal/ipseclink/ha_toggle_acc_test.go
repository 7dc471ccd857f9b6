package ipseclink_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// high_availability goes on and off in place: on, the link gains the
// standby, the Floating IP (now Azure's peer) and the spread group both
// servers are created in; off, the standby and the Floating IP go, Azure's
// peer is the primary IP again, and the group stays with the remaining
// server until the link is destroyed, which leaves nothing behind.
func TestAccLinkHighAvailabilityOnAndOff(t *testing.T) {
	s := newSite(t)
	hc := s.sim.HCloud()
	ctx := context.Background()
	var primaryIP string
	var fipID, standby, group int64
	s.run(t, []resource.TestStep{{
		Config:            s.config(""),
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			primaryIP = st.RootModule().Resources[addr].Primary.Attributes["hetzner_public_ipv4"]
			return nil
		},
	}, {
		Config: s.haConfig(`standby_location = "fsn1"`),
		ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
		}},
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			a := st.RootModule().Resources[addr].Primary.Attributes
			fipID, standby, group = attrInt(st, "hetzner_floating_ip_id"), attrInt(st, "hetzner_standby_server_id"), attrInt(st, "hetzner_placement_group_id")
			fip, _, err := hc.FloatingIP.GetByID(ctx, fipID)
			if err != nil || fip == nil || a["hetzner_public_ipv4"] != fip.IP.String() {
				return fmt.Errorf("hetzner_public_ipv4 %s, want the Floating IP (%v %v)", a["hetzner_public_ipv4"], fip, err)
			}
			pg, _, err := hc.PlacementGroup.GetByID(ctx, group)
			if err != nil || pg == nil || string(pg.Type) != "spread" {
				return fmt.Errorf("placement group %d: %v %v", group, pg, err)
			}
			for _, id := range []int64{attrInt(st, "hetzner_server_id"), standby} {
				srv, _, err := hc.Server.GetByID(ctx, id)
				if err != nil || srv == nil || srv.PlacementGroup == nil || srv.PlacementGroup.ID != group {
					return fmt.Errorf("server %d is not in the spread group %d: %v %v", id, group, srv, err)
				}
			}
			return checkHAAzure(t, s, a, fip.IP)
		},
	}, {
		Config:            s.config(""),
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			a := st.RootModule().Resources[addr].Primary.Attributes
			if a["hetzner_public_ipv4"] != primaryIP {
				return fmt.Errorf("hetzner_public_ipv4 %s after leaving HA, want the primary IP %s again", a["hetzner_public_ipv4"], primaryIP)
			}
			for _, k := range []string{"hetzner_floating_ip_id", "hetzner_standby_server_id", "hetzner_standby_private_ip", "azure_gateway_second_public_ip"} {
				if v, ok := a[k]; ok && v != "" {
					return fmt.Errorf("%s = %q after leaving HA, want null", k, v)
				}
			}
			if f, _, err := hc.FloatingIP.GetByID(ctx, fipID); err != nil || f != nil {
				return fmt.Errorf("the Floating IP %d outlived HA (%v)", fipID, err)
			}
			if srv, _, err := hc.Server.GetByID(ctx, standby); err != nil || srv != nil {
				return fmt.Errorf("the standby %d outlived HA (%v)", standby, err)
			}
			lng, err := s.armFactory(t).NewLocalNetworkGatewaysClient().Get(ctx, "rg-net", "hel1-weu-lng", nil)
			if err != nil || *lng.Properties.GatewayIPAddress != primaryIP {
				return fmt.Errorf("local network gateway names %v, want the primary IP %s (%v)", lng.Properties, primaryIP, err)
			}
			if attrInt(st, "hetzner_placement_group_id") != group {
				return fmt.Errorf("the placement group %d should stay while the remaining server is in it", group)
			}
			return nil
		},
	}, {
		Config:   s.config(""),
		PlanOnly: true,
	}})
}
