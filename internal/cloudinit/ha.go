package cloudinit

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strings"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// High availability: two gateway servers share one public endpoint, a
// Hetzner Floating IP, because Azure cannot take two static-routing devices
// announcing the same prefixes (docs/facts/hetzner.md, "Floating IP
// failover"; ecosystem-2026.md §5). keepalived elects the active server over
// the private network and its notify script moves the Floating IP and the
// network route through the Hetzner API. The script runs on the server, so
// it needs an API token there.

// Paths of the files HA mode adds.
const (
	// KeepalivedConfPath is Debian's default configuration path, so the
	// packaged keepalived.service reads it without a drop-in.
	KeepalivedConfPath = "/etc/keepalived/keepalived.conf"
	// FailoverScriptPath is the notify script keepalived runs on every
	// state change. /usr/local/sbin is root-owned all the way up, which
	// keepalived's enable_script_security insists on.
	FailoverScriptPath = "/usr/local/sbin/crosscloud-failover"
	// APITokenPath holds the Hetzner API token as a curl config file
	// (a header line), so the token never appears on a command line that
	// ps or /proc/*/cmdline would show. Root-only, 0600.
	APITokenPath = "/etc/crosscloud/hcloud-api.curlrc"
	// KeepalivedUnitName is the unit Debian 12's keepalived package ships.
	KeepalivedUnitName = "keepalived.service"
	// DefaultAPIEndpoint is Hetzner Cloud's public API.
	DefaultAPIEndpoint = "https://api.hetzner.cloud/v1"
	// ReadyLabel is the label a gateway of a pair puts on its own server
	// (value "true") once keepalived runs, so it can take over. An apply
	// that rolls the pair replaces the active server only after the
	// other one carries it; a new server never has it, because Terraform
	// creates servers with its own labels only.
	ReadyLabel = "crosscloud.dev/gateway-ready"
	// VirtualRouterID is the VRRP router ID both servers of a pair use.
	// Unicast adverts reach only the named peer, so pairs of different
	// links on one network cannot collide and a constant is enough.
	VirtualRouterID = 51
	// maxTokenLen bounds the token; Hetzner's are 64 characters
	// (unverified: the documentation shows but does not specify them).
	maxTokenLen = 512
)

// HA is the failover part of one gateway of a pair. Both servers of a pair
// get the same FloatingIP, FloatingIPID, NetworkID, RouteDestinations and
// APIEndpoint, and mirrored PrivateIP / PeerPrivateIP.
type HA struct {
	// PrivateIP is this server's address on the Hetzner network: the
	// source of its VRRP adverts and the gateway the route moves to.
	PrivateIP netip.Addr
	// PeerPrivateIP is the other gateway's address on the same network.
	PeerPrivateIP netip.Addr
	// Priority (1-254) decides the first election: the higher one becomes
	// active. Both servers start as BACKUP with nopreempt, so a recovered
	// server never takes the address back: every failover costs a tunnel
	// re-negotiation, and one is enough. The two must differ.
	Priority int
	// FloatingIP is the pair's public IPv4: the Azure local network
	// gateway's address and strongSwan's local address and identity, so
	// Gateway.LocalAddress must equal it.
	FloatingIP netip.Addr
	// FloatingIPID is its Hetzner ID, for the assign call.
	FloatingIPID int64
	// NetworkID is the Hetzner network whose routes point at the active
	// gateway.
	NetworkID int64
	// RouteDestinations are the route destinations moved on failover (the
	// Azure prefixes).
	RouteDestinations []netip.Prefix
	// APIEndpoint is the Hetzner API's base URL; empty means
	// DefaultAPIEndpoint. The lab points it at the emulator.
	APIEndpoint string
	// APIToken is a Hetzner API token with write access to the project.
	// It is written only to APITokenPath; it never prints (see Token).
	APIToken Token
}

// Token is a secret that refuses to print: every fmt verb, including %#v
// and %x, writes "[redacted]", so a Gateway or HA logged by mistake does not
// leak it. Use string(t) where the value is really needed.
type Token string

// Format implements fmt.Formatter.
func (Token) Format(f fmt.State, _ rune) { fmt.Fprint(f, "[redacted]") }

// String and GoString keep non-fmt printers (and %v of a containing
// struct through them) from reaching the value too.
func (Token) String() string   { return "[redacted]" }
func (Token) GoString() string { return "[redacted]" }

// String describes the HA input without the token.
func (h HA) String() string {
	return fmt.Sprintf("HA{PrivateIP: %s, PeerPrivateIP: %s, Priority: %d, FloatingIP: %s (id %d), NetworkID: %d, RouteDestinations: %v, APIEndpoint: %q, APIToken: [redacted]}",
		h.PrivateIP, h.PeerPrivateIP, h.Priority, h.FloatingIP, h.FloatingIPID, h.NetworkID, h.RouteDestinations, h.endpoint())
}

// GoString is String, so %#v cannot print the token either.
func (h HA) GoString() string { return h.String() }

func (h HA) endpoint() string {
	if h.APIEndpoint == "" {
		return DefaultAPIEndpoint
	}
	return strings.TrimRight(h.APIEndpoint, "/")
}

// endpointRE keeps the endpoint safe inside a single-quoted shell word and
// a URL curl takes as is: no quotes, spaces, '$' or '`'.
var endpointRE = regexp.MustCompile(`^[A-Za-z0-9._~:/%@\[\]-]+$`)

// validateHA checks g.HA; add is Validate's collector. Field names are
// under "HA" so callers map them to the HA attributes.
func validateHA(g Gateway, add func(p attrerr.Path, format string, args ...any)) {
	h := g.HA
	checkPrivate := func(field attrerr.Path, a netip.Addr) bool {
		switch {
		case !a.IsValid():
			add(field, "is not set: keepalived needs both gateways' private IPv4 addresses on the Hetzner network")
		case !a.Is4() || !a.IsPrivate():
			add(field, "%s is not a private IPv4 address: VRRP runs over the Hetzner network, use the server's address there", a)
		default:
			return true
		}
		return false
	}
	okSelf := checkPrivate(attrerr.At("HA", "PrivateIP"), h.PrivateIP)
	okPeer := checkPrivate(attrerr.At("HA", "PeerPrivateIP"), h.PeerPrivateIP)
	if okSelf && okPeer && h.PrivateIP == h.PeerPrivateIP {
		add(attrerr.At("HA", "PeerPrivateIP"), "%s equals HA.PrivateIP: the two gateways need different private addresses", h.PeerPrivateIP)
	}
	if h.Priority < 1 || h.Priority > 254 {
		add(attrerr.At("HA", "Priority"), "%d is outside 1..254 (VRRP reserves 255 for an address owner; give the two gateways different priorities)", h.Priority)
	}
	switch fip := h.FloatingIP.Unmap(); {
	case !fip.IsValid():
		add(attrerr.At("HA", "FloatingIP"), "is not set: the pair needs the Floating IP's IPv4 address")
	case !fip.Is4():
		add(attrerr.At("HA", "FloatingIP"), "%s is not IPv4: the tunnel runs between public IPv4 addresses", fip)
	case g.LocalAddress.IsValid() && g.LocalAddress.Unmap() != fip:
		add(attrerr.At("LocalAddress"), "%s is not HA.FloatingIP %s: with HA both gateways use the Floating IP as their IKE address and identity; set LocalAddress to it", g.LocalAddress, fip)
	}
	if h.FloatingIPID <= 0 {
		add(attrerr.At("HA", "FloatingIPID"), "%d is not a Hetzner ID: pass the Floating IP's ID", h.FloatingIPID)
	}
	if h.NetworkID <= 0 {
		add(attrerr.At("HA", "NetworkID"), "%d is not a Hetzner ID: pass the ID of the network whose routes move", h.NetworkID)
	}
	if len(h.RouteDestinations) == 0 {
		add(attrerr.At("HA", "RouteDestinations"), "is empty: list the route destinations (the Azure prefixes) the active gateway takes over")
	}
	for i, p := range h.RouteDestinations {
		if !p.IsValid() || !p.Addr().Is4() || p != p.Masked() {
			add(attrerr.At("HA", "RouteDestinations").Index(i), "%s is not a masked IPv4 prefix: use CIDR notation such as 10.1.0.0/16", p)
		}
	}
	if u, err := url.Parse(h.endpoint()); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || !endpointRE.MatchString(h.endpoint()) {
		add(attrerr.At("HA", "APIEndpoint"), "%q is not a plain http(s) base URL such as %q", h.APIEndpoint, DefaultAPIEndpoint)
	}
	// Never echo the token: only its length and a position.
	switch t := string(h.APIToken); {
	case t == "":
		add(attrerr.At("HA", "APIToken"), "is empty: the gateways need a Hetzner API token with write access to move the Floating IP and the route")
	case len(t) > maxTokenLen:
		add(attrerr.At("HA", "APIToken"), "is %d characters long; at most %d are accepted", len(t), maxTokenLen)
	default:
		for i := 0; i < len(t); i++ {
			if c := t[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
				add(attrerr.At("HA", "APIToken"), "has a character at position %d that is not printable ASCII or is a quote or backslash; Hetzner tokens are letters and digits", i+1)
				break
			}
		}
	}
}
