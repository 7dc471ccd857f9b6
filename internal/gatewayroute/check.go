package gatewayroute

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// liveCheck applies Hetzner's route rules (addrplan.CheckRoute) to the live
// network n before anything is changed, and returns the network range the
// network will have once the route exists: the current one, or with
// r.Expand the smallest supernet covering the destination (grown = true).
//
// own is the destination of the route this resource already manages in n
// (from state; invalid when none): that route is being changed or replaced,
// so it is left out of the overlap checks. A route with the same destination
// and gateway is always accepted, so a create that died after add_route can
// be re-applied.
func liveCheck(n *hcloud.Network, r route, own netip.Prefix) (target netip.Prefix, grown bool, diags diag.Diagnostics) {
	rng, subnets, routes := hetzner.NetworkFacts(n)
	if own.IsValid() {
		routes = slices.DeleteFunc(routes, func(o addrplan.Route) bool { return o.Destination == own })
	}
	target = rng
	if r.Expand {
		g, changed, err := addrplan.ExpandNetworkRange(rng, r.Destination)
		if err != nil {
			return rng, false, attrDiag(err)
		}
		target, grown = g, changed
	}
	diags.Append(attrDiag(addrplan.CheckRoute(target, subnets, routes, addrplan.Route{Destination: r.Destination, Gateway: r.Gateway}))...)
	return target, grown, diags
}

// growthWarning tells the user at plan time that applying will grow the
// network's range for good, which the plan output alone (network_ip_range
// changing) does not make clear.
func growthWarning(networkID int64, from, to, dest netip.Prefix) diag.Diagnostic {
	return diag.NewAttributeWarningDiagnostic(path.Root("expand_network_ip_range"),
		"The Hetzner network's IP range will grow",
		fmt.Sprintf("Network %d's ip_range will grow from %s to %s so that it covers the route destination %s. "+
			"Hetzner can only grow a network range, never shrink it: the range stays %s even after this route is destroyed. "+
			"Servers already in the network pick the grown range up only after a reboot or a change of their routes "+
			"(Hetzner's note on change_ip_range); until then they do not send %s to Hetzner's router.",
			networkID, from, to, dest, to, dest))
}

// holderWarning warns when no server in the network holds the gateway IP:
// Hetzner accepts such a route, but traffic for the destination is dropped
// until a server with that private IP (the VPN gateway) joins the network.
func holderWarning(networkID int64, gw netip.Addr, used []netip.Addr) diag.Diagnostics {
	var diags diag.Diagnostics
	if slices.Contains(used, gw) {
		return diags
	}
	diags.AddAttributeWarning(path.Root("gateway"), "No server holds the gateway IP",
		fmt.Sprintf("No server in network %d has the private IP %s yet, so traffic for this route goes nowhere until one does. "+
			"Attach the gateway server (e.g. the strongSwan host) to the network with IP %s, or fix the gateway address.",
			networkID, gw, gw))
	return diags
}
