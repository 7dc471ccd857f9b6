package hcloudsim

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// listMembers answers GET /networks/{id}/members (hcloud-go v2.49,
// NetworkClient.ListMembers): every server and load balancer attached, with
// its IP, alias IPs and subnet, filtered by type, subnet and status. Status
// is "attaching" while the member's attach_to_network action runs and "ok"
// otherwise; the emulator never reports "updating" or "error".
func listMembers(c *call, id int64) (int, any, *apiError) {
	s := c.s
	n, err := networks.find(s, id)
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	types, subnets, statuses := q["type"], q["subnet"], q["status"]
	subnetOf := func(ip string) string {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return ""
		}
		for _, sub := range n.Subnets {
			if netip.MustParsePrefix(sub.IPRange).Contains(a) {
				return sub.IPRange
			}
		}
		return ""
	}
	status := func(typ string, mid int64) string {
		if a := s.lockedBy(typ, mid); a != nil && a.Action.Command == "attach_to_network" {
			return "attaching"
		}
		return "ok"
	}
	var out []schema.NetworkMember
	add := func(m schema.NetworkMember) {
		if (len(types) == 0 || slices.Contains(types, m.Type)) && (len(subnets) == 0 || slices.Contains(subnets, m.Subnet)) &&
			(len(statuses) == 0 || slices.Contains(statuses, m.Status)) {
			out = append(out, m)
		}
	}
	for _, sid := range n.Servers {
		r, ok := s.st.Servers[sid]
		if !ok {
			continue
		}
		for _, pn := range r.Server.PrivateNet {
			if pn.Network == id {
				add(schema.NetworkMember{Type: "server", ID: sid, IP: pn.IP, Status: status("server", sid),
					AliasIPs: append([]string{}, pn.AliasIPs...), Subnet: subnetOf(pn.IP)})
			}
		}
	}
	for _, lid := range n.LoadBalancers {
		lb, ok := s.st.LoadBalancers[lid]
		if !ok {
			continue
		}
		for _, pn := range lb.PrivateNet {
			if pn.Network == id {
				add(schema.NetworkMember{Type: "load_balancer", ID: lid, IP: pn.IP, Status: status("load_balancer", lid),
					AliasIPs: []string{}, Subnet: subnetOf(pn.IP)})
			}
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.NetworkMember) int{
		"id": func(a, b schema.NetworkMember) int {
			return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Type, b.Type))
		},
		"type": func(a, b schema.NetworkMember) int { return cmp.Compare(a.Type, b.Type) },
		"ip": func(a, b schema.NetworkMember) int {
			return netip.MustParseAddr(a.IP).Compare(netip.MustParseAddr(b.IP))
		},
	}, func(page []schema.NetworkMember) any { return schema.NetworkMemberListResponse{Members: page} })
}
