package azuresim

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// A state file written before the kind registry (testdata, made by that
// version's MarshalState with one stack and a connection) still loads: the
// registry keeps the file's layout, one object per kind under its segment.
func TestStateFileFromBeforeTheKindRegistryLoads(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/state-before-kinds.json")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	if err := f.srv.UnmarshalState(b); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range f.srv.Resources() {
		types = append(types, strings.TrimPrefix(r.Type, "Microsoft."))
	}
	slices.Sort(types)
	want := []string{"Network/connections", "Network/localNetworkGateways", "Network/publicIPAddresses", "Network/virtualNetworkGateways",
		"Network/virtualNetworks", "Network/virtualNetworks/subnets", "Network/virtualNetworks/subnets", "Resources/resourceGroups"}
	if !slices.Equal(types, want) {
		t.Errorf("resources %v, want %v", types, want)
	}
	if k, ok := f.srv.SharedKey("/subscriptions/" + SubscriptionID + "/resourceGroups/rg/providers/Microsoft.Network/connections/conn"); !ok || k != "Secret123" {
		t.Errorf("connection key after load: %q %v", k, ok)
	}
	out, err := f.srv.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var before, after map[string]json.RawMessage
	_ = json.Unmarshal(b, &before)
	_ = json.Unmarshal(out, &after)
	for key := range before {
		if _, ok := after[key]; !ok {
			t.Errorf("state file lost its %q object", key)
		}
	}
}

// Every registered kind is routed, reported by Resources and written to the
// state file, so a kind added to the registry is wired everywhere at once.
func TestEveryKindIsRoutedAndPersisted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	b, err := f.srv.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]json.RawMessage
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds {
		if _, ok := file[k.seg()]; !ok {
			t.Errorf("kind %s is missing from the state file", k.seg())
		}
		resp := f.raw("GET", rgPath("rg")+strings.ToUpper(k.seg())+netAPI, "")
		var list struct{ Value []any }
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != 200 || list.Value == nil {
			t.Errorf("list %s: %d %v (value %v)", k.seg(), resp.StatusCode, err, list.Value)
		}
	}
}
