package hcloudsim

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// maxRulesPerFirewall: "Rules are limited to 50 entries per Firewall and
// 500 effective rules" (API reference of set_rules, reproduced by glama
// the-real-hetzner-mcp hcloud_firewall_set_rules_action). The FAQ's "500
// rules per firewall" counts effective rules (each source / destination
// and port); the emulator enforces the 50 entries.
const maxRulesPerFirewall = 50

// firewalls is the kind of /firewalls (kind.go).
var firewalls = &kindOf[schema.Firewall, schema.Firewall]{
	typ: "firewall", label: "firewall",
	items:      func(st *state) map[int64]*schema.Firewall { return st.Firewalls },
	meta:       func(f *schema.Firewall) meta { return meta{f.ID, &f.Name, &f.Labels, f.Created} },
	view:       (*Server).firewallView,
	sorts:      []string{"name", "created"},
	getBody:    func(v schema.Firewall) any { return schema.FirewallGetResponse{Firewall: v} },
	updateBody: func(v schema.Firewall) any { return schema.FirewallUpdateResponse{Firewall: v} },
	listBody:   func(page []schema.Firewall) any { return schema.FirewallListResponse{Firewalls: page} },
}

func serverResource(id int64) schema.FirewallResource {
	return schema.FirewallResource{Type: "server", Server: &schema.FirewallResourceServer{ID: id}}
}

// firewallApplies tells whether f covers server r, directly or through a
// label selector.
func (s *Server) firewallApplies(f *schema.Firewall, r *serverRec) bool {
	for _, res := range f.AppliedTo {
		if res.Server != nil && res.Server.ID == r.Server.ID {
			return true
		}
		if res.LabelSelector != nil {
			if sel, err := parseSelector(res.LabelSelector.Selector); err == nil && sel.matches(r.Server.Labels) {
				return true
			}
		}
	}
	return false
}

func (s *Server) firewallView(f *schema.Firewall) schema.Firewall {
	v := *f
	v.Labels = labelsOrEmpty(&f.Labels)
	v.Rules = make([]schema.FirewallRule, 0, len(f.Rules))
	for _, r := range f.Rules {
		r.SourceIPs = append([]string{}, r.SourceIPs...)
		r.DestinationIPs = append([]string{}, r.DestinationIPs...)
		v.Rules = append(v.Rules, r)
	}
	v.AppliedTo = make([]schema.FirewallResource, 0, len(f.AppliedTo))
	for _, res := range f.AppliedTo {
		c := res
		if res.Server != nil {
			c.Server = &schema.FirewallResourceServer{ID: res.Server.ID}
		}
		if res.LabelSelector != nil {
			c.LabelSelector = &schema.FirewallResourceLabelSelector{Selector: res.LabelSelector.Selector}
			sel, _ := parseSelector(res.LabelSelector.Selector)
			c.AppliedToResources = []schema.FirewallResource{}
			for _, id := range slices.Sorted(mapsKeys(s.st.Servers)) {
				if sel.matches(s.st.Servers[id].Server.Labels) {
					c.AppliedToResources = append(c.AppliedToResources, serverResource(id))
				}
			}
		}
		v.AppliedTo = append(v.AppliedTo, c)
	}
	return v
}

// checkRules enforces docs/facts/hcloud-rules.md, "Firewalls": direction in|out, protocol
// tcp|udp|icmp|esp|gre, a port only (and always) for tcp and udp, addresses
// on the side the direction needs.
func checkRules(rules []schema.FirewallRuleRequest) ([]schema.FirewallRule, *apiError) {
	if len(rules) > maxRulesPerFirewall {
		return nil, invalidField("rules", "%d rules given; a firewall holds at most %d", len(rules), maxRulesPerFirewall)
	}
	out := make([]schema.FirewallRule, 0, len(rules))
	for i, r := range rules {
		field := fmt.Sprintf("rules[%d]", i)
		var ips []string
		switch r.Direction {
		case "in":
			if len(r.DestinationIPs) > 0 {
				return nil, invalidField(field+".destination_ips", "an inbound rule takes source_ips only")
			}
			ips = r.SourceIPs
			if len(ips) == 0 {
				return nil, invalidField(field+".source_ips", "an inbound rule needs source_ips (e.g. 0.0.0.0/0, ::/0)")
			}
		case "out":
			if len(r.SourceIPs) > 0 {
				return nil, invalidField(field+".source_ips", "an outbound rule takes destination_ips only")
			}
			ips = r.DestinationIPs
			if len(ips) == 0 {
				return nil, invalidField(field+".destination_ips", "an outbound rule needs destination_ips")
			}
		default:
			return nil, invalidField(field+".direction", "%q is not a direction; use in or out", r.Direction)
		}
		for _, ip := range ips {
			if p, err := netip.ParsePrefix(ip); err != nil || p.Masked() != p {
				return nil, invalidField(field+".ips", "%q is not a CIDR network address such as 198.51.100.7/32", ip)
			}
		}
		switch r.Protocol {
		case "tcp", "udp":
			if r.Port == nil || !validPort(*r.Port) {
				return nil, invalidField(field+".port", "protocol %s needs a port: a number, a range like 80-85, or any", r.Protocol)
			}
		case "icmp", "esp", "gre":
			if r.Port != nil {
				return nil, invalidField(field+".port", "protocol %s has no ports; remove port", r.Protocol)
			}
		default:
			return nil, invalidField(field+".protocol", "%q is not a protocol; use tcp, udp, icmp, esp or gre", r.Protocol)
		}
		out = append(out, schema.FirewallRule{Direction: r.Direction, SourceIPs: orEmpty(r.SourceIPs),
			DestinationIPs: orEmpty(r.DestinationIPs), Protocol: r.Protocol, Port: r.Port, Description: r.Description})
	}
	return out, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func validPort(p string) bool {
	if p == "any" {
		return true
	}
	lo, hi, isRange := strings.Cut(p, "-")
	a, err1 := strconv.Atoi(lo)
	b, err2 := a, error(nil)
	if isRange {
		b, err2 = strconv.Atoi(hi)
	}
	return err1 == nil && err2 == nil && a >= 1 && b <= 65535 && a <= b
}

// checkApply validates apply_to entries against servers and f's current
// targets and returns them normalised.
func (s *Server) checkApply(f *schema.Firewall, res []schema.FirewallResource) ([]schema.FirewallResource, *apiError) {
	var out []schema.FirewallResource
	for i, x := range res {
		field := fmt.Sprintf("apply_to[%d]", i)
		switch x.Type {
		case "server":
			if x.Server == nil {
				return nil, invalidField(field+".server", "a server resource needs server.id")
			}
			r, ok := s.st.Servers[x.Server.ID]
			if !ok {
				return nil, errf("firewall_resource_not_found", "server %d does not exist", x.Server.ID)
			}
			if r.Server.PublicNet.IPv4.ID == 0 && r.Server.PublicNet.IPv6.ID == 0 {
				return nil, errf("private_net_only_server", "The Server the Firewall should be applied to has no public interface (server %d)", x.Server.ID)
			}
			if f != nil && slices.ContainsFunc(f.AppliedTo, func(a schema.FirewallResource) bool { return a.Server != nil && a.Server.ID == x.Server.ID }) {
				return nil, errf("firewall_already_applied", "firewall %d is already applied to server %d", f.ID, x.Server.ID)
			}
			if n := len(s.serverView(r).PublicNet.Firewalls); n >= maxFirewallsPerServer {
				return nil, errf("resource_limit_exceeded", "server %d already has %d firewalls, the maximum", x.Server.ID, n)
			}
			out = append(out, serverResource(x.Server.ID))
		case "label_selector":
			if x.LabelSelector == nil {
				return nil, invalidField(field+".label_selector", "a label_selector resource needs label_selector.selector")
			}
			if _, err := parseSelector(x.LabelSelector.Selector); err != nil {
				return nil, err
			}
			out = append(out, schema.FirewallResource{Type: "label_selector",
				LabelSelector: &schema.FirewallResourceLabelSelector{Selector: x.LabelSelector.Selector}})
		default:
			return nil, invalidField(field+".type", "%q is not a firewall target type; use server or label_selector", x.Type)
		}
	}
	return out, nil
}

func createFirewall(c *call) (int, any, *apiError) {
	var req schema.FirewallCreateRequest
	if err := firewalls.decodeNew(c, &req, &req.Name, &req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	rules, err := checkRules(req.Rules)
	if err != nil {
		return 0, nil, err
	}
	apply, err := s.checkApply(nil, req.ApplyTo)
	if err != nil {
		return 0, nil, err
	}
	f := &schema.Firewall{Name: req.Name, Labels: labelsOrEmpty(req.Labels), Created: c.now, Rules: rules}
	f.ID = s.st.nextID("firewall")
	s.st.Firewalls[f.ID] = f
	actions := []schema.Action{}
	fref := firewalls.ref(f.ID)
	if len(rules) > 0 {
		a, _ := c.newAction("set_firewall_rules", ref{}, fref)
		a.Fail = false // the create itself is synchronous
		actions = append(actions, a.view(c.now))
	}
	for _, res := range apply {
		f.AppliedTo = append(f.AppliedTo, res)
		a, _ := c.newAction("apply_firewall", ref{}, fref, targetRef(res))
		a.Fail = false
		actions = append(actions, a.view(c.now))
	}
	c.emit("hcloud.firewall.created", f.ID)
	return http.StatusCreated, schema.FirewallCreateResponse{Firewall: s.firewallView(f), Actions: actions}, nil
}

func targetRef(res schema.FirewallResource) ref {
	if res.Server != nil {
		return ref{ID: res.Server.ID, Type: "server"}
	}
	return ref{Type: "label_selector"}
}
