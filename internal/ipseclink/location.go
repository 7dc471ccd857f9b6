package ipseclink

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
)

// sameLocation keeps the prior value of azure.location when the new one
// names the same region in another spelling ("West Europe" and "westeurope"),
// so a re-plan, or a plan after `terraform import` (which reads ARM's
// normalized name), never replaces the link over spelling; a replacement
// means a new gateway (45 minutes) and a new public IP. Terraform accepts
// the prior value for a configured attribute. It must run before
// RequiresReplace.
type sameLocation struct{}

func (sameLocation) Description(context.Context) string {
	return "Keeps the prior location when the new one is the same region spelled differently."
}

func (m sameLocation) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (sameLocation) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.StateValue.IsUnknown() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	if azure.NormalizeLocation(req.StateValue.ValueString()) == azure.NormalizeLocation(req.PlanValue.ValueString()) {
		resp.PlanValue = req.StateValue
	}
}

// keepObserved makes a plan whose inputs equal the state's a no-op. The
// framework marks computed values without UseStateForUnknown unknown
// whenever the configuration differs from the state at all, which includes
// a location respelled ("West Europe" for "westeurope") that sameLocation
// then maps back: without this such a plan would show the server, the
// tunnel status and the configuration "known after apply" for an apply that
// does nothing. A link that needs repair keeps planRepair's unknowns.
func keepObserved(state, plan *model) {
	if state == nil || state.ID.IsNull() || state.HetznerServerID.IsNull() || state.AzureConnectionID.IsNull() || len(state.Drift.Elements()) > 0 {
		return // planRepair's case
	}
	plan.HetznerServerID, plan.ConnectionStatus, plan.SwanctlConf = state.HetznerServerID, state.ConnectionStatus, state.SwanctlConf
	plan.Drift = types.ListValueMust(types.StringType, nil)
}
