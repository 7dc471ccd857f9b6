package gatewayroute

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// Delete removes the route. The network's range stays as it is: Hetzner
// cannot shrink it.
func (r *resourceImpl) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state model
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	rt, d := state.parse()
	resp.Diagnostics.Append(d...)
	timeout, td := state.Timeouts.Delete(ctx, defaultTimeout)
	ctx, cancel, hc, ok := r.begin(ctx, timeout, td, &resp.Diagnostics)
	defer cancel()
	if !ok {
		return
	}
	if err := hetzner.DeleteRoute(ctx, hc, rt.NetworkID, rt.Destination); err != nil {
		resp.Diagnostics.AddError("Could not delete the Hetzner network route", err.Error())
	}
}
