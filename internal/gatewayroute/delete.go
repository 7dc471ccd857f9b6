package gatewayroute

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// Delete removes the route. The network's range stays as it is: Hetzner
// cannot shrink it.
func (r *resourceImpl) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	// Only the route is needed: the model read from state is not kept.
	ctx, cancel, rt, hc, ok := r.open(ctx, req.State, new(model), deleteTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok {
		return
	}
	if err := hetzner.DeleteRoute(ctx, hc, rt.NetworkID, rt.Destination); err != nil {
		resp.Diagnostics.AddError("Could not delete the Hetzner network route", err.Error())
	}
}
