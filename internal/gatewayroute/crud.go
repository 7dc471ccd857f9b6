package gatewayroute

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

func (r *resourceImpl) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan model
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp.Diagnostics.Append(r.apply(ctx, &plan, netip.Prefix{})...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *resourceImpl) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan model
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// Only the gateway or expand_network_ip_range can change in place: the
	// route being updated is this resource's own.
	rt, _ := plan.parse()
	resp.Diagnostics.Append(r.apply(ctx, &plan, rt.Destination)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// apply is Create and Update: re-check the rules against the live network
// (the plan may not have known network_id, and the network may have changed
// since), grow the range when asked, then add or move the route. Every step
// is idempotent, so re-applying after a failure converges.
func (r *resourceImpl) apply(ctx context.Context, m *model, own netip.Prefix) diag.Diagnostics {
	rt, diags := m.parse()
	if diags.HasError() {
		return diags
	}
	hc, d := r.clients.HCloud()
	if diags.Append(d...); diags.HasError() {
		return diags
	}
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

// Read reports drift: a deleted network or route removes the resource from
// state (so the next plan creates the route again), a changed gateway shows
// as an update, a grown range refreshes network_ip_range.
func (r *resourceImpl) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state model
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Read(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rt, diags := state.parse()
	resp.Diagnostics.Append(diags...)
	hc, diags := r.clients.HCloud()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	gw, found, n, err := hetzner.FindRoute(ctx, hc, rt.NetworkID, rt.Destination)
	if err != nil {
		resp.Diagnostics.AddError("Could not read the Hetzner network route", err.Error())
		return
	}
	if n == nil || !found {
		resp.State.RemoveResource(ctx)
		return
	}
	fill(&state, n, rt.Destination, gw)
	if state.ExpandNetworkIPRange.IsNull() {
		state.ExpandNetworkIPRange = types.BoolValue(false)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Delete removes the route. The network's range stays as it is: Hetzner
// cannot shrink it.
func (r *resourceImpl) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state model
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rt, diags := state.parse()
	resp.Diagnostics.Append(diags...)
	hc, diags := r.clients.HCloud()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := hetzner.DeleteRoute(ctx, hc, rt.NetworkID, rt.Destination); err != nil {
		resp.Diagnostics.AddError("Could not delete the Hetzner network route", err.Error())
	}
}
