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

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

func (r *resourceImpl) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan model
	ctx, cancel, rt, hc, ok := r.open(ctx, req.Plan, &plan, createTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok {
		return
	}
	// Nothing at the destination is this resource's yet: the zero prefix
	// makes any route already there a conflict.
	resp.Diagnostics.Append(apply(ctx, hc, &plan, rt, netip.Prefix{}, &resp.State)...)
}

func (r *resourceImpl) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan model
	ctx, cancel, rt, hc, ok := r.open(ctx, req.Plan, &plan, updateTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok {
		return
	}
	// Only the gateway or expand_network_ip_range can change in place (the
	// destination replaces): the route there is this resource's own, which
	// liveCheck must not count as a conflict.
	resp.Diagnostics.Append(apply(ctx, hc, &plan, rt, rt.Destination, &resp.State)...)
}

// apply is what Create and Update share once open has succeeded: re-check
// the rules against the live network (the plan may not have known
// network_id, and the network may have changed since), grow the range when
// asked, add or move the route, and only then write m, filled from the live
// network, to st. own is the route at rt.Destination this resource already
// holds (Update), which liveCheck must not count as a conflict; the zero
// prefix (Create) when it holds none. Every step is idempotent, so
// re-applying after a failure converges.
func apply(ctx context.Context, hc *hcloud.Client, m *model, rt route, own netip.Prefix, st *tfsdk.State) diag.Diagnostics {
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
	return append(diags, st.Set(ctx, m)...)
}

// fill sets the id, the gateway and the range from the live network.
func fill(m *model, n *hcloud.Network, dest netip.Prefix, gw netip.Addr) {
	rng, _, _ := hetzner.NetworkFacts(n)
	m.ID = types.StringValue(resourceID(n.ID, dest))
	m.Gateway = types.StringValue(gw.String())
	m.NetworkIPRange = types.StringValue(rng.String())
}
