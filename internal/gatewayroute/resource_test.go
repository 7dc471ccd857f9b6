package gatewayroute_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

const addr = "crosscloud_hcloud_gateway_route.r"

func TestAccGatewayRoute_createImportUpdate(t *testing.T) {
	a := newAcc(t)
	n := a.network("10.0.0.0/12", "10.0.1.0/24")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{
				Config: a.config(n.ID, "10.1.0.0/16", "10.0.1.1", ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(id(n)+"/10.1.0.0/16")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("network_ip_range"), knownvalue.StringExact("10.0.0.0/12")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expand_network_ip_range"), knownvalue.Bool(false)),
				},
				Check: a.checkLive(n.ID, "10.0.0.0/12", map[string]string{"10.1.0.0/16": "10.0.1.1"}),
			},
			{
				ResourceName:      addr,
				ImportState:       true,
				ImportStateId:     id(n) + "/10.1.0.0/16",
				ImportStateVerify: true,
			},
			{
				// A gateway change moves the route in place.
				Config: a.config(n.ID, "10.1.0.0/16", "10.0.1.2", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				Check: a.checkLive(n.ID, "10.0.0.0/12", map[string]string{"10.1.0.0/16": "10.0.1.2"}),
			},
		},
		CheckDestroy: a.checkLive(n.ID, "10.0.0.0/12", nil),
	})
}

func TestAccGatewayRoute_expand(t *testing.T) {
	a := newAcc(t)
	n := a.network("10.0.0.0/16", "10.0.1.0/24")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{
				Config: a.config(n.ID, "10.1.0.0/16", "10.0.1.1", "  expand_network_ip_range = true\n"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					// The plan itself shows the growth.
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("network_ip_range"), knownvalue.StringExact("10.0.0.0/15")),
				}},
				Check: a.checkLive(n.ID, "10.0.0.0/15", map[string]string{"10.1.0.0/16": "10.0.1.1"}),
			},
			{
				Config:   a.config(n.ID, "10.1.0.0/16", "10.0.1.1", "  expand_network_ip_range = true\n"),
				PlanOnly: true, // re-plan is empty: the grown range is not a diff
			},
		},
		// Destroy removes the route but never shrinks the range.
		CheckDestroy: a.checkLive(n.ID, "10.0.0.0/15", nil),
	})
}

func TestAccGatewayRoute_driftRouteDeleted(t *testing.T) {
	testDriftRepaired(t, plancheck.ResourceActionCreate, func(a *acc, n *hcloud.Network) {
		if err := hetzner.DeleteRoute(context.Background(), a.hc, n.ID, mustPrefix("10.1.0.0/16")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAccGatewayRoute_driftGatewayChanged(t *testing.T) {
	testDriftRepaired(t, plancheck.ResourceActionUpdate, func(a *acc, n *hcloud.Network) {
		a.setRoute(n.ID, "10.1.0.0/16", "10.0.1.7")
	})
}

// testDriftRepaired creates the route 10.1.0.0/16 via 10.0.1.1, lets drift
// change it outside Terraform, and expects the next plan to repair it with
// want, after which Hetzner has the route as configured again.
func testDriftRepaired(t *testing.T, want plancheck.ResourceActionType, drift func(*acc, *hcloud.Network)) {
	a := newAcc(t)
	n := a.network("10.0.0.0/12", "10.0.1.0/24")
	cfg := a.config(n.ID, "10.1.0.0/16", "10.0.1.1", "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() { drift(a, n) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, want),
				}},
				Check: a.checkLive(n.ID, "10.0.0.0/12", map[string]string{"10.1.0.0/16": "10.0.1.1"}),
			},
		},
	})
}

func TestAccGatewayRoute_networkDeleted(t *testing.T) {
	a := newAcc(t)
	n := a.network("10.0.0.0/12", "10.0.1.0/24")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{Config: a.config(n.ID, "10.1.0.0/16", "10.0.1.1", "")},
			{
				// With the network gone, refresh drops the route from state:
				// removing it from the configuration plans nothing (not a
				// delete of a route that cannot exist).
				PreConfig: func() {
					if err := hetzner.DeleteNetwork(context.Background(), a.hc, n.ID); err != nil {
						t.Fatal(err)
					}
				},
				Config: a.provider,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// Five routes on one network in one apply: Terraform creates them in
// parallel and Hetzner answers `locked` while each action runs; every one
// must land.
func TestAccGatewayRoute_concurrent(t *testing.T) {
	a := newAcc(t)
	n := a.network("10.0.0.0/8", "10.0.1.0/24")
	want := map[string]string{"10.100.0.0/16": "10.0.1.1", "10.101.0.0/16": "10.0.1.1", "10.102.0.0/16": "10.0.1.1",
		"10.103.0.0/16": "10.0.1.1", "10.200.0.0/16": "10.0.1.1"}
	cfg := a.provider + fmt.Sprintf(`
resource "crosscloud_hcloud_gateway_route" "r" {
  count       = 5
  network_id  = %d
  destination = ["10.100.0.0/16", "10.101.0.0/16", "10.102.0.0/16", "10.103.0.0/16", "10.200.0.0/16"][count.index]
  gateway     = "10.0.1.1"
}
`, n.ID)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps:                    []resource.TestStep{{Config: cfg, Check: a.checkLive(n.ID, "10.0.0.0/8", want)}},
		CheckDestroy:             a.checkLive(n.ID, "10.0.0.0/8", nil),
	})
}
