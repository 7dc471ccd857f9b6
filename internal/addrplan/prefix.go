// Package addrplan holds the addressing rules that make a Hetzner <-> Azure
// site-to-site link route traffic with no per-server setup: the Hetzner network
// range must be a superset of the Azure prefixes (so one network-level route
// reaches them), the two sides must not share addresses, and the gateway
// server's IP and routes must be ones Hetzner accepts. It also allocates
// consistent per-provider prefixes from a supernet.
//
// The package is pure (net/netip only, no I/O) so the provider's plan-time
// validation, the link resource, the gateway route resource and the emulator
// all apply the same rules. It supports IPv4 only for now and refuses IPv6
// with a message saying so.
package addrplan

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// Attribute paths that errors carry (dotted), so callers attach diagnostics to the
// attribute the user has to change.
const (
	AttrNetworkIPRange = "hetzner.network_ip_range"
	AttrGatewaySubnet  = "hetzner.gateway_subnet"
	AttrGatewayIP      = "hetzner.gateway_ip"
	AttrLocalPrefixes  = "hetzner.local_prefixes"
	AttrRemotePrefixes = "azure.remote_prefixes"
	AttrDestination    = "destination"
	AttrGateway        = "gateway"
	AttrSupernet       = "supernet"
	AttrProviders      = "providers"
)

// errorf returns a rule violation on attr, an *attrerr.Error whose path is
// the attribute (dotted: "hetzner.gateway_ip"), so a resource reports it on
// the attribute the user has to change instead of as a generic error.
// Error() puts the attribute first, so plain-text logs still point at the
// culprit. Messages say what is wrong and what to do about it.
func errorf(attr, format string, args ...any) *attrerr.Error {
	return attrerr.New(attrerr.Dotted(attr), format, args...)
}

var (
	// DefaultRoute is 0.0.0.0/0. Hetzner accepts it as a route destination
	// even though it lies outside every network range (hetznercloud/cli#826),
	// so the route rules treat it as the one exception.
	DefaultRoute = netip.MustParsePrefix("0.0.0.0/0")

	// HetznerPublicGateway is the on-link gateway of every Hetzner server's
	// public interface. Hetzner refuses it as a route destination or gateway
	// because routing private traffic there would black-hole it.
	HetznerPublicGateway = netip.MustParseAddr("172.31.1.1")

	rfc1918 = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
)

// ParsePrefix parses an IPv4 CIDR prefix from attribute attr and insists on
// the canonical form: "10.0.1.5/24" is refused with the hint "did you mean
// 10.0.1.0/24", because both clouds store the masked value and a silently
// masked input would show up as a perpetual diff.
func ParsePrefix(attr, s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		if !strings.Contains(s, "/") {
			if a, aerr := netip.ParseAddr(s); aerr == nil && a.Is4() {
				return netip.Prefix{}, errorf(attr, "%q is an address, not a CIDR prefix; add the prefix length, e.g. %q", s, s+"/32")
			}
		}
		return netip.Prefix{}, errorf(attr, "%q is not an IPv4 CIDR prefix; write it like 10.0.1.0/24", s)
	}
	if err := checkPrefix(attr, p); err != nil {
		return netip.Prefix{}, err
	}
	return p, nil
}

// ParsePrefixes parses a list attribute with ParsePrefix, naming the element
// at fault, because list attributes (remote_prefixes, local_prefixes) are
// where users paste addresses by hand.
func ParsePrefixes(attr string, ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for i, s := range ss {
		p, err := ParsePrefix(attr, s)
		if err != nil {
			return nil, errorf(attr, "element %d: %s", i, err.(*attrerr.Error).Message)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParseAddr parses an IPv4 address from attribute attr (gateway_ip, a route's
// gateway), refusing IPv6 with a clear message since Hetzner private networks
// are IPv4 only.
func ParseAddr(attr, s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		if strings.Contains(s, "/") {
			return netip.Addr{}, errorf(attr, "%q is a prefix; give a single IPv4 address without /length, e.g. 10.0.1.1", s)
		}
		return netip.Addr{}, errorf(attr, "%q is not an IPv4 address; write it like 10.0.1.1", s)
	}
	if err := checkAddr(attr, a); err != nil {
		return netip.Addr{}, err
	}
	return a, nil
}

// checkPrefix guards every rule against prefixes that did not come from
// ParsePrefix: invalid, IPv6 or with host bits set.
func checkPrefix(attr string, p netip.Prefix) *attrerr.Error {
	switch {
	case !p.IsValid():
		return errorf(attr, "no valid IPv4 CIDR prefix given; set one like 10.0.1.0/24")
	case !p.Addr().Is4():
		return errorf(attr, "%s is an IPv6 prefix; crosscloud supports IPv4 only for now, use an IPv4 prefix", p)
	case p != p.Masked():
		return errorf(attr, "%s has host bits set; did you mean %s?", p, p.Masked())
	}
	return nil
}

func checkAddr(attr string, a netip.Addr) *attrerr.Error {
	switch {
	case !a.IsValid():
		return errorf(attr, "no valid IPv4 address given; set one like 10.0.1.1")
	case !a.Is4():
		return errorf(attr, "%s is an IPv6 address; crosscloud supports IPv4 only for now, use an IPv4 address", a)
	}
	return nil
}

// IsRFC1918 reports whether p lies entirely in private IPv4 space, the only
// space Hetzner accepts for network ranges and route destinations.
func IsRFC1918(p netip.Prefix) bool {
	for _, r := range rfc1918 {
		if Contains(r, p) {
			return true
		}
	}
	return false
}

// Contains reports whether outer contains every address of inner. Unlike
// netip.Prefix.Contains it compares prefixes, which is what the superset rule
// needs. Prefixes of different families never contain each other.
func Contains(outer, inner netip.Prefix) bool {
	if !outer.IsValid() || !inner.IsValid() || outer.Addr().Is4() != inner.Addr().Is4() {
		return false
	}
	return outer.Bits() <= inner.Bits() && outer.Contains(inner.Masked().Addr())
}

// Overlaps reports whether a and b share at least one address; any overlap
// between the two clouds makes some addresses unroutable.
func Overlaps(a, b netip.Prefix) bool { return a.Overlaps(b) }

// NetworkRouterIP is the first IP of a Hetzner network range, which Hetzner
// keeps for its own router (the subnet gateway every server routes through),
// so it can never be a server's IP, a route's gateway or inside a route's
// destination.
func NetworkRouterIP(network netip.Prefix) netip.Addr { return network.Masked().Addr().Next() }

// LastAddr returns the highest address in p (the broadcast address of an
// IPv4 subnet), which no host may use.
func LastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	if !p.Addr().Is4() {
		return netip.Addr{}
	}
	hostBits := 32 - p.Bits()
	return fromU32(toU32(p.Addr()) | uint32((uint64(1)<<hostBits)-1))
}

func toU32(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

func fromU32(v uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// CoveringSupernet returns the smallest prefix containing every given prefix;
// it is the network range to suggest when the Hetzner range is too small, and
// the range a prefix plan needs. It returns the zero Prefix when ps is empty,
// holds an invalid prefix, or mixes IPv4 and IPv6.
func CoveringSupernet(ps ...netip.Prefix) netip.Prefix {
	if len(ps) == 0 || !ps[0].IsValid() {
		return netip.Prefix{}
	}
	cover := ps[0].Masked()
	for _, p := range ps[1:] {
		if !p.IsValid() || p.Addr().Is4() != cover.Addr().Is4() {
			return netip.Prefix{}
		}
		for !Contains(cover, p) {
			cover = netip.PrefixFrom(cover.Addr(), cover.Bits()-1).Masked()
		}
	}
	return cover
}

// ExpandToCover returns the smallest range Hetzner can grow current to that
// contains dest. change_ip_range keeps "the IP part of your existing range"
// and only shortens its netmask (10.0.0.0/16 -> 10.0.0.0/15), so the
// candidates are current's base address with shorter masks, as long as that
// address is still the network address: 10.0.0.0/16 can become 10.0.0.0/8,
// 10.8.0.0/16 at most 10.8.0.0/13, and 10.1.0.0/16 not grow at all. ok is
// false when no candidate contains dest; changed is false when current
// already does.
func ExpandToCover(current, dest netip.Prefix) (grown netip.Prefix, changed, ok bool) {
	current = current.Masked()
	for bits := current.Bits(); bits >= 0; bits-- {
		p := netip.PrefixFrom(current.Addr(), bits)
		if p.Masked() != p {
			break
		}
		if Contains(p, dest) {
			return p, p != current, true
		}
	}
	return netip.Prefix{}, false, false
}

// MaxGrowth is the largest range Hetzner can grow current to inside private
// space: its base address with the shortest mask that keeps it the network
// address, within current's RFC1918 block.
func MaxGrowth(current netip.Prefix) netip.Prefix {
	current = current.Masked()
	best := current
	for bits := current.Bits() - 1; bits >= 0; bits-- {
		p := netip.PrefixFrom(current.Addr(), bits)
		if p.Masked() != p || !IsRFC1918(p) {
			break
		}
		best = p
	}
	return best
}

// ExpandNetworkRange is ExpandToCover with Hetzner's rules applied: it fails
// (on attribute "destination") when no growth that keeps the base address
// covers dest, naming the largest range the network can have and the range a
// new network would need, and when the grown range would leave RFC1918 space
// (192.168.0.0/16 cannot cover 10.1.0.0/16). A 0.0.0.0/0 destination never
// requires growth, because Hetzner accepts it outside the range.
func ExpandNetworkRange(current, dest netip.Prefix) (netip.Prefix, bool, error) {
	if err := checkPrefix(AttrNetworkIPRange, current); err != nil {
		return netip.Prefix{}, false, err
	}
	if err := checkPrefix(AttrDestination, dest); err != nil {
		return netip.Prefix{}, false, err
	}
	if dest == DefaultRoute {
		return current, false, nil
	}
	grown, changed, ok := ExpandToCover(current, dest)
	if ok && IsRFC1918(grown) {
		return grown, changed, nil
	}
	return netip.Prefix{}, false, errorf(AttrDestination, "%s", growthRefusal(current, []netip.Prefix{dest}, "destination"))
}

// growthRefusal explains why network range current cannot be grown to cover
// want, and what would work instead: the largest range Hetzner can grow it
// to (which covers whatever lies inside it) and the range a new network
// would need.
func growthRefusal(current netip.Prefix, want []netip.Prefix, what string) string {
	list := make([]string, len(want))
	for i, p := range want {
		list[i] = p.String()
	}
	subject := fmt.Sprintf("%s %s", what, strings.Join(list, ", "))
	max := MaxGrowth(current)
	msg := fmt.Sprintf("%s lies outside the network range %s, and Hetzner can grow a network range only by shortening its netmask "+
		"while its base address %s stays (change_ip_range), so the largest range this network can have is %s, which does not contain %s. ",
		subject, current, current.Addr(), max, strings.Join(list, ", "))
	cover := CoveringSupernet(append([]netip.Prefix{current}, want...)...)
	if IsRFC1918(cover) {
		return msg + fmt.Sprintf("Choose a %s inside %s, or use a new network whose range covers both, such as %s", what, max, cover)
	}
	return msg + fmt.Sprintf("No RFC1918 range covers %s together with %s; choose a %s inside %s, or a network in the same RFC1918 block as %s",
		current, strings.Join(list, ", "), what, max, strings.Join(list, ", "))
}

// rfc1918Block returns the RFC1918 block containing p, for hints.
func rfc1918Block(p netip.Prefix) netip.Prefix {
	for _, r := range rfc1918 {
		if Contains(r, p) {
			return r
		}
	}
	return p
}
