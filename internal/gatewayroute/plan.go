package gatewayroute

import (
	"context"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// ValidateConfig catches malformed addresses before any API call, with the
// canonical-form hints addrplan gives (e.g. "did you mean 10.1.0.0/16").
func (r *resourceImpl) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m model
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, diags := m.parse()
	resp.Diagnostics.Append(diags...)
}

// ModifyPlan checks the route against the live network (reads only; nothing
// is changed at plan time), so a route Hetzner would refuse fails the plan
// with a diagnostic on the attribute to change instead of failing the apply.
// It plans network_ip_range as the range after apply, grown when
// expand_network_ip_range has to, and warns about that growth and about a
// gateway IP no server holds. With network_id unknown (a network created in
// the same apply) the checks run at apply time instead.
func (r *resourceImpl) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan model
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !plan.known() {
		return
	}
	rt, diags := plan.parse()
	if diags.HasError() {
		return // ValidateConfig reported it
	}
	if r.clients == nil {
		return // provider not configured yet (e.g. validate)
	}
	hc, diags := r.clients.HCloud()
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	n, err := hetzner.GetNetwork(ctx, hc, rt.NetworkID)
	if err != nil {
		resp.Diagnostics.AddError("Could not read the Hetzner network", err.Error())
		return
	}
	if n == nil {
		resp.Diagnostics.AddAttributeError(path.Root("network_id"), "Network not found", notFoundMessage(rt.NetworkID))
		return
	}
	own, ownGateway := managed(ctx, req, rt.NetworkID)
	target, grown, diags := liveCheck(n, rt, own)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	if grown {
		current, _, _ := hetzner.NetworkFacts(n)
		resp.Diagnostics.Append(growthWarning(rt.NetworkID, current, target, rt.Destination))
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("network_ip_range"), types.StringValue(target.String()))...)

	if !own.IsValid() || !plan.Gateway.Equal(ownGateway) {
		used, err := hetzner.UsedPrivateIPs(ctx, hc, rt.NetworkID)
		if err != nil {
			resp.Diagnostics.AddError("Could not read the members of the Hetzner network", err.Error())
			return
		}
		resp.Diagnostics.Append(holderWarning(rt.NetworkID, rt.Gateway, used)...)
	}
}

// managed returns the destination and gateway of the route this resource
// manages in network networkID according to state (invalid / null when it
// manages none there, e.g. on create or when network_id changes). The
// gateway lets the plan warn about a gateway only when it is new.
func managed(ctx context.Context, req resource.ModifyPlanRequest, networkID int64) (netip.Prefix, types.String) {
	if req.State.Raw.IsNull() {
		return netip.Prefix{}, types.StringNull()
	}
	var state model
	if d := req.State.Get(ctx, &state); d.HasError() || state.NetworkID.ValueInt64() != networkID {
		return netip.Prefix{}, types.StringNull()
	}
	st, d := state.parse()
	if d.HasError() {
		return netip.Prefix{}, types.StringNull()
	}
	return st.Destination, state.Gateway
}
