package cloudinit

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// Validate's problems are *attrerr.Error values whose path is the Gateway
// field, with an index for list elements (At("RemotePrefixes").Index(1)),
// joined, so a resource can map the field to its own attribute path and
// show each problem where the user typed the value.

var (
	// nameRE mirrors the link name rule: it becomes a file name and a
	// swanctl section name, both of which must stay unquoted and portable.
	nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	// proposalRE accepts strongSwan proposal lists: keywords joined by '-',
	// proposals joined by ','. Anything else (spaces, braces, '=', '#',
	// newlines) could break out of the value in swanctl.conf.
	proposalRE = regexp.MustCompile(`^[a-z0-9_]+(-[a-z0-9_]+)*(,[a-z0-9_]+(-[a-z0-9_]+)*)*$`)
)

// Validate reports every problem with g at once, after applying defaults to
// zero-valued tunables. Render and SwanctlConf call it, so invalid input never
// reaches a server; callers may call it earlier (plan time) for diagnostics.
func (g Gateway) Validate() error {
	g = g.withDefaults()
	var errs []*attrerr.Error
	add := func(field attrerr.Path, format string, args ...any) {
		errs = append(errs, attrerr.New(field, format, args...))
	}

	switch {
	case g.ConnectionName == "":
		add(attrerr.At("ConnectionName"), "is empty: set a name of lowercase letters, digits and '-'")
	case len(g.ConnectionName) > maxNameLen || !nameRE.MatchString(g.ConnectionName):
		add(attrerr.At("ConnectionName"), "%q is not usable as a swanctl connection and file name: use 1-%d lowercase letters, digits and '-', starting with a letter or digit",
			g.ConnectionName, maxNameLen)
	}

	checkAddr := func(field attrerr.Path, a netip.Addr) {
		switch {
		case !a.IsValid():
			add(field, "is not set: the gateway needs both public IPv4 addresses for IKE")
		case !a.Is4():
			add(field, "%s is not IPv4: the tunnel runs between public IPv4 addresses", a)
		case a.IsUnspecified() || a.IsLoopback() || a.IsMulticast():
			add(field, "%s cannot be an IKE peer address: use the server's or gateway's public IPv4", a)
		}
	}
	checkAddr(attrerr.At("LocalAddress"), g.LocalAddress)
	checkAddr(attrerr.At("RemoteAddress"), g.RemoteAddress)
	if g.LocalAddress.IsValid() && g.LocalAddress == g.RemoteAddress {
		add(attrerr.At("RemoteAddress"), "%s equals LocalAddress: the Azure gateway and the Hetzner server need different public IPs", g.RemoteAddress)
	}

	endpoints := []netip.Addr{g.LocalAddress, g.RemoteAddress}
	if a := g.SecondRemoteAddress; a.IsValid() {
		// Zero means one Azure instance; a set address must be a second,
		// distinct peer, or both tunnels would go to one instance and the
		// link would go down during its maintenance.
		checkAddr(attrerr.At("SecondRemoteAddress"), a)
		switch {
		case a == g.RemoteAddress:
			add(attrerr.At("SecondRemoteAddress"), "%s equals RemoteAddress: an active-active Azure gateway has a different public IP per instance; pass the second instance's", a)
		case a == g.LocalAddress:
			add(attrerr.At("SecondRemoteAddress"), "%s equals LocalAddress: the Azure gateway and the Hetzner server need different public IPs", a)
		}
		endpoints = append(endpoints, a)
	}
	checkPrefixes("LocalPrefixes", g.LocalPrefixes, endpoints, add)
	checkPrefixes("RemotePrefixes", g.RemotePrefixes, endpoints, add)
	both := append(usable(g.LocalPrefixes, 0), usable(g.RemotePrefixes, 1)...)
	for _, o := range overlaps(both) {
		l, r := o[0], o[1]
		if l.list == r.list {
			continue // reported per list by checkPrefixes
		}
		if l.list == 1 {
			l, r = r, l
		}
		add(attrerr.At("RemotePrefixes").Index(r.index), "%s overlaps LocalPrefixes[%d] %s: traffic selectors on both sides must be disjoint, or packets cannot be routed into the tunnel",
			r.p, l.index, l.p)
	}

	checkProposal := func(field attrerr.Path, p string) {
		switch {
		case p == "":
			add(field, "is empty: give the strongSwan proposal that mirrors the Azure IPsec policy, e.g. \"aes256gcm16-prfsha384-ecp384\"")
		case !proposalRE.MatchString(p):
			add(field, "%q is not a strongSwan proposal list: use lowercase keywords joined by '-' (several proposals joined by ',')", p)
		case strings.Contains(","+p+",", ",default,"):
			add(field, "%q contains \"default\": list the algorithms explicitly so both sides agree on one suite", p)
		}
	}
	checkProposal(attrerr.At("IKEProposal"), g.IKEProposal)
	checkProposal(attrerr.At("ESPProposal"), g.ESPProposal)

	checkDuration := func(field attrerr.Path, d, lo, hi time.Duration) {
		switch {
		case d%time.Second != 0:
			add(field, "%s is not a whole number of seconds: swanctl.conf takes seconds", d)
		case d < lo || (hi > 0 && d > hi):
			if hi > 0 {
				add(field, "%s is outside %s..%s", d, lo, hi)
			} else {
				add(field, "%s is shorter than the minimum %s", d, lo)
			}
		}
	}
	checkDuration(attrerr.At("ChildLifetime"), g.ChildLifetime, MinLifetime, 0)
	checkDuration(attrerr.At("IKERekey"), g.IKERekey, MinLifetime, MaxIKERekey)
	checkDuration(attrerr.At("DPDDelay"), g.DPDDelay, time.Second, time.Hour)

	if g.PrivateInterfaceMSS < MinMSS || g.PrivateInterfaceMSS > MaxMSS {
		add(attrerr.At("PrivateInterfaceMSS"), "%d is outside %d..%d; Azure requires %d", g.PrivateInterfaceMSS, MinMSS, MaxMSS, DefaultMSS)
	}

	if msg := sharedKeyProblem(g.SharedKey); msg != "" {
		add(attrerr.At("SharedKey"), "%s", msg)
	}
	if g.HA != nil {
		validateHA(g, add)
	}
	return attrerr.Join(errs)
}

// checkPrefixes validates one traffic selector list.
func checkPrefixes(field string, ps []netip.Prefix, endpoints []netip.Addr, add func(attrerr.Path, string, ...any)) {
	if len(ps) == 0 {
		add(attrerr.At(field), "is empty: the tunnel needs at least one prefix on each side")
	}
	for i, p := range ps {
		f := attrerr.At(field).Index(i)
		switch {
		case !p.IsValid():
			add(f, "is not a valid prefix: use CIDR notation such as 10.0.1.0/24")
			continue
		case !p.Addr().Is4():
			add(f, "%s is not IPv4: the tunnel carries IPv4 only", p)
			continue
		case p != p.Masked():
			add(f, "%s has host bits set: use %s", p, p.Masked())
			continue
		}
		for _, a := range endpoints {
			if a.IsValid() && p.Contains(a) {
				add(f, "%s contains the tunnel endpoint %s: packets to the peer would be routed into the tunnel itself; use narrower prefixes", p, a)
			}
		}
	}
	for _, o := range overlaps(usable(ps, 0)) {
		a, b := o[0], o[1]
		if a.index > b.index {
			a, b = b, a
		}
		add(attrerr.At(field).Index(b.index), "%s overlaps %s[%d] %s: list each range once, without nesting", b.p, field, a.index, a.p)
	}
}

// indexed is a prefix with where it came from, for error messages.
type indexed struct {
	p           netip.Prefix
	list, index int
}

// usable returns the prefixes of ps that passed the per-prefix checks.
func usable(ps []netip.Prefix, list int) []indexed {
	var out []indexed
	for i, p := range ps {
		if p.IsValid() && p.Addr().Is4() && p == p.Masked() {
			out = append(out, indexed{p, list, i})
		}
	}
	return out
}

// overlaps returns pairs {container, contained} of overlapping prefixes in
// O(n log n), so a plan with thousands of prefixes fails fast on the size
// limit instead of spending minutes here. CIDR blocks are either nested or
// disjoint, so after sorting by start address (wider first) a prefix overlaps
// an earlier one exactly when the last non-nested prefix contains its start.
// Every list with an overlap yields at least one pair, not every pair.
func overlaps(ps []indexed) [][2]indexed {
	ps = slices.Clone(ps)
	slices.SortStableFunc(ps, func(a, b indexed) int {
		if c := a.p.Addr().Compare(b.p.Addr()); c != 0 {
			return c
		}
		return a.p.Bits() - b.p.Bits()
	})
	var out [][2]indexed
	for i, cur := 1, 0; i < len(ps); i++ {
		if ps[cur].p.Contains(ps[i].p.Addr()) {
			out = append(out, [2]indexed{ps[cur], ps[i]})
		} else {
			cur = i
		}
	}
	return out
}

// sharedKeyProblem applies Azure's rule for connection shared keys, so a key
// that passes here is one Azure will accept too.
func sharedKeyProblem(k string) string {
	if k == "" {
		return "is empty: set a pre-shared key or let the provider generate one"
	}
	if len(k) > maxSharedKeyLen {
		return fmt.Sprintf("is %d characters long; Azure accepts at most %d", len(k), maxSharedKeyLen)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c > '~' || c == '-' || c == '~' {
			return fmt.Sprintf("has a forbidden character at position %d: Azure allows printable ASCII except space, '-' and '~'", i+1)
		}
	}
	return ""
}
