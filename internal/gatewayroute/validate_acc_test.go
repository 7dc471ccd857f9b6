package gatewayroute_test

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// Every rule Hetzner enforces on routes fails the plan (before any change)
// with an error shown on the attribute to fix; Terraform prints that
// attribute's configuration line above the message, which the patterns
// match first.
func TestAccGatewayRoute_validation(t *testing.T) {
	a := newAcc(t)
	n := a.network("10.0.0.0/16", "10.0.1.0/24")
	a.setRoute(n.ID, "10.0.200.0/24", "10.0.1.9")
	n172 := a.network("172.16.0.0/12", "172.16.1.0/24")

	cases := []struct {
		name            string
		network         int64
		dest, gw, extra string
		err             string
	}{
		{"outside the range names expand_network_ip_range", n.ID, "10.1.0.0/16", "10.0.1.1", "",
			`destination\s+=\s+"10.1.0.0/16".*outside\s+the\s+network\s+range.*10.0.0.0/15.*expand_network_ip_range\s+=\s+true`},
		{"overlaps a subnet", n.ID, "10.0.1.0/25", "10.0.2.1", "", `destination\s+=.*overlaps\s+the\s+network's\s+subnet\s+10.0.1.0/24`},
		{"overlaps another route", n.ID, "10.0.200.0/23", "10.0.1.1", "", `destination\s+=.*overlaps\s+the\s+destination\s+10.0.200.0/24`},
		{"destination already routed", n.ID, "10.0.200.0/24", "10.0.1.1", "", `destination\s+=.*already\s+has\s+a\s+route\s+for\s+10.0.200.0/24`},
		{"public destination", n.ID, "8.8.8.0/24", "10.0.1.1", "", `destination\s+=.*not\s+private\s+address\s+space`},
		{"host bits set", n.ID, "10.0.100.1/24", "10.0.1.1", "", `destination\s+=.*did\s+you\s+mean\s+10.0.100.0/24`},
		{"gateway is the network's first IP", n.ID, "10.0.100.0/24", "10.0.0.1", "", `gateway\s+=.*network's\s+first\s+IP`},
		{"gateway is 172.31.1.1", n172.ID, "172.20.0.0/16", "172.31.1.1", "", `gateway\s+=.*Hetzner's\s+public\s+gateway`},
		{"gateway inside the destination", n.ID, "10.0.100.0/24", "10.0.100.7", "", `gateway\s+=.*inside\s+the\s+destination`},
		{"gateway outside the range", n.ID, "10.0.100.0/24", "10.5.0.1", "", `gateway\s+=.*not\s+part\s+of\s+the\s+network\s+range`},
		{"gateway is a prefix", n.ID, "10.0.100.0/24", "10.0.1.1/32", "", `gateway\s+=.*is\s+a\s+prefix`},
		{"range cannot grow beyond RFC1918", n172.ID, "10.1.0.0/16", "172.16.1.1", "  expand_network_ip_range = true\n",
			`destination\s+=.*largest\s+range\s+this\s+network\s+can\s+have\s+is\s+172.16.0.0/12.*No\s+RFC1918\s+range\s+covers`},
		{"network does not exist", 987654321, "10.0.100.0/24", "10.0.1.1", "", `network_id\s+=.*does\s+not\s+exist`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      a.config(c.network, c.dest, c.gw, c.extra),
			ExpectError: regexp.MustCompile(`(?s)` + c.err),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps:                    steps,
		// Nothing was changed: only the pre-existing route, ranges as created.
		CheckDestroy: func(s *terraform.State) error {
			if err := a.checkLive(n.ID, "10.0.0.0/16", map[string]string{"10.0.200.0/24": "10.0.1.9"})(s); err != nil {
				return err
			}
			return a.checkLive(n172.ID, "172.16.0.0/12", nil)(s)
		},
	})
}

// A destination that only a range with another base address would cover is
// refused at plan, with or without expand_network_ip_range, naming the
// largest range the network can grow to and the range a new network would
// need; nothing is changed (Hetzner's change_ip_range keeps the base address,
// so applying would fail half-way).
func TestAccGatewayRoute_movedBaseRefusedAtPlan(t *testing.T) {
	a := newAcc(t)
	n := a.network("10.8.0.0/16", "10.8.1.0/24")
	var before int64
	if a.sim != nil {
		before = a.sim.Stats(t).MutationsTotal
	}
	want := `(?s)destination\s+=\s+"10.1.0.0/16".*base\s+address\s+10.8.0.0\s+stays.*largest\s+range\s+this\s+network\s+can\s+have\s+is\s+10.8.0.0/13.*such\s+as\s+10.0.0.0/12`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{Config: a.config(n.ID, "10.1.0.0/16", "10.8.1.1", "  expand_network_ip_range = true\n"), PlanOnly: true, ExpectError: regexp.MustCompile(want)},
			{Config: a.config(n.ID, "10.1.0.0/16", "10.8.1.1", ""), PlanOnly: true, ExpectError: regexp.MustCompile(want)},
			// The same network grows fine where the base can stay.
			{Config: a.config(n.ID, "10.12.0.0/16", "10.8.1.1", "  expand_network_ip_range = true\n"), PlanOnly: true, ExpectNonEmptyPlan: true},
		},
	})
	if a.sim != nil {
		if after := a.sim.Stats(t).MutationsTotal; after != before {
			t.Errorf("refused plans changed the network: %d API mutations, want 0", after-before)
		}
	}
	if err := a.checkLive(n.ID, "10.8.0.0/16", nil)(nil); err != nil {
		t.Error(err)
	}
}
