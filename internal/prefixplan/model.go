package prefixplan

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrdiag"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// Attribute names, shared by the schema, the model tags and diagnostics.
const (
	attrSupernet     = addrplan.AttrSupernet
	attrProviders    = addrplan.AttrProviders
	attrName         = "name"
	attrPrefixLength = "prefix_length"
)

// model is the data source's configuration and state.
type model struct {
	Supernet              types.String `tfsdk:"supernet"`
	Providers             types.List   `tfsdk:"providers"`
	ID                    types.String `tfsdk:"id"`
	Prefixes              types.Map    `tfsdk:"prefixes"`
	HetznerNetworkIPRange types.String `tfsdk:"hetzner_network_ip_range"`
}

// providerModel is one element of providers.
type providerModel struct {
	Name         types.String `tfsdk:"name"`
	PrefixLength types.Int64  `tfsdk:"prefix_length"`
}

// providerAttrTypes is the element type of providers.
var providerAttrTypes = map[string]attr.Type{
	attrName:         types.StringType,
	attrPrefixLength: types.Int64Type,
}

// input is the configuration in plain Go values. complete is false while
// any part is unknown (computed by another resource), which defers the
// whole-plan rules (fit, supernet range) to Read.
type input struct {
	supernet  netip.Prefix
	providers []addrplan.ProviderRequest
	complete  bool
}

// parse converts m and applies the per-attribute rules, each diagnostic on
// the attribute to change: supernet must be a canonical IPv4 CIDR; every
// provider name must be valid and unique (providers[i].name); an explicit
// prefix_length must fit the supernet (providers[i].prefix_length).
func parse(ctx context.Context, m model) (input, diag.Diagnostics) {
	var diags diag.Diagnostics
	in := input{complete: true}

	switch v := m.Supernet; {
	case v.IsUnknown() || v.IsNull():
		in.complete = false
	default:
		p, err := addrplan.ParsePrefix(attrSupernet, v.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root(attrSupernet), "Invalid supernet", message(err))
			in.complete = false
		}
		in.supernet = p
	}

	if m.Providers.IsUnknown() || m.Providers.IsNull() {
		in.complete = false
		return in, diags
	}
	var elems []types.Object
	if d := m.Providers.ElementsAs(ctx, &elems, false); d.HasError() {
		diags.Append(d...)
		in.complete = false
		return in, diags
	}
	seen := make(map[string]int, len(elems))
	for i, e := range elems {
		at := path.Root(attrProviders).AtListIndex(i)
		if e.IsUnknown() || e.IsNull() {
			in.complete = false
			continue
		}
		var pm providerModel
		if d := e.As(ctx, &pm, basetypes.ObjectAsOptions{}); d.HasError() {
			diags.Append(d...)
			in.complete = false
			continue
		}
		req := addrplan.ProviderRequest{Name: pm.Name.ValueString()}
		switch {
		case pm.Name.IsUnknown():
			in.complete = false
		case !addrplan.ValidName(req.Name):
			diags.AddAttributeError(at.AtName(attrName), "Invalid provider name",
				fmt.Sprintf("%q is not a valid name: use 1-63 lowercase letters, digits and '-' (it becomes a key of prefixes)", req.Name))
		default:
			if j, dup := seen[req.Name]; dup {
				diags.AddAttributeError(at.AtName(attrName), "Duplicate provider name",
					fmt.Sprintf("%q is already the name of providers[%d]; names must be unique because they key the prefixes map", req.Name, j))
			}
			seen[req.Name] = i
		}
		switch l := pm.PrefixLength; {
		case l.IsUnknown():
			in.complete = false
		case l.IsNull():
		case l.ValueInt64() < 1 || l.ValueInt64() > 32:
			diags.AddAttributeError(at.AtName(attrPrefixLength), "Invalid prefix length",
				fmt.Sprintf("%d is not an IPv4 prefix length; use a length between the supernet's and 32, or omit it to split the supernet evenly", l.ValueInt64()))
		default:
			req.PrefixLength = int(l.ValueInt64())
			if s := in.supernet; s.IsValid() && req.PrefixLength < s.Bits() {
				diags.AddAttributeError(at.AtName(attrPrefixLength), "Invalid prefix length",
					fmt.Sprintf("/%d is larger than the supernet %s; use a length between %d and 32, or omit it to split the supernet evenly",
						req.PrefixLength, s, s.Bits()))
			}
		}
		in.providers = append(in.providers, req)
	}
	if diags.HasError() {
		in.complete = false
	}
	return in, diags
}

// message is err's text without the attribute prefix Terraform shows anyway.
func message(err error) string {
	var ne *attrerr.Error
	if errors.As(err, &ne) {
		return ne.Message
	}
	return err.Error()
}

// build runs every rule on m and, when everything is known and valid,
// makes the plan (ok = true). ValidateConfig and Read share it, so a
// configuration that passes `terraform validate` with known values also
// plans at apply.
func build(ctx context.Context, m model) (res addrplan.PlanResult, in input, ok bool, diags diag.Diagnostics) {
	in, diags = parse(ctx, m)
	if !in.complete {
		return res, in, false, diags
	}
	res, err := addrplan.Plan(in.supernet, in.providers)
	if err != nil {
		// Plan blames the supernet or the providers; anything else is
		// the providers' doing too.
		attrdiag.AddMapped(&diags, func(p attrerr.Path) (path.Path, bool) {
			if p.String() == attrSupernet {
				return path.Root(attrSupernet), true
			}
			return path.Root(attrProviders), true
		}, path.Root(attrProviders), "Cannot plan prefixes", err)
		return res, in, false, diags
	}
	return res, in, true, diags
}

// applyResult fills the computed attributes of m from a plan.
func (m *model) applyResult(in input, res addrplan.PlanResult) diag.Diagnostics {
	elems := make(map[string]attr.Value, len(res.Prefixes))
	for _, np := range res.Prefixes {
		elems[np.Name] = types.StringValue(np.Prefix.String())
	}
	prefixes, diags := types.MapValue(types.StringType, elems)
	m.Prefixes = prefixes
	m.HetznerNetworkIPRange = types.StringValue(res.HetznerNetworkRange.String())
	m.ID = types.StringValue(in.supernet.String())
	return diags
}
