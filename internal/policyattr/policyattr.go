// Package policyattr is the `ipsec_policy` nested attribute shared by the
// crosscloud_ipsec_link resource and the crosscloud_strongswan_config data
// source: its schema (one variant per schema package, because
// datasource/schema and resource/schema attributes are different Go types),
// its Terraform model, and the conversion to and from ipsec.Policy with
// diagnostics on the exact nested attribute path.
//
// Keeping it in one place is what guarantees that the two user-facing
// objects accept the same names, values and defaults, and report the same
// rule in the same words, so a policy tried with the data source behaves the
// same way in the link. The rules themselves live in internal/ipsec; this
// package only translates between Terraform values and that package.
package policyattr

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrdiag"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// Name is the attribute name under which both schemas mount the policy.
const Name = "ipsec_policy"

// Model is the Terraform value of ipsec_policy. A null field means "use the
// default" (ipsec.DefaultPolicy), so users set only what they change.
type Model struct {
	IKEEncryption       types.String `tfsdk:"ike_encryption"`
	IKEIntegrity        types.String `tfsdk:"ike_integrity"`
	DHGroup             types.String `tfsdk:"dh_group"`
	IPsecEncryption     types.String `tfsdk:"ipsec_encryption"`
	IPsecIntegrity      types.String `tfsdk:"ipsec_integrity"`
	PFSGroup            types.String `tfsdk:"pfs_group"`
	SALifetimeSeconds   types.Int64  `tfsdk:"sa_lifetime_seconds"`
	SADataSizeKilobytes types.Int64  `tfsdk:"sa_datasize_kilobytes"`
}

// stringFields are the enum attributes in schema order, with accessors, so
// the schema builders, the conversion and the tests walk one list.
var stringFields = []struct {
	name string
	get  func(*Model) *types.String
	pol  func(*ipsec.Policy) *string
}{
	{ipsec.FieldIKEEncryption, func(m *Model) *types.String { return &m.IKEEncryption }, func(p *ipsec.Policy) *string { return &p.IKEEncryption }},
	{ipsec.FieldIKEIntegrity, func(m *Model) *types.String { return &m.IKEIntegrity }, func(p *ipsec.Policy) *string { return &p.IKEIntegrity }},
	{ipsec.FieldDHGroup, func(m *Model) *types.String { return &m.DHGroup }, func(p *ipsec.Policy) *string { return &p.DHGroup }},
	{ipsec.FieldIPsecEncryption, func(m *Model) *types.String { return &m.IPsecEncryption }, func(p *ipsec.Policy) *string { return &p.IPsecEncryption }},
	{ipsec.FieldIPsecIntegrity, func(m *Model) *types.String { return &m.IPsecIntegrity }, func(p *ipsec.Policy) *string { return &p.IPsecIntegrity }},
	{ipsec.FieldPFSGroup, func(m *Model) *types.String { return &m.PFSGroup }, func(p *ipsec.Policy) *string { return &p.PFSGroup }},
}

// intFields are the lifetime attributes, with their lower bounds.
var intFields = []struct {
	name string
	get  func(*Model) *types.Int64
	pol  func(*ipsec.Policy) *int32
}{
	{ipsec.FieldSALifetimeSeconds, func(m *Model) *types.Int64 { return &m.SALifetimeSeconds }, func(p *ipsec.Policy) *int32 { return &p.SALifetimeSeconds }},
	{ipsec.FieldSADataSizeKilobytes, func(m *Model) *types.Int64 { return &m.SADataSizeKilobytes }, func(p *ipsec.Policy) *int32 { return &p.SADataSizeKilobytes }},
}

// AttributeTypes is the object type of ipsec_policy, for types.Object values
// built outside a schema (defaults, state written by Read).
func AttributeTypes() map[string]attr.Type {
	out := make(map[string]attr.Type, len(stringFields)+len(intFields))
	for _, f := range stringFields {
		out[f.name] = types.StringType
	}
	for _, f := range intFields {
		out[f.name] = types.Int64Type
	}
	return out
}

// ModelOf returns the model of p with every field set.
func ModelOf(p ipsec.Policy) Model {
	var m Model
	for _, f := range stringFields {
		*f.get(&m) = types.StringValue(*f.pol(&p))
	}
	for _, f := range intFields {
		*f.get(&m) = types.Int64Value(int64(*f.pol(&p)))
	}
	return m
}

// ObjectOf returns p as an ipsec_policy object value with every field set:
// what a resource stores after applying defaults, and what the data source
// reports as the effective policy.
func ObjectOf(p ipsec.Policy) types.Object {
	m := ModelOf(p)
	vals := make(map[string]attr.Value, len(stringFields)+len(intFields))
	for _, f := range stringFields {
		vals[f.name] = *f.get(&m)
	}
	for _, f := range intFields {
		vals[f.name] = *f.get(&m)
	}
	// The types are fixed by this package, so this cannot fail.
	return types.ObjectValueMust(AttributeTypes(), vals)
}

// DefaultObject is ObjectOf(ipsec.DefaultPolicy()): the resource's schema
// default, so a plan shows the crypto the tunnel will really use.
func DefaultObject() types.Object { return ObjectOf(ipsec.DefaultPolicy()) }

// FromModel converts m to a policy. Null fields take ipsec.DefaultPolicy's
// value. known is false when any field is unknown (a value computed by
// another resource): the caller then skips validation until apply, because
// ipsec's pairing rules cannot be judged on half a policy. at is where the
// policy sits in the schema (usually path.Root(Name)); the only diagnostics
// are lifetimes that do not fit Azure's 32-bit fields.
func FromModel(m Model, at path.Path) (p ipsec.Policy, known bool, diags diag.Diagnostics) {
	p, known = ipsec.DefaultPolicy(), true
	for _, f := range stringFields {
		v := *f.get(&m)
		switch {
		case v.IsUnknown():
			known = false
		case !v.IsNull():
			*f.pol(&p) = v.ValueString()
		}
	}
	for _, f := range intFields {
		v := *f.get(&m)
		switch {
		case v.IsUnknown():
			known = false
		case v.IsNull():
		case v.ValueInt64() > math.MaxInt32 || v.ValueInt64() < math.MinInt32:
			diags.AddAttributeError(at.AtName(f.name), "Invalid IPsec policy", detail(at.AtName(f.name),
				fmt.Sprintf("%d is outside the range Azure accepts (at most %d); choose a smaller value (Azure's default is %d)",
					v.ValueInt64(), math.MaxInt32, *f.pol(&p))))
		default:
			*f.pol(&p) = int32(v.ValueInt64())
		}
	}
	return p, known, diags
}

// FromObject converts an ipsec_policy value: a null object is the default
// policy; an unknown object, or one with unknown fields, gives known=false
// (see FromModel).
func FromObject(ctx context.Context, obj types.Object, at path.Path) (ipsec.Policy, bool, diag.Diagnostics) {
	if obj.IsNull() {
		return ipsec.DefaultPolicy(), true, nil
	}
	if obj.IsUnknown() {
		return ipsec.DefaultPolicy(), false, nil
	}
	var m Model
	diags := obj.As(ctx, &m, basetypes.ObjectAsOptions{})
	if diags.HasError() {
		return ipsec.Policy{}, false, diags
	}
	p, known, d := FromModel(m, at)
	diags.Append(d...)
	return p, known, diags
}

// Validate runs ipsec's rules (weak algorithms unless allowWeak, GCM
// pairing, lifetime minimums) and reports each issue as an error on
// at plus the issue's path (the field), so Terraform underlines the line to
// change. Values outside Azure's enum are left out: the schema's OneOf
// validator already reports those, and one mistake should produce one error.
func Validate(p ipsec.Policy, allowWeak bool, at path.Path) diag.Diagnostics {
	var diags diag.Diagnostics
	var issues []*attrerr.Error
	for _, is := range p.Validate(allowWeak) {
		if !isEnumOutsider(p, is.Path.String()) {
			issues = append(issues, is)
		}
	}
	attrdiag.Add(&diags, at, at, "Invalid IPsec policy", attrerr.Join(issues))
	return diags
}

// detail starts a message with the attribute's full path, as attrdiag does
// for every nested attribute: Terraform (1.11) underlines only the
// enclosing block for an attribute nested in an object value, so without
// it the user could not tell which policy field is meant.
func detail(at path.Path, msg string) string {
	return attrdiag.Detail(at, &attrerr.Error{Message: msg})
}

// isEnumOutsider reports whether field is an enum attribute whose value is
// not one Azure accepts.
func isEnumOutsider(p ipsec.Policy, field string) bool {
	for _, f := range stringFields {
		if f.name == field {
			return !slices.Contains(ipsec.AllowedValues(field), *f.pol(&p))
		}
	}
	return false
}

// Policy is FromObject followed, when the policy is fully known, by
// Validate: the one call a resource or data source needs in ValidateConfig,
// ModifyPlan or Read. ok is true when the policy is fully known and passes
// every rule, so its proposals render; it is false for a value outside
// Azure's enum even though that diagnostic is left to the schema validator.
func Policy(ctx context.Context, obj types.Object, allowWeak bool, at path.Path) (p ipsec.Policy, ok bool, diags diag.Diagnostics) {
	p, known, diags := FromObject(ctx, obj, at)
	if !known || diags.HasError() {
		return p, false, diags
	}
	diags.Append(Validate(p, allowWeak, at)...)
	return p, len(p.Validate(allowWeak)) == 0, diags
}
