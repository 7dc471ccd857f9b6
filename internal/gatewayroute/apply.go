package gatewayroute

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwop"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

func (r *resourceImpl) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.applyPlan(ctx, req.Plan, createTimeout, false, &resp.State, &resp.Diagnostics)
}

func (r *resourceImpl) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	// Only the gateway or expand_network_ip_range can change in place: the
	// route being updated is this resource's own.
	r.applyPlan(ctx, req.Plan, updateTimeout, true, &resp.State, &resp.Diagnostics)
}

// applyPlan is the body of Create and Update, which differ only in their
// timeout and in whether the route at the destination is already this
// resource's own (update), which liveCheck must then not count as a conflict.
func (r *resourceImpl) applyPlan(ctx context.Context, from tfsdk.Plan, timeout fwop.Timeout, update bool, st *tfsdk.State, diags *diag.Diagnostics) {
	var plan model
	ctx, cancel, rt, hc, ok := r.open(ctx, from, &plan, timeout, diags)
	defer cancel()
	if !ok {
		return
	}
	var own netip.Prefix
	if update {
		own = rt.Destination
	}
	diags.Append(apply(ctx, hc, &plan, rt, own)...)
	if diags.HasError() {
		return
	}
	diags.Append(st.Set(ctx, &plan)...)
}

// apply is the work of applyPlan: re-check the rules against the live network
// (the plan may not have known network_id, and the network may have changed
// since), grow the range when asked, then add or move the route. Every step
// is idempotent, so re-applying after a failure converges.
func apply(ctx context.Context, hc *hcloud.Client, m *model, rt route, own netip.Prefix) diag.Diagnostics {
	var diags diag.Diagnostics
	n, err := hetzner.GetNetwork(ctx, hc, rt.NetworkID)
	if err != nil {
		diags.AddError("Could not read the Hetzner network", err.Error())
		return diags
	}
	if n == nil {
		diags.AddAttributeError(path.Root("network_id"), "Network not found", notFoundMessage(rt.NetworkID))
		return diags
	}
	if _, _, d := liveCheck(n, rt, own); d.HasError() {
		return append(diags, d...)
	}
	if rt.Expand {
		if _, _, err := hetzner.EnsureRangeCovers(ctx, hc, rt.NetworkID, rt.Destination); err != nil {
			diags.Append(attrDiag(err)...)
			return diags
		}
	}
	if err := hetzner.EnsureRoute(ctx, hc, rt.NetworkID, rt.Destination, rt.Gateway); err != nil {
		diags.AddError("Could not create the Hetzner network route", err.Error())
		return diags
	}
	gw, found, n, err := hetzner.FindRoute(ctx, hc, rt.NetworkID, rt.Destination)
	if err != nil || n == nil || !found {
		diags.AddError("Could not read the Hetzner network route back",
			fmt.Sprintf("network %d, route %s: found=%v: %v", rt.NetworkID, rt.Destination, found, err))
		return diags
	}
	fill(m, n, rt.Destination, gw)
	return diags
}

// fill sets the id, the gateway and the range from the live network.
func fill(m *model, n *hcloud.Network, dest netip.Prefix, gw netip.Addr) {
	rng, _, _ := hetzner.NetworkFacts(n)
	m.ID = types.StringValue(resourceID(n.ID, dest))
	m.Gateway = types.StringValue(gw.String())
	m.NetworkIPRange = types.StringValue(rng.String())
}
