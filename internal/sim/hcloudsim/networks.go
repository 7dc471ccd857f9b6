package hcloudsim

import (
	"fmt"
	"maps"
	"net/http"
	"net/netip"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// networks is the kind of /networks (kind.go).
var networks = &kindOf[schema.Network, schema.Network]{
	typ: "network", label: "network",
	items:      func(st *state) map[int64]*schema.Network { return st.Networks },
	meta:       func(n *schema.Network) meta { return meta{n.ID, &n.Name, &n.Labels, n.Created} },
	view:       func(_ *Server, n *schema.Network) schema.Network { return cloneNetwork(n) },
	sorts:      []string{"name", "created"},
	protected:  func(n *schema.Network) bool { return n.Protection.Delete },
	getBody:    func(v schema.Network) any { return schema.NetworkGetResponse{Network: v} },
	updateBody: func(v schema.Network) any { return schema.NetworkUpdateResponse{Network: v} },
	listBody:   func(page []schema.Network) any { return schema.NetworkListResponse{Networks: page} },
}

func createNetwork(c *call) (int, any, *apiError) {
	var req schema.NetworkCreateRequest
	if err := networks.decodeNew(c, &req, &req.Name, &req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	rng, err := checkNetworkRange("ip_range", req.IPRange)
	if err != nil {
		return 0, nil, err
	}
	n := &schema.Network{Name: req.Name, IPRange: rng.String(), Created: c.now,
		Labels: labelsOrEmpty(req.Labels), ExposeRoutesToVSwitch: req.ExposeRoutesToVSwitch}
	for i, sub := range req.Subnets {
		field := fmt.Sprintf("subnets[%d]", i)
		if sub.IPRange == "" {
			return 0, nil, invalidField(join(field, "ip_range"), "each subnet of a new network needs an ip_range")
		}
		if err := checkSubnet(field, rng, &sub, n); err != nil {
			return 0, nil, err
		}
		n.Subnets = append(n.Subnets, sub)
	}
	for i, r := range req.Routes {
		if err := checkRoute(fmt.Sprintf("routes[%d]", i), rng, &r, n); err != nil {
			return 0, nil, err
		}
		n.Routes = append(n.Routes, r)
	}
	n.ID = s.st.nextID("network")
	s.st.Networks[n.ID] = n
	c.emit("hcloud.network.created", n.ID)
	return http.StatusCreated, schema.NetworkCreateResponse{Network: cloneNetwork(n)}, nil
}

var updateNetwork = updater(networks,
	func(req *schema.NetworkUpdateRequest) edit { return edit{nonEmpty(req.Name), req.Labels} },
	func(n *schema.Network, req *schema.NetworkUpdateRequest) {
		if req.ExposeRoutesToVSwitch != nil {
			n.ExposeRoutesToVSwitch = *req.ExposeRoutesToVSwitch
		}
	})

// deleteNetwork follows the API reference: "Deletes a Network. Attached
// resources will be detached automatically." Attached servers lose their
// private_net entry (and get an hcloud.server.updated event).
var deleteNetwork = networks.deleter(func(c *call, n *schema.Network) *apiError {
	return c.s.checkLocked("network", n.ID)
}, func(c *call, n *schema.Network) {
	s, id := c.s, n.ID
	for _, sid := range n.Servers {
		if r, ok := s.st.Servers[sid]; ok {
			r.Server.PrivateNet = slices.DeleteFunc(r.Server.PrivateNet, func(p schema.ServerPrivateNet) bool { return p.Network == id })
			c.emit("hcloud.server.updated", sid)
		}
	}
	for _, lid := range n.LoadBalancers {
		if lb, ok := s.st.LoadBalancers[lid]; ok {
			lb.PrivateNet = slices.DeleteFunc(lb.PrivateNet, func(p schema.LoadBalancerPrivateNet) bool { return p.Network == id })
		}
	}
	c.emit("hcloud.network.deleted", id)
})

var networkActions = map[string]actionFunc{
	"add_subnet":        networkAction(addSubnet),
	"delete_subnet":     networkAction(deleteSubnet),
	"add_route":         networkAction(addRoute),
	"delete_route":      networkAction(deleteRoute),
	"change_ip_range":   networkAction(changeIPRange),
	"change_protection": networkAction(changeNetworkProtection),
}

// networkAction wraps a network change: look up, refuse while another
// action runs, validate on a copy, and apply the copy only if the action is
// going to succeed: at once, or when the action finishes for the route
// actions under WithRealTimeFailover (realtime.go). Unlike other actions,
// a network change reads its request R only after the lock check.
func networkAction[R any](f func(c *call, n *schema.Network, rng netip.Prefix, req *R) (string, *apiError)) actionFunc {
	return act(networks, ifUnlocked, func(c *call, n *schema.Network, _ *noBody) (*actionRec, *apiError) {
		req := new(R)
		if err := c.decode(req); err != nil {
			return nil, err
		}
		id := n.ID
		next := cloneNetwork(n)
		command, err := f(c, &next, netip.MustParsePrefix(n.IPRange), req)
		if err != nil {
			return nil, err
		}
		r := networks.ref(id)
		a, ok := c.newAction(command, r, r)
		if ok && c.s.realTime(command) {
			c.deferEffect(a, effectRec{Network: id, Routes: next.Routes})
		} else if ok {
			for _, sub := range next.Subnets {
				if command == "add_subnet" && !slices.ContainsFunc(n.Subnets, func(o schema.NetworkSubnet) bool { return o.IPRange == sub.IPRange }) {
					c.s.subnetAdded(id, sub.IPRange, a.FinishAt)
				}
			}
			*n = next
			if command != "change_protection" {
				c.emit("hcloud.network.updated", id)
			}
		}
		return a, nil
	})
}

func addSubnet(c *call, n *schema.Network, rng netip.Prefix, req *schema.NetworkActionAddSubnetRequest) (string, *apiError) {
	sub := schema.NetworkSubnet{Type: req.Type, IPRange: req.IPRange, NetworkZone: req.NetworkZone, VSwitchID: req.VSwitchID}
	if sub.IPRange == "" {
		p, ok := freeSubnet(rng, n)
		if !ok {
			return "", errf("no_subnet_available", "network %d has no free /24 left in %s; pass ip_range or grow the network", n.ID, rng)
		}
		sub.IPRange = p.String()
	}
	if err := checkSubnet("", rng, &sub, n); err != nil {
		return "", err
	}
	n.Subnets = append(n.Subnets, sub)
	return "add_subnet", nil
}

// freeSubnet picks the first /24 of the network that overlaps nothing, the
// way the API allocates a subnet when add_subnet has no ip_range.
func freeSubnet(rng netip.Prefix, n *schema.Network) (netip.Prefix, bool) {
	for p := netip.PrefixFrom(rng.Addr(), 24); rng.Contains(p.Addr()); {
		free := true
		for _, s := range n.Subnets {
			free = free && !netip.MustParsePrefix(s.IPRange).Overlaps(p)
		}
		for _, r := range n.Routes {
			d := netip.MustParsePrefix(r.Destination)
			free = free && (d == defaultRoute || !d.Overlaps(p))
		}
		if free {
			return p, true
		}
		next := lastIP(p).Next()
		if !next.IsValid() {
			break
		}
		p = netip.PrefixFrom(next, 24)
	}
	return netip.Prefix{}, false
}

func deleteSubnet(c *call, n *schema.Network, _ netip.Prefix, req *schema.NetworkActionDeleteSubnetRequest) (string, *apiError) {
	p, err := parseCIDR("ip_range", req.IPRange)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(n.Subnets, func(s schema.NetworkSubnet) bool { return s.IPRange == p.String() })
	if i < 0 {
		return "", errf("not_found", "network %d has no subnet %s", n.ID, p)
	}
	for _, sid := range n.Servers {
		for _, pn := range c.s.st.Servers[sid].Server.PrivateNet {
			if a, _ := netip.ParseAddr(pn.IP); pn.Network == n.ID && p.Contains(a) {
				// The message and code the API gave in terraform-provider-hcloud#388.
				return "", errf("service_error", "cannot remove subnet because servers are attached to it (server %d); detach them first", sid)
			}
		}
	}
	n.Subnets = slices.Delete(n.Subnets, i, i+1)
	return "delete_subnet", nil
}

func addRoute(c *call, n *schema.Network, rng netip.Prefix, req *schema.NetworkActionAddRouteRequest) (string, *apiError) {
	r := schema.NetworkRoute{Destination: req.Destination, Gateway: req.Gateway}
	if err := checkRoute("", rng, &r, n); err != nil {
		return "", err
	}
	n.Routes = append(n.Routes, r)
	return "add_route", nil
}

func deleteRoute(c *call, n *schema.Network, _ netip.Prefix, req *schema.NetworkActionDeleteRouteRequest) (string, *apiError) {
	d, derr := netip.ParsePrefix(req.Destination)
	gw, gerr := netip.ParseAddr(req.Gateway)
	i := slices.IndexFunc(n.Routes, func(r schema.NetworkRoute) bool {
		return derr == nil && gerr == nil && r.Destination == d.String() && r.Gateway == gw.String()
	})
	if i < 0 {
		return "", errf("not_found", "network %d has no route %s via %s", n.ID, req.Destination, req.Gateway)
	}
	n.Routes = slices.Delete(n.Routes, i, i+1)
	return "delete_route", nil
}

// changeIPRange only grows a network, and only by shortening the netmask of
// the current range: "IP ranges can only be extended and never shrunk. You
// can only add IPs at the end of an existing IP range. This means that the
// IP part of your existing range must stay the same and you can only change
// its netmask" (API reference, change_ip_range, e.g. via docs.rs hcloud
// networks_api::change_ip_range_of_network). So 10.0.0.0/16 may become
// 10.0.0.0/15, but 10.1.0.0/16 cannot grow at all: 10.1.0.0/15 is not a
// network address. The base address stays, so does the network's first IP,
// and with it every subnet's gateway.
func changeIPRange(c *call, n *schema.Network, old netip.Prefix, req *schema.NetworkActionChangeIPRangeRequest) (string, *apiError) {
	p, err := parseCIDR("ip_range", req.IPRange)
	switch {
	case err != nil:
		return "", err
	case p.Addr() != old.Addr():
		return "", invalidField("ip_range", "%s changes the IP part of the current range %s; only the netmask of %s may be shortened", p, old, old)
	case p.Bits() > old.Bits():
		return "", invalidField("ip_range", "%s is smaller than the current range %s; IP ranges can only be extended, never shrunk", p, old)
	}
	if _, err := checkNetworkRange("ip_range", req.IPRange); err != nil {
		return "", err
	}
	n.IPRange = p.String()
	return "change_ip_range", nil
}

func changeNetworkProtection(c *call, n *schema.Network, _ netip.Prefix, req *schema.NetworkActionChangeProtectionRequest) (string, *apiError) {
	if req.Delete != nil {
		n.Protection.Delete = *req.Delete
	}
	n.Labels = maps.Clone(n.Labels)
	return "change_protection", nil
}
