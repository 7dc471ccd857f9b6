package addrplan

import (
	"net/netip"
)

// Route is a Hetzner network route: traffic for Destination goes to the
// server at Gateway. It is the one route that lets every Hetzner server reach
// Azure without host routes, shared by crosscloud_ipsec_link and
// crosscloud_hcloud_gateway_route.
type Route struct {
	Destination netip.Prefix
	Gateway     netip.Addr
}

// CheckRoute enforces Hetzner's route rules before the API call, so a bad
// route fails at plan time with a diagnostic on "destination" or "gateway":
//
//   - destination: RFC1918 or 0.0.0.0/0; inside the network range (unless
//     0.0.0.0/0: crosscloud's own rule, see below); not overlapping any subnet
//     or another route's destination; not containing the network's first IP
//     or 172.31.1.1.
//   - gateway: inside the network range; not the network's first IP; not
//     172.31.1.1; not inside the destination (unless 0.0.0.0/0).
//
// routes are the network's existing routes; an entry equal to r is skipped,
// so re-checking a route that already exists succeeds. 0.0.0.0/0 is exempt
// from the overlap and containment rules (Hetzner accepts it; more specific
// subnets win), but only one default route may exist.
func CheckRoute(network netip.Prefix, subnets []netip.Prefix, routes []Route, r Route) error {
	if err := checkPrefix(AttrNetworkIPRange, network); err != nil {
		return err
	}
	if err := checkDestination(network, subnets, routes, r); err != nil {
		return err
	}
	return checkRouteGateway(network, r)
}

func checkDestination(network netip.Prefix, subnets []netip.Prefix, routes []Route, r Route) error {
	d := r.Destination
	if err := checkPrefix(AttrDestination, d); err != nil {
		return err
	}
	isDefault := d == DefaultRoute
	if !isDefault && !IsRFC1918(d) {
		return errorf(AttrDestination, "%s is not private address space: Hetzner route destinations must be RFC1918 "+
			"(10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) or 0.0.0.0/0", d)
	}
	for _, o := range routes {
		if o == r {
			continue
		}
		if o.Destination == d {
			return errorf(AttrDestination, "the network already has a route for %s (via %s); Hetzner allows one route per "+
				"destination, so delete or import that route instead of adding another", d, o.Gateway)
		}
		if !isDefault && o.Destination != DefaultRoute && Overlaps(o.Destination, d) {
			return errorf(AttrDestination, "%s overlaps the destination %s of an existing route (via %s); Hetzner refuses "+
				"overlapping route destinations. Choose a destination that does not overlap it, or delete that route", d, o.Destination, o.Gateway)
		}
	}
	if isDefault {
		return nil
	}
	if !Contains(network, d) {
		// The API itself accepts RFC1918 destinations outside the range
		// (current reference text), but Hetzner servers send only their
		// network's range to Hetzner's router, so such a route would reach
		// no server (hetzneronline/community-content#561).
		msg := "%s is outside the network range %s; crosscloud routes only destinations inside the network's range, " +
			"because Hetzner servers send only that range to Hetzner's router, so a route outside it reaches no server. "
		grown, _, err := ExpandNetworkRange(network, d)
		if err == nil {
			return errorf(AttrDestination, msg+"Grow the range to %s (set expand_network_ip_range = true on "+
				"crosscloud_hcloud_gateway_route, or use that network_ip_range), or choose a destination inside %s",
				d, network, grown, network)
		}
		return errorf(AttrDestination, "%s", growthRefusal(network, []netip.Prefix{d}, "destination"))
	}
	for _, s := range subnets {
		if err := checkPrefix(AttrDestination, s); err != nil {
			return errorf(AttrDestination, "the network has an invalid subnet: %s", err.Message)
		}
		if Overlaps(s, d) {
			return errorf(AttrDestination, "%s overlaps the network's subnet %s; a route must not cover addresses Hetzner "+
				"already assigns to servers. Choose a destination outside every subnet (e.g. the Azure prefix, not the whole network)", d, s)
		}
	}
	if router := NetworkRouterIP(network); d.Contains(router) {
		return errorf(AttrDestination, "%s contains %s, the network's first IP that Hetzner keeps for its router; "+
			"choose a destination that excludes it", d, router)
	}
	if d.Contains(HetznerPublicGateway) {
		return errorf(AttrDestination, "%s contains %s, Hetzner's public gateway, which Hetzner refuses in route destinations; "+
			"choose a destination that excludes it", d, HetznerPublicGateway)
	}
	return nil
}

func checkRouteGateway(network netip.Prefix, r Route) error {
	g := r.Gateway
	if err := checkAddr(AttrGateway, g); err != nil {
		return err
	}
	switch {
	case !network.Contains(g):
		return errorf(AttrGateway, "%s is not part of the network range %s; the gateway must be the private IP of a "+
			"server in this network (e.g. the strongSwan gateway server)", g, network)
	case g == NetworkRouterIP(network):
		return errorf(AttrGateway, "%s is the network's first IP, which Hetzner keeps for its own router; use the private IP "+
			"of the gateway server instead", g)
	case g == HetznerPublicGateway:
		return errorf(AttrGateway, "%s is Hetzner's public gateway, which Hetzner refuses as a route gateway; use the private IP "+
			"of the gateway server instead", g)
	case r.Destination != DefaultRoute && r.Destination.Contains(g):
		return errorf(AttrGateway, "%s lies inside the destination %s, so the route would point into itself; use the private IP "+
			"of a server outside %s", g, r.Destination, r.Destination)
	}
	return nil
}
