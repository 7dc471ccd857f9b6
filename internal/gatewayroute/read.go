package gatewayroute

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// Read reports drift: a deleted network or route removes the resource from
// state (so the next plan creates the route again), a changed gateway shows
// as an update, a grown range refreshes network_ip_range.
func (r *resourceImpl) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state model
	ctx, cancel, rt, hc, ok := r.open(ctx, req.State, &state, readTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok {
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
