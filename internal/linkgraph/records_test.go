package linkgraph

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// The record graph derived from Steps is the one the bench used to keep by
// hand before the declaration existed, plus one edge the hand copy had
// missed: converge always waited for the server before waiting for
// Connected. A change to Steps or to the derivation that moves an edge
// shows up here, named.
func TestRecordGraphOfTheLink(t *testing.T) {
	want := map[string][]string{
		"azure.put.subnets":                nil,
		"azure.put.publicIPAddresses":      nil,
		"azure.put.virtualNetworkGateways": {"azure.put.subnets", "azure.put.publicIPAddresses"},
		"azure.put.localNetworkGateways":   {"hcloud.add_subnet"},
		"azure.put.connections":            {"azure.put.virtualNetworkGateways", "azure.put.localNetworkGateways"},
		"connected":                        {"azure.put.connections", "hcloud.attach_to_network"},
		"hcloud.add_subnet":                nil,
		"hcloud.set_firewall_rules":        {"azure.put.publicIPAddresses"},
		"hcloud.create_server":             {"hcloud.add_subnet", "hcloud.set_firewall_rules"},
		"hcloud.start_server":              {"hcloud.add_subnet", "hcloud.set_firewall_rules"},
		"hcloud.apply_firewall":            {"hcloud.add_subnet", "hcloud.set_firewall_rules"},
		"hcloud.attach_to_network":         {"hcloud.create_server", "hcloud.start_server", "hcloud.apply_firewall"},
		"hcloud.add_route":                 {"hcloud.attach_to_network"},
		Done:                               {"connected", "hcloud.add_route"},
	}
	got := RecordGraph(Steps)
	if k, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(k, w) {
		t.Fatalf("records %v, want %v", k, w)
	}
	for n, deps := range want {
		if !slices.Equal(got[n], deps) {
			t.Errorf("%s waits for %v, want %v", n, got[n], deps)
		}
	}
}

// Check refuses what the runner could not run.
func TestCheck(t *testing.T) {
	if err := Check(Steps); err != nil {
		t.Fatalf("the link's own graph: %v", err)
	}
	for name, tc := range map[string]struct {
		steps []Step
		want  string
	}{
		"duplicate":  {[]Step{{Name: "a"}, {Name: "a"}}, `"a" declared twice`},
		"undeclared": {[]Step{{Name: "a", Deps: []string{"b"}}}, `"a" depends on "b", which is not declared`},
		"cycle":      {[]Step{{Name: "a", Deps: []string{"b"}}, {Name: "b", Deps: []string{"a"}}}, "depends on itself"},
	} {
		if err := Check(tc.steps); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, tc.want)
		}
	}
}
