package addrplan

import (
	"fmt"
	"net/netip"
	"strings"
)

// CheckNetworkRange enforces Hetzner's rules for a network ip_range: RFC1918
// private space and at least a /24. Checking at plan time turns a late API
// error (after the Azure gateway has started its 45-minute build) into an
// immediate diagnostic on hetzner.network_ip_range.
func CheckNetworkRange(p netip.Prefix) error {
	if err := checkPrefix(AttrNetworkIPRange, p); err != nil {
		return err
	}
	if !IsRFC1918(p) {
		return errorf(AttrNetworkIPRange,
			"%s is not private address space: Hetzner networks must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC1918)", p)
	}
	if p.Bits() > 24 {
		return errorf(AttrNetworkIPRange,
			"%s is too small: Hetzner networks must be /24 or larger (prefix length 24 or less); did you mean %s?",
			p, netip.PrefixFrom(p.Addr(), 24).Masked())
	}
	return nil
}

// CheckSubnetInNetwork enforces that a Hetzner subnet (attribute attr, e.g.
// hetzner.gateway_subnet) lies inside the network range, as Hetzner requires
// for every subnet.
func CheckSubnetInNetwork(attr string, subnet, network netip.Prefix) error {
	if err := checkPrefix(attr, subnet); err != nil {
		return err
	}
	if err := checkPrefix(AttrNetworkIPRange, network); err != nil {
		return err
	}
	if !Contains(network, subnet) {
		return errorf(attr, "%s is not inside the Hetzner network range %s; Hetzner subnets must lie in the network's range. "+
			"Pick a subnet inside %s", subnet, network, network)
	}
	return nil
}

// CheckCovers enforces the rule that made the original setup work: the
// Hetzner network range must contain every Azure prefix. Hetzner servers send
// everything inside the network range to Hetzner's router, and Hetzner only
// routes destinations inside the range, so one network-level route
// (Azure prefix -> gateway server) reaches Azure from every server only when
// the range is a superset. attr names the Azure attribute (usually
// azure.remote_prefixes); the message suggests the smallest covering range.
func CheckCovers(network netip.Prefix, azure []netip.Prefix, attr string) error {
	if err := checkPrefix(AttrNetworkIPRange, network); err != nil {
		return err
	}
	var outside []string
	for _, a := range azure {
		if err := checkPrefix(attr, a); err != nil {
			return err
		}
		if !Contains(network, a) {
			outside = append(outside, a.String())
		}
	}
	if len(outside) == 0 {
		return nil
	}
	why := fmt.Sprintf("Azure prefix(es) %s lie outside the Hetzner network range %s. "+
		"Hetzner routes traffic to Azure with one network-level route to the gateway server, which only works when the "+
		"network range is a superset of every Azure prefix (otherwise every server needs its own routes). ",
		strings.Join(outside, ", "), network)
	cover := CoveringSupernet(append([]netip.Prefix{network}, azure...)...)
	if !IsRFC1918(cover) {
		return errorf(attr, "%sNo RFC1918 range can cover both %s and these prefixes; "+
			"choose Azure prefixes inside %s, or a Hetzner network range in the same RFC1918 block as the Azure prefixes",
			why, network, rfc1918Block(network))
	}
	return errorf(attr, "%sUse a network range of %s (the smallest one covering all of them), or Azure prefixes inside %s",
		why, cover, network)
}

// CheckCoversExisting is CheckCovers for a network that already exists
// (hetzner.network_id): the range that would work must be one Hetzner can
// grow that network to, its base address with a shorter netmask, so the
// message suggests that growth, or explains that none exists and names the
// range a new network would need.
func CheckCoversExisting(network netip.Prefix, azure []netip.Prefix, attr string) error {
	if err := checkPrefix(AttrNetworkIPRange, network); err != nil {
		return err
	}
	var outside []netip.Prefix
	for _, a := range azure {
		if err := checkPrefix(attr, a); err != nil {
			return err
		}
		if !Contains(network, a) {
			outside = append(outside, a)
		}
	}
	if len(outside) == 0 {
		return nil
	}
	names := make([]string, len(outside))
	for i, p := range outside {
		names[i] = p.String()
	}
	why := fmt.Sprintf("Azure prefix(es) %s lie outside the Hetzner network range %s. "+
		"Hetzner routes traffic to Azure with one network-level route to the gateway server, which only works when the "+
		"network range is a superset of every Azure prefix (otherwise every server needs its own routes). ",
		strings.Join(names, ", "), network)
	grown := network
	for _, p := range outside {
		g, _, ok := ExpandToCover(grown, p)
		if !ok || !IsRFC1918(g) {
			return errorf(attr, "%s%s", why, growthRefusal(network, outside, "Azure prefix"))
		}
		grown = g
	}
	return errorf(attr, "%sGrow the existing network's range to %s (keeping its base address, e.g. with "+
		"crosscloud_hcloud_gateway_route's expand_network_ip_range), or choose Azure prefixes inside %s. "+
		"Servers already in the network use the grown range only after a reboot or a change of their routes",
		why, grown, network)
}

// CheckNoOverlap enforces that two address lists share no address, e.g.
// Hetzner subnets or local_prefixes (a) against Azure prefixes (b): an address
// that exists on both sides would be routed locally and never reach the
// tunnel. The error sits on aAttr and lists every conflicting pair.
func CheckNoOverlap(a []netip.Prefix, aAttr string, b []netip.Prefix, bAttr string) error {
	var conflicts []string
	for _, p := range a {
		if err := checkPrefix(aAttr, p); err != nil {
			return err
		}
		for _, q := range b {
			if err := checkPrefix(bAttr, q); err != nil {
				return err
			}
			if Overlaps(p, q) {
				conflicts = append(conflicts, fmt.Sprintf("%s overlaps %s", p, q))
			}
		}
	}
	if len(conflicts) == 0 {
		return nil
	}
	return errorf(aAttr, "%s must not overlap %s (%s): addresses must be unique across both clouds, or traffic for them "+
		"stays on one side instead of crossing the tunnel. Choose non-overlapping prefixes",
		aAttr, bAttr, strings.Join(conflicts, "; "))
}

// CheckGatewayIP enforces where the gateway server's private IP may sit: in
// the gateway subnet, not the network's first IP (Hetzner's router), not
// 172.31.1.1, and not the subnet's network or broadcast address. The network
// route to Azure points at this IP, so Hetzner must accept it as a route
// gateway and as a server address.
func CheckGatewayIP(ip netip.Addr, subnet, network netip.Prefix) error {
	if err := checkAddr(AttrGatewayIP, ip); err != nil {
		return err
	}
	if err := CheckSubnetInNetwork(AttrGatewaySubnet, subnet, network); err != nil {
		return err
	}
	hint := ""
	if def, err := DefaultGatewayIP(subnet, network, nil); err == nil {
		hint = fmt.Sprintf("; e.g. %s, or leave gateway_ip unset to use the first free host", def)
	}
	switch {
	case !subnet.Contains(ip):
		return errorf(AttrGatewayIP, "%s is not inside gateway_subnet %s; choose a host address in %s%s", ip, subnet, subnet, hint)
	case ip == NetworkRouterIP(network):
		return errorf(AttrGatewayIP, "%s is the first IP of the network range %s, which Hetzner reserves for its own router; "+
			"choose another host address in %s%s", ip, network, subnet, hint)
	case ip == HetznerPublicGateway:
		return errorf(AttrGatewayIP, "%s is Hetzner's public gateway, which Hetzner refuses as a route gateway; "+
			"choose another host address in %s%s", ip, subnet, hint)
	case ip == subnet.Addr():
		return errorf(AttrGatewayIP, "%s is the network address of gateway_subnet %s, not a usable host; "+
			"choose another host address%s", ip, subnet, hint)
	case ip == LastAddr(subnet):
		return errorf(AttrGatewayIP, "%s is the broadcast address of gateway_subnet %s, not a usable host; "+
			"choose another host address%s", ip, subnet, hint)
	}
	return nil
}

// DefaultGatewayIP picks the gateway server's IP when gateway_ip is unset: the
// first host of the subnet that is not the network's first IP, 172.31.1.1, or
// already used (by other servers or load balancers). For the original setup
// (network 10.0.0.0/12, subnet 10.0.1.0/24) that is 10.0.1.1.
func DefaultGatewayIP(subnet, network netip.Prefix, used []netip.Addr) (netip.Addr, error) {
	if err := CheckSubnetInNetwork(AttrGatewaySubnet, subnet, network); err != nil {
		return netip.Addr{}, err
	}
	taken := make(map[netip.Addr]bool, len(used)+2)
	for _, u := range used {
		taken[u] = true
	}
	taken[NetworkRouterIP(network)] = true
	taken[HetznerPublicGateway] = true
	last := LastAddr(subnet)
	for a := subnet.Addr().Next(); a.IsValid() && a.Less(last); a = a.Next() {
		if !taken[a] {
			return a, nil
		}
	}
	return netip.Addr{}, errorf(AttrGatewayIP,
		"gateway_subnet %s has no free host address for the gateway server; use a larger gateway_subnet or set gateway_ip", subnet)
}
