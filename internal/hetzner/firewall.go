package hetzner

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// FirewallSpec is the gateway server's firewall: IKE (udp 500, udp 4500)
// and ESP from the Azure gateway only, SSH only from SSHCIDRs (none means
// SSH stays closed, since inbound traffic is denied unless a rule allows it).
type FirewallSpec struct {
	Name     string
	PeerIPv4 netip.Addr
	// SecondPeerIPv4 is the second instance of an active-active Azure
	// gateway, admitted by the same rules; zero for one instance.
	SecondPeerIPv4 netip.Addr
	SSHCIDRs       []netip.Prefix
	Labels         map[string]string
}

// Rules returns the inbound rules the spec asks for, in a fixed order.
func (s FirewallSpec) Rules() []hcloud.FirewallRule {
	peer := []net.IPNet{*ipNet(netip.PrefixFrom(s.PeerIPv4, s.PeerIPv4.BitLen()))}
	if s.SecondPeerIPv4.IsValid() {
		peer = append(peer, *ipNet(netip.PrefixFrom(s.SecondPeerIPv4, s.SecondPeerIPv4.BitLen())))
	}
	in := func(proto hcloud.FirewallRuleProtocol, port, desc string, src []net.IPNet) hcloud.FirewallRule {
		r := hcloud.FirewallRule{Direction: hcloud.FirewallRuleDirectionIn, Protocol: proto, SourceIPs: src, Description: new(desc)}
		if port != "" {
			r.Port = new(port)
		}
		return r
	}
	rules := []hcloud.FirewallRule{
		in(hcloud.FirewallRuleProtocolUDP, "500", "IKE from the Azure VPN gateway", peer),
		in(hcloud.FirewallRuleProtocolUDP, "4500", "IKE NAT-T / ESP-in-UDP from the Azure VPN gateway", peer),
		in(hcloud.FirewallRuleProtocolESP, "", "ESP from the Azure VPN gateway", peer),
	}
	if len(s.SSHCIDRs) > 0 {
		src := make([]net.IPNet, 0, len(s.SSHCIDRs))
		for _, p := range s.SSHCIDRs {
			src = append(src, *ipNet(p))
		}
		rules = append(rules, in(hcloud.FirewallRuleProtocolTCP, "22", "SSH from ssh_allowed_cidrs", src))
	}
	return rules
}

// FirewallDrift lists, in words a user can act on, how the firewall's rules
// differ from the spec (descriptions and ordering are ignored). Empty means
// the firewall is as the link wants it.
func FirewallDrift(fw *hcloud.Firewall, spec FirewallSpec) []string {
	if fw == nil {
		return []string{"firewall is missing"}
	}
	want := ruleKeys(spec.Rules())
	got := ruleKeys(fw.Rules)
	var out []string
	for _, k := range want {
		if !slices.Contains(got, k) {
			out = append(out, "rule missing: "+k)
		}
	}
	for _, k := range got {
		if !slices.Contains(want, k) {
			out = append(out, "unexpected rule: "+k)
		}
	}
	return out
}

// ruleKeys renders rules as canonical, sorted one-line strings such as
// "in udp 500 from 198.51.100.7/32".
func ruleKeys(rules []hcloud.FirewallRule) []string {
	keys := make([]string, 0, len(rules))
	for _, r := range rules {
		var b strings.Builder
		b.WriteString(string(r.Direction) + " " + string(r.Protocol))
		if r.Port != nil && *r.Port != "" {
			b.WriteString(" " + *r.Port)
		}
		ips, word := r.SourceIPs, "from"
		if r.Direction == hcloud.FirewallRuleDirectionOut {
			ips, word = r.DestinationIPs, "to"
		}
		var cidrs []string
		for _, n := range ips {
			if p, ok := prefixOf(&n); ok {
				cidrs = append(cidrs, p.String())
			} else {
				cidrs = append(cidrs, n.String())
			}
		}
		slices.Sort(cidrs)
		b.WriteString(" " + word + " " + strings.Join(slices.Compact(cidrs), ","))
		keys = append(keys, b.String())
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// EnsureFirewall returns the firewall named spec.Name with exactly the
// spec's rules: created when absent, adopted when it carries our labels, and
// its rules replaced (set_rules) when they drifted.
func EnsureFirewall(ctx context.Context, c *hcloud.Client, spec FirewallSpec) (*hcloud.Firewall, error) {
	what := fmt.Sprintf("firewall %q", spec.Name)
	if !spec.PeerIPv4.Is4() {
		return nil, fmt.Errorf("%s: the Azure gateway's public IPv4 is not known (got %v); it is needed for the IKE rules", what, spec.PeerIPv4)
	}
	return ensureByName(ctx, what, spec.Name, byName[hcloud.Firewall]{
		lookup: c.Firewall.GetByName,
		adopt: func(ctx context.Context, fw *hcloud.Firewall) error {
			if err := adopt("firewall", spec.Name, fw.ID, spec.Labels, fw.Labels); err != nil {
				return err
			}
			if len(FirewallDrift(fw, spec)) == 0 {
				return nil
			}
			actions, _, err := c.Firewall.SetRules(ctx, fw, hcloud.FirewallSetRulesOpts{Rules: spec.Rules()})
			if err != nil {
				return fmt.Errorf("set_rules: %w", err)
			}
			if err := settleAll(ctx, c, actions, what+": set_rules"); err != nil {
				return err
			}
			fw.Rules = spec.Rules()
			return nil
		},
		create: func(ctx context.Context) (*hcloud.Firewall, error) {
			res, _, err := c.Firewall.Create(ctx, hcloud.FirewallCreateOpts{Name: spec.Name, Labels: spec.Labels, Rules: spec.Rules()})
			if err != nil {
				return nil, err
			}
			return res.Firewall, settleAll(ctx, c, res.Actions, what+": create")
		},
	})
}

// GetFirewall reads a firewall; (nil, nil) means it is gone.
func GetFirewall(ctx context.Context, c *hcloud.Client, id int64) (*hcloud.Firewall, error) {
	return get(ctx, fmt.Sprintf("read firewall %d", id), c.Firewall.GetByID, id)
}

// DeleteFirewall detaches the firewall from whatever it is still applied to
// (Hetzner refuses to delete a firewall in use) and deletes it; not found
// counts as success.
func DeleteFirewall(ctx context.Context, c *hcloud.Client, id int64) error {
	what := fmt.Sprintf("delete firewall %d", id)
	return Retry(ctx, what, func(ctx context.Context) error {
		fw, _, err := c.Firewall.GetByID(ctx, id)
		if err != nil || fw == nil {
			return err
		}
		if len(fw.AppliedTo) > 0 {
			// A server deleted moments ago is still listed for a while;
			// removing it answers firewall_resource_not_found ("Resource a
			// firewall should be ... detached from not found"), which
			// terraform-provider-hcloud treats as done, or not_found
			// (terraform-provider-hcloud#1379). Either way it is gone; the
			// delete below waits (resource_in_use) until the list is empty.
			actions, _, err := c.Firewall.RemoveResources(ctx, fw, detachable(fw.AppliedTo))
			if err != nil && !hcloud.IsError(err, hcloud.ErrorCodeNotFound, hcloud.ErrorCodeFirewallResourceNotFound) {
				return fmt.Errorf("%s: remove_from_resources: %w", what, err)
			}
			if err := settleAll(ctx, c, actions, what+": remove_from_resources"); err != nil {
				return err
			}
		}
		_, err = c.Firewall.Delete(ctx, fw)
		if hcloud.IsError(err, hcloud.ErrorCodeResourceInUse) {
			// Still detaching (or applied again meanwhile): try again, as
			// terraform-provider-hcloud does ("Removing resources from the
			// firewall can sometimes take longer"), within the busy budget.
			return hcloud.Error{Code: hcloud.ErrorCodeConflict, Message: err.Error()}
		}
		return deleted(what, err)
	})
}

// detachable strips the read-only expansion of label selectors, which the
// remove_from_resources request does not accept.
func detachable(res []hcloud.FirewallResource) []hcloud.FirewallResource {
	out := make([]hcloud.FirewallResource, 0, len(res))
	for _, r := range res {
		out = append(out, hcloud.FirewallResource{Type: r.Type, Server: r.Server, LabelSelector: r.LabelSelector})
	}
	return out
}
