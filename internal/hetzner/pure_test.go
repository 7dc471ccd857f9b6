package hetzner

import (
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
)

func cidr(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

func TestOwned(t *testing.T) {
	ours := Labels("hel1-weu")
	tests := []struct {
		name      string
		want, got map[string]string
		owned     bool
	}{
		{"same link and marker", ours, map[string]string{LabelLink: "hel1-weu", LabelManagedBy: ManagedBy, "team": "net"}, true},
		{"no labels at all", ours, nil, false},
		{"other link", ours, Labels("fsn1-neu"), false},
		{"link label but not managed by us", ours, map[string]string{LabelLink: "hel1-weu", LabelManagedBy: "someone-else"}, false},
		{"marker without link", ours, map[string]string{LabelManagedBy: ManagedBy}, false},
		{"spec without link label owns nothing", map[string]string{}, map[string]string{LabelLink: "", LabelManagedBy: ManagedBy}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Owned(tt.want, tt.got); got != tt.owned {
				t.Fatalf("Owned(%v, %v) = %v, want %v", tt.want, tt.got, got, tt.owned)
			}
		})
	}
}

func TestAdoptRefusesForeignWithActionableMessage(t *testing.T) {
	err := adopt("firewall", "hel1-weu-gw-fw", 42, Labels("hel1-weu"), map[string]string{"owner": "ops"})
	var fe *ownership.Error
	if !errors.As(err, &fe) {
		t.Fatalf("want *ownership.Error, got %v", err)
	}
	for _, want := range []string{`Hetzner firewall "hel1-weu-gw-fw"`, "ID 42", `link "hel1-weu"`, LabelLink + "=hel1-weu", LabelManagedBy + "=" + ManagedBy, "Rename the link, or delete"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	if IsTransient(err) {
		t.Error("a foreign object must not be retried")
	}
	if err := adopt("firewall", "x", 1, Labels("l"), Labels("l")); err != nil {
		t.Fatalf("own object refused: %v", err)
	}
}

func TestNetworkFacts(t *testing.T) {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	tests := []struct {
		name    string
		n       *hcloud.Network
		rng     netip.Prefix
		subnets []netip.Prefix
		routes  []addrplan.Route
	}{
		{name: "nil network", n: nil},
		{
			name: "original setup",
			n: &hcloud.Network{
				IPRange: cidr("10.0.0.0/12"),
				Subnets: []hcloud.NetworkSubnet{{IPRange: cidr("10.0.1.0/24")}, {IPRange: cidr("10.0.2.0/24")}},
				Routes:  []hcloud.NetworkRoute{{Destination: cidr("10.1.0.0/16"), Gateway: net.ParseIP("10.0.1.1")}},
			},
			rng:     p("10.0.0.0/12"),
			subnets: []netip.Prefix{p("10.0.1.0/24"), p("10.0.2.0/24")},
			routes:  []addrplan.Route{{Destination: p("10.1.0.0/16"), Gateway: a("10.0.1.1")}},
		},
		{
			// net.ParseIP yields 16-byte IPv4-in-IPv6 addresses; addrplan
			// compares against plain IPv4, so they must be unmapped.
			name: "16-byte IPs are unmapped",
			n: &hcloud.Network{
				IPRange: &net.IPNet{IP: net.ParseIP("192.168.0.0"), Mask: net.CIDRMask(16, 32)},
				Routes:  []hcloud.NetworkRoute{{Destination: cidr("0.0.0.0/0"), Gateway: net.ParseIP("192.168.0.2").To16()}},
			},
			rng:    p("192.168.0.0/16"),
			routes: []addrplan.Route{{Destination: addrplan.DefaultRoute, Gateway: a("192.168.0.2")}},
		},
		{
			name: "malformed entries are skipped",
			n: &hcloud.Network{
				IPRange: cidr("10.0.0.0/8"),
				Subnets: []hcloud.NetworkSubnet{{IPRange: nil}},
				Routes:  []hcloud.NetworkRoute{{Destination: cidr("10.9.0.0/16"), Gateway: nil}},
			},
			rng: p("10.0.0.0/8"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng, subnets, routes := NetworkFacts(tt.n)
			if rng != tt.rng || !slices.Equal(subnets, tt.subnets) || !slices.Equal(routes, tt.routes) {
				t.Fatalf("NetworkFacts = %v %v %v, want %v %v %v", rng, subnets, routes, tt.rng, tt.subnets, tt.routes)
			}
		})
	}
}

func TestFirewallDrift(t *testing.T) {
	spec := FirewallSpec{
		Name: "l-gw-fw", PeerIPv4: netip.MustParseAddr("198.51.100.7"),
		SSHCIDRs: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("192.0.2.10/32")},
	}
	exact := spec.Rules()
	reordered := slices.Clone(exact)
	slices.Reverse(reordered)
	reordered[0].SourceIPs = []net.IPNet{*cidr("192.0.2.10/32"), *cidr("203.0.113.0/24")}
	reordered[1].Description = new("edited by hand")
	noSSH := FirewallSpec{Name: spec.Name, PeerIPv4: spec.PeerIPv4}
	openSSH := append(slices.Clone(noSSH.Rules()), hcloud.FirewallRule{
		Direction: hcloud.FirewallRuleDirectionIn, Protocol: hcloud.FirewallRuleProtocolTCP, Port: new("22"),
		SourceIPs: []net.IPNet{*cidr("0.0.0.0/0")},
	})
	otherPeer := FirewallSpec{PeerIPv4: netip.MustParseAddr("198.51.100.8")}.Rules()
	// An active-active Azure gateway: both instances in every IKE/IPsec rule.
	twoPeers := FirewallSpec{Name: spec.Name, PeerIPv4: spec.PeerIPv4, SecondPeerIPv4: netip.MustParseAddr("198.51.100.9")}

	tests := []struct {
		name  string
		spec  FirewallSpec
		rules []hcloud.FirewallRule
		want  []string
	}{
		{"identical", spec, exact, nil},
		{"order, source order and descriptions do not matter", spec, reordered, nil},
		{"rule removed by hand", spec, exact[1:], []string{"rule missing: in udp 500 from 198.51.100.7/32"}},
		{"SSH opened to the world", noSSH, openSSH, []string{"unexpected rule: in tcp 22 from 0.0.0.0/0"}},
		{"peer address changed", noSSH, otherPeer, []string{
			"rule missing: in esp from 198.51.100.7/32",
			"rule missing: in udp 4500 from 198.51.100.7/32",
			"rule missing: in udp 500 from 198.51.100.7/32",
			"unexpected rule: in esp from 198.51.100.8/32",
			"unexpected rule: in udp 4500 from 198.51.100.8/32",
			"unexpected rule: in udp 500 from 198.51.100.8/32",
		}},
		{"both Azure instances admitted", twoPeers, twoPeers.Rules(), nil},
		{"second Azure instance dropped by hand", twoPeers, noSSH.Rules(), []string{
			"rule missing: in esp from 198.51.100.7/32,198.51.100.9/32",
			"rule missing: in udp 4500 from 198.51.100.7/32,198.51.100.9/32",
			"rule missing: in udp 500 from 198.51.100.7/32,198.51.100.9/32",
			"unexpected rule: in esp from 198.51.100.7/32",
			"unexpected rule: in udp 4500 from 198.51.100.7/32",
			"unexpected rule: in udp 500 from 198.51.100.7/32",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FirewallDrift(&hcloud.Firewall{Rules: tt.rules}, tt.spec)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("FirewallDrift = %q, want %q", got, tt.want)
			}
		})
	}
	if got := FirewallDrift(nil, spec); len(got) != 1 {
		t.Fatalf("a missing firewall must be reported as drift, got %q", got)
	}
}

func TestFirewallSpecRulesSSHClosedByDefault(t *testing.T) {
	rules := FirewallSpec{PeerIPv4: netip.MustParseAddr("198.51.100.7")}.Rules()
	for _, r := range rules {
		if r.Direction != hcloud.FirewallRuleDirectionIn {
			t.Errorf("unexpected outbound rule %v: an out rule would block all other outbound traffic", r)
		}
		if r.Port != nil && *r.Port == "22" {
			t.Errorf("SSH open although ssh_allowed_cidrs is empty: %v", r)
		}
	}
	if got := ruleKeys(rules); len(got) != 3 {
		t.Fatalf("want the 3 IKE/IPsec rules, got %q", got)
	}
}

// The primary asks for its pre-created primary IP (Azure already knows
// it); an HA standby asks for none, so Hetzner assigns one that is deleted
// with the server instead of one the link would have to track.
func TestServerCreateOptsPublicIPv4(t *testing.T) {
	withIP := serverCreateOpts(ServerSpec{Name: "l-gw", PrimaryIPID: 42})
	if ip := withIP.PublicNet.IPv4; ip == nil || ip.ID != 42 || !withIP.PublicNet.EnableIPv4 {
		t.Fatalf("primary server: public net %+v, want primary IP 42", withIP.PublicNet)
	}
	auto := serverCreateOpts(ServerSpec{Name: "l-gw-b"})
	if auto.PublicNet.IPv4 != nil || !auto.PublicNet.EnableIPv4 || auto.PublicNet.EnableIPv6 {
		t.Fatalf("standby server: public net %+v, want an automatic IPv4 and no IPv6", auto.PublicNet)
	}
}
