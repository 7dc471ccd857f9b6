package ipseclink_test

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// The tests over the bad-input cases of badinput_test.go.

// Every case is refused at plan with a diagnostic naming the attribute and
// the rule, and the plan makes no API mutation: bad input must never leave
// half a link behind (the Azure gateway alone takes 45 minutes to build).
func TestAccLinkRefusesBadInput(t *testing.T) {
	for _, c := range badCases() {
		t.Run(c.name, func(t *testing.T) {
			s := newSite(t)
			var seeded hclBody
			if c.seed != nil {
				seeded = c.seed(t, s)
			}
			before := s.sim.Stats(t).MutationsTotal
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: factories,
				Steps: []resource.TestStep{{
					Config:      c.hcl(s, seeded),
					PlanOnly:    true,
					ExpectError: c.pattern(),
				}},
			})
			if after := s.sim.Stats(t).MutationsTotal; after != before {
				t.Errorf("refused input changed the clouds: %d API mutations during plan, want 0", after-before)
			}
		})
	}
}

// The controls: the unchanged topology, and weak crypto with
// allow_weak_crypto, plan cleanly (also without mutations), so each case
// above fails because of what it changed.
func TestAccLinkBadInputControls(t *testing.T) {
	weakPolicy := policy(`ike_encryption = "DES3", ike_integrity = "MD5", dh_group = "DHGroup2", ` +
		`ipsec_encryption = "DES", ipsec_integrity = "MD5", pfs_group = "PFS1"`)
	for _, c := range []badCase{
		{name: "original"},
		{name: "weak_crypto_allowed", top: "  allow_weak_crypto = true\n" + weakPolicy},
		{name: "user_data_under_limit", hetzner: hclBody{"network_ip_range": `"10.0.0.0/8"`}, azure: hclBody{"remote_prefixes": manyPrefixes(300)}},
		// A US location with the defaults: cpx22 is offered there and
		// network_zone follows the location.
		{name: "us_location_defaults", hetzner: hclBody{"location": `"ash"`}},
		{name: "singapore_cheapest_current_type", hetzner: hclBody{"location": `"sin"`, "server_type": `"cpx12"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newSite(t)
			before := s.sim.Stats(t).MutationsTotal
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: factories,
				Steps:                    []resource.TestStep{{Config: c.hcl(s, nil), PlanOnly: true, ExpectNonEmptyPlan: true}},
			})
			if after := s.sim.Stats(t).MutationsTotal; after != before {
				t.Errorf("planning changed the clouds: %d API mutations, want 0", after-before)
			}
		})
	}
}

// Each pattern needs a summary and at least one phrase of the message, and
// no two cases share one, so no case can pass on a generic "Error".
func TestBadInputPatternsAreSpecific(t *testing.T) {
	seen := map[string]string{}
	for _, c := range badCases() {
		if len(c.want) < 2 {
			t.Errorf("%s: want a summary and a message phrase, have %q", c.name, c.want)
		}
		re := c.pattern().String()
		if other, dup := seen[re]; dup {
			t.Errorf("%s and %s expect the same error %s", c.name, other, re)
		}
		seen[re] = c.name
	}
	if len(seen) < 40 {
		t.Errorf("%d bad-input cases, want at least 40", len(seen))
	}
}
