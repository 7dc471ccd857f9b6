package ipseclink

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"

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
// does nothing. Only when nothing else differs either (wait_for_connected,
// timeouts), since an Update would observe these values anew. A link that
// needs repair keeps planRepair's unknowns.
func keepObserved(state, plan *model) {
	if state == nil || !plan.WaitForConnected.Equal(state.WaitForConnected) || !plan.Timeouts.Equal(state.Timeouts) || state.ID.IsNull() || state.HetznerServerID.IsNull() || state.AzureConnectionID.IsNull() || len(state.Drift.Elements()) > 0 {
		return // planRepair's case
	}
	plan.HetznerServerID, plan.ConnectionStatus, plan.SwanctlConf = state.HetznerServerID, state.ConnectionStatus, state.SwanctlConf
	plan.HetznerStandbyServerID, plan.HetznerActiveServerID = state.HetznerStandbyServerID, state.HetznerActiveServerID
	plan.Drift = driftList(nil)
}

// warnDualStack says, when remote_prefixes defaults to the VNet's address
// space and the VNet is dual-stack, that its IPv6 prefixes are left out:
// the link's tunnel and its Hetzner routes carry IPv4 only (an explicit
// IPv6 remote_prefixes entry is refused as invalid input).
func warnDualStack(s *spec, vnet *azure.VNet, diags *diag.Diagnostics) {
	if len(s.Azure.RemotePrefixes) > 0 || len(vnet.IPv6Space) == 0 {
		return
	}
	diags.AddAttributeWarning(pathAzure.AtName("remote_prefixes"), "IPv6 prefixes of the VNet are not tunnelled",
		fmt.Sprintf("azure.remote_prefixes: virtual network %s is dual-stack; its IPv6 prefixes %s are left out of the default, "+
			"which is its IPv4 address space %s. The link carries IPv4 only; set remote_prefixes to silence this.",
			vnet.Name, joinPrefixes(vnet.IPv6Space), joinPrefixes(vnet.AddressSpace)))
}

// warnSmallGatewaySubnet: a /29 or /28 GatewaySubnet can be created ("you
// can create a gateway subnet as small as /29, we recommend … /27 or
// larger", VPN FAQ), but Microsoft's SKU migration "may error out" on a
// /28 or smaller one and automatic migration "cannot be completed" on an
// insufficient subnet (MD basic-public-ip-migrate-about.md, VPN FAQ). It
// cannot be resized while the gateway uses it.
func warnSmallGatewaySubnet(p netip.Prefix, diags *diag.Diagnostics) {
	if !p.IsValid() || p.Bits() <= 27 || p.Bits() > 29 {
		return
	}
	diags.AddAttributeWarning(pathAzure.AtName("gateway_subnet_prefix"), "GatewaySubnet smaller than /27",
		"azure.gateway_subnet_prefix: "+p.String()+" works for a new gateway, but Microsoft recommends /27 or larger: its gateway "+
			"migrations can fail on a /28 or smaller subnet, and a subnet in use cannot be resized later.")
}
