package prefixplan

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwtest"
)

// TestSchema pins the contract (DESIGN.md, "Contracts") and that every attribute,
// nested ones included, is documented for the registry docs.
func TestSchema(t *testing.T) {
	s := fwtest.DataSourceSchema(t, NewDataSource())
	want := map[string]string{"supernet": "required", "providers": "required",
		"prefixes": "computed", "hetzner_network_ip_range": "computed", "id": "computed"}
	if len(s.Attributes) != len(want) {
		t.Errorf("attributes = %d, want %d", len(s.Attributes), len(want))
	}
	for name, kind := range want {
		a, ok := s.Attributes[name]
		if !ok {
			t.Fatalf("%s missing", name)
		}
		if (kind == "required") != a.IsRequired() || (kind == "computed") != a.IsComputed() {
			t.Errorf("%s: required %v computed %v, want %s", name, a.IsRequired(), a.IsComputed(), kind)
		}
		if a.GetMarkdownDescription() == "" {
			t.Errorf("%s has no description", name)
		}
	}
	nested := s.Attributes["providers"].(schema.ListNestedAttribute).NestedObject.Attributes
	for name, req := range map[string]bool{"name": true, "prefix_length": false} {
		a := nested[name]
		if a == nil || a.IsRequired() != req || a.GetMarkdownDescription() == "" {
			t.Errorf("providers.%s: want required=%v with a description, got %+v", name, req, a)
		}
	}
}
