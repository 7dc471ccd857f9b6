package hcloudsim

import (
	"net/netip"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// The rules of docs/facts/hcloud-rules.md (networks, subnets, routes), on net/netip values. Every function returns
// the error the API would give, naming the request field.
//
// These rules deliberately do not import internal/addrplan: the emulator never
// imports the product (DESIGN.md), and two independent translations of the same
// documented rules catch each other's mistakes. Do not "dedupe" them.

var (
	rfc1918 = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
	// hetznerPublicGateway is the on-link gateway of every server's public
	// interface; it is reserved in private networks too.
	hetznerPublicGateway = netip.MustParseAddr("172.31.1.1")
	defaultRoute         = netip.MustParsePrefix("0.0.0.0/0")
)

func containsPrefix(outer, inner netip.Prefix) bool {
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Addr())
}

func isRFC1918(p netip.Prefix) bool {
	return slices.ContainsFunc(rfc1918, func(r netip.Prefix) bool { return containsPrefix(r, p) })
}

// firstIP is the network's first host address: the gateway of all subnets.
func firstIP(p netip.Prefix) netip.Addr { return p.Addr().Next() }

func lastIP(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// parseCIDR reads an IPv4 prefix that must be written as its network address.
func parseCIDR(field, v string) (netip.Prefix, *apiError) {
	p, err := netip.ParsePrefix(v)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, invalidField(field, "%q is not an IPv4 CIDR such as 10.0.0.0/16", v)
	}
	if p.Masked() != p {
		return netip.Prefix{}, invalidField(field, "%q has host bits set; use the network address %s", v, p.Masked())
	}
	return p, nil
}

// checkNetworkRange: "Must be one of the private IPv4 ranges of RFC1918.
// Minimum network size is /24."
func checkNetworkRange(field, v string) (netip.Prefix, *apiError) {
	p, err := parseCIDR(field, v)
	if err != nil {
		return p, err
	}
	if !isRFC1918(p) {
		return p, invalidField(field, "%s is not inside a private RFC1918 range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", p)
	}
	if p.Bits() > 24 {
		return p, invalidField(field, "%s is smaller than the minimum network size /24; use a prefix length of 24 or less", p)
	}
	return p, nil
}

// checkSubnet validates a subnet against its network (range, other subnets,
// route destinations) and fills in the gateway: the network's first IP.
func checkSubnet(field string, netRange netip.Prefix, sub *schema.NetworkSubnet, n *schema.Network) *apiError {
	switch sub.Type {
	case "cloud", "server":
	case "vswitch":
		if sub.VSwitchID == 0 {
			return invalidField(join(field, "vswitch_id"), "a vswitch subnet needs the ID of the Robot vSwitch")
		}
		if sub.NetworkZone != "eu-central" {
			return invalidField(join(field, "network_zone"), "vSwitch subnets exist only in eu-central, not %q", sub.NetworkZone)
		}
	default:
		return invalidField(join(field, "type"), "%q is not a subnet type; use cloud, server (deprecated) or vswitch", sub.Type)
	}
	if !slices.Contains(networkZones, sub.NetworkZone) {
		return invalidField(join(field, "network_zone"), "%q is not a network zone; use one of eu-central, us-east, us-west, ap-southeast", sub.NetworkZone)
	}
	for _, other := range n.Subnets {
		if other.NetworkZone != sub.NetworkZone {
			return invalidField(join(field, "network_zone"), "network %q already has subnets in %s; all subnets of a network must share one network zone", n.Name, other.NetworkZone)
		}
	}
	p, err := parseCIDR(join(field, "ip_range"), sub.IPRange)
	if err != nil {
		return err
	}
	if !containsPrefix(netRange, p) {
		return invalidField(join(field, "ip_range"), "subnet %s is not inside the network's ip_range %s", p, netRange)
	}
	for _, other := range n.Subnets {
		if op := netip.MustParsePrefix(other.IPRange); op.Overlaps(p) {
			return invalidField(join(field, "ip_range"), "subnet %s overlaps subnet %s of the network", p, op)
		}
	}
	for _, r := range n.Routes {
		if d := netip.MustParsePrefix(r.Destination); d != defaultRoute && d.Overlaps(p) {
			return invalidField(join(field, "ip_range"), "subnet %s overlaps the destination %s of a network route", p, d)
		}
	}
	sub.IPRange = p.String()
	sub.Gateway = firstIP(netRange).String()
	return nil
}

// checkRoute validates a route against its network. The destination follows
// the current API reference text (OpenAPI, e.g. docs.rs hcloud
// models/route.rs): "Must be one of private IPv4 ranges of RFC1918 or
// 0.0.0.0/0. Must not overlap with an existing ip_range in any subnets, or
// with any destinations in other routes, or with 172.31.1.1." It has no
// containment rule, so an RFC1918 destination outside the network's
// ip_range is accepted (the older text in terraform-provider-hcloud
// docs/resources/network_route.md required one; crosscloud keeps requiring
// it at plan time for its own reason, addrplan.CheckRoute). The older text's
// ban on the network's first IP is kept (stricter, unverified either way).
func checkRoute(field string, netRange netip.Prefix, r *schema.NetworkRoute, n *schema.Network) *apiError {
	d, err := parseCIDR(join(field, "destination"), r.Destination)
	if err != nil {
		return err
	}
	gw, perr := netip.ParseAddr(r.Gateway)
	if perr != nil || !gw.Is4() {
		return invalidField(join(field, "gateway"), "%q is not an IPv4 address", r.Gateway)
	}
	if d != defaultRoute {
		if !isRFC1918(d) {
			return invalidField(join(field, "destination"), "destination %s must be one of the private IPv4 ranges of RFC1918 or 0.0.0.0/0", d)
		}
		if d.Contains(firstIP(netRange)) || d.Contains(hetznerPublicGateway) {
			return invalidField(join(field, "destination"), "destination %s must not contain the network's first IP %s or 172.31.1.1", d, firstIP(netRange))
		}
		for _, s := range n.Subnets {
			if netip.MustParsePrefix(s.IPRange).Overlaps(d) {
				return invalidField(join(field, "destination"), "network route destination overlaps with another subnetwork or network route (subnet %s)", s.IPRange)
			}
		}
		for _, o := range n.Routes {
			if od := netip.MustParsePrefix(o.Destination); od != defaultRoute && od.Overlaps(d) {
				return invalidField(join(field, "destination"), "network route destination overlaps with another subnetwork or network route (route %s)", od)
			}
		}
	} else if slices.ContainsFunc(n.Routes, func(o schema.NetworkRoute) bool { return o.Destination == defaultRoute.String() }) {
		return invalidField(join(field, "destination"), "network route destination overlaps with another subnetwork or network route (route 0.0.0.0/0)")
	}
	if !netRange.Contains(gw) {
		return invalidField(join(field, "gateway"), "network route gateway not part of the network IP range (%s)", netRange)
	}
	if gw == firstIP(netRange) || gw == hetznerPublicGateway {
		return invalidField(join(field, "gateway"), "gateway %s is reserved (the network's first IP is Hetzner's router, 172.31.1.1 the public gateway); use the private IP of a server", gw)
	}
	r.Destination, r.Gateway = d.String(), gw.String()
	return nil
}

// hostUsable reports whether a can be handed to a server in subnet sub of a
// network with range netRange: not the subnet's network or broadcast
// address, not the network's gateway, not 172.31.1.1.
func hostUsable(a netip.Addr, sub, netRange netip.Prefix) bool {
	return sub.Contains(a) && a != sub.Addr() && a != lastIP(sub) && a != firstIP(netRange) && a != hetznerPublicGateway
}

// join names a nested request field: join("subnets[0]", "ip_range") is
// "subnets[0].ip_range"; with no prefix (an action's body) just "ip_range".
func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}
