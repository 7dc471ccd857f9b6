package ipseclink_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// configIn is the original topology with the gateway in location and
// hetznerExtra added to the hetzner block (one attribute a line).
func (s site) configIn(location, hetznerExtra, extra string) string {
	return s.sim.ProviderConfig() + s.hcl(linkHCL{name: "ash-weu", location: location, hetzner: hetznerExtra, args: extra})
}

// liveServer reads the gateway server as Hetzner has it.
func (s site) liveServer(t *testing.T, st *terraform.State) *hcloud.Server {
	t.Helper()
	var id int64
	fmt.Sscan(st.RootModule().Resources[addr].Primary.Attributes["hetzner_server_id"], &id)
	srv, _, err := s.sim.HCloud().Server.GetByID(context.Background(), id)
	if err != nil || srv == nil {
		t.Fatalf("gateway server %d: %v", id, err)
	}
	return srv
}

// A link in a US location works with the defaults: the default server type
// is offered there, network_zone follows the location, and the first attach
// right after add_subnet, which Hetzner refuses with no_subnet_available
// until the new subnet has propagated, is retried, not fatal: the emulator
// counts the refusals, so the delay really was met.
func TestAccLinkInAshWithTheDefaults(t *testing.T) {
	s := newSite(t)
	s.run(t, []resource.TestStep{{
		Config: s.configIn("ash", "", ""),
		ConfigStateChecks: append(healthy(),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner").AtMapKey("server_type"), knownvalue.StringExact("cpx22")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner").AtMapKey("network_zone"), knownvalue.StringExact("us-east")),
			statecheck.ExpectKnownValue(addr, tfjsonpath.New("hetzner_private_ip"), knownvalue.StringExact("10.0.1.1"))),
		Check: func(st *terraform.State) error {
			srv := s.liveServer(t, st)
			if srv.ServerType.Name != "cpx22" || srv.Location.Name != "ash" {
				return fmt.Errorf("gateway server is %s in %s, want cpx22 in ash", srv.ServerType.Name, srv.Location.Name)
			}
			n, _, err := s.sim.HCloud().Network.GetByID(context.Background(), networkID(st))
			if err != nil || n == nil || len(n.Subnets) != 1 || n.Subnets[0].NetworkZone != hcloud.NetworkZoneUSEast {
				return fmt.Errorf("network %v (%v): want one subnet in us-east", n, err)
			}
			if got := s.sim.HCloudSim().Answered("no_subnet_available"); got == 0 {
				return fmt.Errorf("no attach was refused with no_subnet_available: the first attach after add_subnet did not meet the delay")
			}
			return nil
		},
	}, {
		Config:   s.configIn("ash", "", ""),
		PlanOnly: true, // the computed zone and the default type are stable
	}})
}

// A server replacement (here: a new image) meets resource_unavailable and
// placement_error on the create: it retries them and ends with the same
// public and private IPs. A replacement to a type that cannot be ordered
// any more is refused at plan, and the running gateway is left alone.
func TestAccLinkReplacesServerUnderCapacityFaults(t *testing.T) {
	s := newSite(t)
	var first, primaryIP string
	remember := func(st *terraform.State) error {
		a := st.RootModule().Resources[addr].Primary.Attributes
		first, primaryIP = a["hetzner_server_id"], a["hetzner_primary_ip_id"]
		return nil
	}
	s.run(t, []resource.TestStep{{
		Config: s.configIn("hel1", "", ""),
		Check:  remember,
	}, {
		PreConfig: func() {
			for code, n := range map[string]int{"resource_unavailable": 2, "placement_error": 1} {
				if err := s.sim.HCloudSim().FailServerCreates(code, n); err != nil {
					t.Fatal(err)
				}
			}
		},
		Config:            s.configIn("hel1", "    image            = \"ubuntu-24.04\"\n", ""),
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			a := st.RootModule().Resources[addr].Primary.Attributes
			if a["hetzner_server_id"] == first || a["hetzner_primary_ip_id"] != primaryIP || a["hetzner_private_ip"] != "10.0.1.1" {
				return fmt.Errorf("after the replacement: server %s (was %s), primary IP %s (was %s), private IP %s",
					a["hetzner_server_id"], first, a["hetzner_primary_ip_id"], primaryIP, a["hetzner_private_ip"])
			}
			if img := s.liveServer(t, st).Image; img == nil || img.Name != "ubuntu-24.04" {
				return fmt.Errorf("replacement runs image %v", img)
			}
			hs := s.sim.HCloudSim()
			if ru, pe := hs.Answered("resource_unavailable"), hs.Answered("placement_error"); ru != 2 || pe != 1 {
				return fmt.Errorf("the creates met %d resource_unavailable and %d placement_error, want the 2 and 1 injected", ru, pe)
			}
			return remember(st)
		},
	}, {
		Config:      s.configIn("hel1", "    image            = \"ubuntu-24.04\"\n    server_type      = \"cpx11\"\n", ""),
		ExpectError: regexp.MustCompile(`(?s)Error: Gateway server cannot be ordered.*hetzner.server_type: server type cpx11 is\s+deprecated\s+in\s+hel1.*offered\s+in\s+hel1\s+now:`),
	}, {
		PreConfig: func() {
			srv, _, err := s.sim.HCloud().Server.GetByName(context.Background(), "ash-weu-gw")
			if err != nil || srv == nil || fmt.Sprint(srv.ID) != first {
				t.Errorf("after the refused plan the gateway server is %v (%v), want %s untouched", srv, err, first)
			}
		},
		Config:   s.configIn("hel1", "    image            = \"ubuntu-24.04\"\n", ""),
		PlanOnly: true,
	}})
}

// The catalogue checks name the attribute and list what is offered, before
// any change (bad-input cases in badinput_test.go); here the exact lists.
func TestAccLinkOfferListsAreSpecific(t *testing.T) {
	s := newSite(t)
	before := s.sim.Stats(t).MutationsTotal
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config:   s.configIn("ash", "    server_type      = \"cx23\"\n", ""),
			PlanOnly: true,
			ExpectError: regexp.MustCompile(`(?s)` + strings.Join(strings.Fields(
				`server type cx23 is not offered in ash; offered in ash now: x86: ccx13, ccx23, ccx33, cpx12, cpx22, cpx32, cpx42, cpx52, cpx62\.`), `\s+`)),
		}},
	})
	if after := s.sim.Stats(t).MutationsTotal; after != before {
		t.Errorf("%d API mutations during a refused plan", after-before)
	}
}

// When the type a link runs can no longer be ordered, a change that keeps
// the server (SSH sources: only the firewall changes) still plans and
// applies, with a warning; a change that replaces the server is refused at
// plan, leaving the server alone.
func TestAccLinkUnorderableTypeBlocksOnlyReplacements(t *testing.T) {
	s := newSite(t)
	var first string
	typ := "    server_type      = \"cx23\"\n"
	s.run(t, []resource.TestStep{{
		Config: s.configIn("hel1", typ, ""),
		Check: func(st *terraform.State) error {
			first = st.RootModule().Resources[addr].Primary.Attributes["hetzner_server_id"]
			return nil
		},
	}, {
		PreConfig:         func() { s.sim.HCloudSim().SetAvailable("cx23", "hel1", false) },
		Config:            s.configIn("hel1", typ+"    ssh_allowed_cidrs = [\"203.0.113.0/24\"]\n", ""),
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			if id := st.RootModule().Resources[addr].Primary.Attributes["hetzner_server_id"]; id != first {
				return fmt.Errorf("an SSH change replaced the server (%s -> %s)", first, id)
			}
			return nil
		},
	}, {
		Config:      s.configIn("hel1", typ+"    ssh_allowed_cidrs = [\"203.0.113.0/24\"]\n    image = \"debian-13\"\n", ""),
		ExpectError: regexp.MustCompile(`(?s)Error: Gateway server cannot be ordered.*cx23 is currently not\s+available\s+in\s+hel1`),
	}})
}
