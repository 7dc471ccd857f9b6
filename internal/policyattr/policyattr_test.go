package policyattr

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

var root = path.Root(Name)

// objectWith is the default policy object with some fields replaced.
func objectWith(t *testing.T, set map[string]attr.Value) types.Object {
	t.Helper()
	vals := DefaultObject().Attributes()
	for k, v := range set {
		if _, ok := vals[k]; !ok {
			t.Fatalf("no attribute %s", k)
		}
		vals[k] = v
	}
	return types.ObjectValueMust(AttributeTypes(), vals)
}

func errorPaths(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags.Errors() {
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			out = append(out, wp.Path().String())
		} else {
			out = append(out, "<none>")
		}
	}
	return out
}

func TestFromObject(t *testing.T) {
	custom := ipsec.DefaultPolicy()
	custom.DHGroup, custom.SALifetimeSeconds = "ECP256", 3600
	tests := []struct {
		name      string
		obj       func(t *testing.T) types.Object
		want      ipsec.Policy
		wantKnown bool
		wantErrAt []string
	}{
		{"null object is the default policy", func(*testing.T) types.Object { return types.ObjectNull(AttributeTypes()) },
			ipsec.DefaultPolicy(), true, nil},
		{"null fields take defaults", func(t *testing.T) types.Object {
			return objectWith(t, map[string]attr.Value{"dh_group": types.StringValue("ECP256"),
				"sa_lifetime_seconds": types.Int64Value(3600), "ike_encryption": types.StringNull()})
		}, custom, true, nil},
		{"unknown object", func(*testing.T) types.Object { return types.ObjectUnknown(AttributeTypes()) },
			ipsec.DefaultPolicy(), false, nil},
		{"unknown field", func(t *testing.T) types.Object {
			return objectWith(t, map[string]attr.Value{"pfs_group": types.StringUnknown()})
		}, ipsec.DefaultPolicy(), false, nil},
		{"lifetime beyond int32", func(t *testing.T) types.Object {
			return objectWith(t, map[string]attr.Value{"sa_datasize_kilobytes": types.Int64Value(math.MaxInt32 + 1)})
		}, ipsec.DefaultPolicy(), true, []string{"ipsec_policy.sa_datasize_kilobytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known, diags := FromObject(context.Background(), tt.obj(t), root)
			if !slices.Equal(errorPaths(diags), tt.wantErrAt) {
				t.Fatalf("error paths = %v, want %v", errorPaths(diags), tt.wantErrAt)
			}
			if known != tt.wantKnown {
				t.Errorf("known = %v, want %v", known, tt.wantKnown)
			}
			if diags.HasError() {
				return
			}
			if got != tt.want {
				t.Errorf("policy = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestObjectRoundTrip: what a resource stores (ObjectOf) reads back as the
// same policy, for every field.
func TestObjectRoundTrip(t *testing.T) {
	p := ipsec.Policy{IKEEncryption: "AES128", IKEIntegrity: "SHA1", DHGroup: "DHGroup14", IPsecEncryption: "AES192",
		IPsecIntegrity: "SHA256", PFSGroup: "PFS2048", SALifetimeSeconds: 301, SADataSizeKilobytes: 2048}
	got, known, diags := FromObject(context.Background(), ObjectOf(p), root)
	if diags.HasError() || !known || got != p {
		t.Errorf("round trip = %+v (known %v, %v), want %+v", got, known, diags, p)
	}
}

func TestPolicyValidation(t *testing.T) {
	tests := []struct {
		name      string
		set       map[string]attr.Value
		allowWeak bool
		wantOK    bool
		wantErrAt []string
		wantText  string
	}{
		{"defaults", nil, false, true, nil, ""},
		{"weak DH refused", map[string]attr.Value{"dh_group": types.StringValue("DHGroup2")}, false, false,
			[]string{"ipsec_policy.dh_group"}, "ipsec_policy.dh_group: DHGroup2 is weak"},
		{"weak DH allowed knowingly", map[string]attr.Value{"dh_group": types.StringValue("DHGroup2")}, true, true, nil, ""},
		{"GCM mismatch on integrity", map[string]attr.Value{"ipsec_integrity": types.StringValue("SHA256")}, true, false,
			[]string{"ipsec_policy.ipsec_integrity"}, "needs ipsec_integrity GCMAES256"},
		{"lifetime too short", map[string]attr.Value{"sa_lifetime_seconds": types.Int64Value(299)}, false, false,
			[]string{"ipsec_policy.sa_lifetime_seconds"}, "below Azure's minimum of 300"},
		{"two issues, in attribute order", map[string]attr.Value{"pfs_group": types.StringValue("PFS1"),
			"ike_encryption": types.StringValue("DES")}, false, false,
			[]string{"ipsec_policy.ike_encryption", "ipsec_policy.pfs_group"}, ""},
		// The schema's OneOf validator owns this one: no second error.
		{"value outside Azure's enum", map[string]attr.Value{"dh_group": types.StringValue("ecp384")}, false, false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, diags := Policy(context.Background(), objectWith(t, tt.set), tt.allowWeak, root)
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if !slices.Equal(errorPaths(diags), tt.wantErrAt) {
				t.Fatalf("error paths = %v, want %v (%v)", errorPaths(diags), tt.wantErrAt, diags)
			}
			if tt.wantText != "" && !strings.Contains(diags.Errors()[0].Detail(), tt.wantText) {
				t.Errorf("detail = %q, want it to contain %q", diags.Errors()[0].Detail(), tt.wantText)
			}
		})
	}
}

// TestSchemasAgree: the data source and resource variants expose the same
// attributes, types, validators and documentation, and the resource's
// defaults are ipsec.DefaultPolicy.
func TestSchemasAgree(t *testing.T) {
	ctx := context.Background()
	ds, rs := DataSourceAttribute(), ResourceAttribute()
	want := AttributeTypes()
	if len(ds.Attributes) != len(want) || len(rs.Attributes) != len(want) {
		t.Fatalf("attribute counts: data source %d, resource %d, want %d", len(ds.Attributes), len(rs.Attributes), len(want))
	}
	for name, typ := range want {
		d, r := ds.Attributes[name], rs.Attributes[name]
		if d == nil || r == nil {
			t.Fatalf("%s missing from a variant", name)
		}
		if !d.GetType().Equal(typ) || !r.GetType().Equal(typ) {
			t.Errorf("%s: types %v / %v, want %v", name, d.GetType(), r.GetType(), typ)
		}
		if !d.IsOptional() || !r.IsOptional() {
			t.Errorf("%s must be optional in both variants", name)
		}
		if d.GetMarkdownDescription() == "" || d.GetMarkdownDescription() != r.GetMarkdownDescription() {
			t.Errorf("%s: descriptions differ or are empty", name)
		}
		if !strings.Contains(d.GetMarkdownDescription(), "Default: `") {
			t.Errorf("%s: description does not state the default: %s", name, d.GetMarkdownDescription())
		}
	}
	if !strings.Contains(ds.Attributes["dh_group"].GetMarkdownDescription(), "`DHGroup2`") {
		t.Error("dh_group description does not name the weak DHGroup2")
	}
	if rs.Default == nil {
		t.Fatal("resource variant has no default object")
	}
	var dr defaults.ObjectResponse
	rs.Default.DefaultObject(ctx, defaults.ObjectRequest{}, &dr)
	if !dr.PlanValue.Equal(DefaultObject()) {
		t.Errorf("resource default = %v, want %v", dr.PlanValue, DefaultObject())
	}
	for _, f := range intFields {
		var r defaults.Int64Response
		rs.Attributes[f.name].(rschema.Int64Attribute).Default.DefaultInt64(ctx, defaults.Int64Request{}, &r)
		if want := int64(*f.pol(new(ipsec.DefaultPolicy()))); r.PlanValue.ValueInt64() != want {
			t.Errorf("%s default = %v, want %d", f.name, r.PlanValue, want)
		}
	}

	// The enum validator accepts exactly Azure's values.
	for _, f := range stringFields {
		sa := ds.Attributes[f.name]
		v := sa.(interface{ StringValidators() []validator.String }).StringValidators()
		for value, wantErr := range map[string]bool{ipsec.AllowedValues(f.name)[0]: false, "nonsense": true} {
			var r validator.StringResponse
			v[0].ValidateString(ctx, validator.StringRequest{Path: root.AtName(f.name), ConfigValue: types.StringValue(value)}, &r)
			if r.Diagnostics.HasError() != wantErr {
				t.Errorf("%s = %q: error %v, want %v", f.name, value, r.Diagnostics.HasError(), wantErr)
			}
		}
	}
}
