package strongswanconfig

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	ephschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwtest"
)

// TestSchema pins what users and the registry docs rely on: a valid
// schema, a description on every attribute (tfplugindocs renders them), and
// every value that carries the shared key marked sensitive.
func TestSchema(t *testing.T) {
	s := fwtest.DataSourceSchema(t, NewDataSource())
	sensitive := map[string]bool{"shared_key": true, "swanctl_conf": true, "cloud_init": true}
	required := map[string]bool{"connection_name": true, "local_address": true, "remote_address": true,
		"local_prefixes": true, "remote_prefixes": true, "shared_key": true}
	for name, a := range s.Attributes {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("%s has no description", name)
		}
		if a.IsSensitive() != sensitive[name] {
			t.Errorf("%s: sensitive = %v, want %v", name, a.IsSensitive(), sensitive[name])
		}
		if a.IsRequired() != required[name] {
			t.Errorf("%s: required = %v, want %v", name, a.IsRequired(), required[name])
		}
		if n, ok := a.(schema.SingleNestedAttribute); ok {
			for sub, sa := range n.Attributes {
				if sa.GetMarkdownDescription() == "" {
					t.Errorf("%s.%s has no description", name, sub)
				}
			}
		}
	}
	for _, out := range []string{"id", "swanctl_conf", "swanctl_conf_path", "cloud_init", "ike_proposal", "esp_proposal"} {
		if a, ok := s.Attributes[out]; !ok || !a.IsComputed() || a.IsOptional() {
			t.Errorf("output %s must exist and be computed only", out)
		}
	}
}

// The ephemeral twin takes and returns exactly what the data source does,
// with the same flags, so a configuration can switch between them by
// changing one keyword. The ephemeral schema is converted from the data
// source's (ephemeralAttrs), so what this guards is that conversion: the
// hand-written copy of a nested attribute's fields, an attribute kind it
// does not know yet, and the description both kinds show.
func TestEphemeralSchemaMatchesDataSource(t *testing.T) {
	ds := fwtest.DataSourceSchema(t, NewDataSource())
	eph := fwtest.EphemeralSchema(t, NewEphemeralResource())
	if len(eph.Attributes) != len(ds.Attributes) {
		t.Errorf("ephemeral has %d attributes, data source %d", len(eph.Attributes), len(ds.Attributes))
	}
	for name, a := range ds.Attributes {
		e, ok := eph.Attributes[name]
		if !ok {
			t.Errorf("ephemeral lacks %s", name)
			continue
		}
		sameAttribute(t, name, a, e)
	}
	if eph.MarkdownDescription == "" || eph.MarkdownDescription == ds.MarkdownDescription {
		t.Errorf("the ephemeral resource needs its own description, got %q", eph.MarkdownDescription)
	}
}

// attribute is what the two schema flavours' attributes have in common.
type attribute interface {
	IsRequired() bool
	IsOptional() bool
	IsComputed() bool
	IsSensitive() bool
	GetMarkdownDescription() string
	GetType() attr.Type
}

// sameAttribute fails unless a (data source) and e (ephemeral) carry the
// same flags, description, type and validators, members of a nested
// object included (ipsec_policy's enum validators must survive).
func sameAttribute(t *testing.T, name string, a, e attribute) {
	t.Helper()
	if e.IsRequired() != a.IsRequired() || e.IsOptional() != a.IsOptional() || e.IsComputed() != a.IsComputed() ||
		e.IsSensitive() != a.IsSensitive() || e.GetMarkdownDescription() != a.GetMarkdownDescription() ||
		!e.GetType().Equal(a.GetType()) {
		t.Errorf("%s differs between the data source and the ephemeral resource", name)
	}
	type stringValidated interface{ StringValidators() []validator.String }
	if av, ok := a.(stringValidated); ok {
		if ev, ok := e.(stringValidated); !ok || len(ev.StringValidators()) != len(av.StringValidators()) {
			t.Errorf("%s: the ephemeral resource does not keep the data source's validators", name)
		}
	}
	if an, ok := a.(schema.SingleNestedAttribute); ok {
		en, ok := e.(ephschema.SingleNestedAttribute)
		if !ok || len(en.Attributes) != len(an.Attributes) {
			t.Errorf("%s: the ephemeral resource's nested object differs", name)
			return
		}
		for sub, sa := range an.Attributes {
			if se, ok := en.Attributes[sub]; ok {
				sameAttribute(t, name+"."+sub, sa, se)
			} else {
				t.Errorf("ephemeral lacks %s.%s", name, sub)
			}
		}
	}
}
