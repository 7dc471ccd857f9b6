package hcloudsim

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

var serverActions = map[string]actionFunc{
	"poweron":             act(servers, ifUnlocked, powerAction("start_server", "starting", "running")),
	"poweroff":            act(servers, ifUnlocked, powerAction("stop_server", "stopping", "off")),
	"shutdown":            act(servers, ifUnlocked, powerAction("shutdown_server", "stopping", "off")),
	"reboot":              act(servers, ifUnlocked, powerAction("reboot_server", "running", "running")),
	"attach_to_network":   act(servers, ifUnlocked, attachToNetwork),
	"detach_from_network": act(servers, ifUnlocked, detachFromNetwork),
	"change_protection":   act(servers, evenIfLocked, changeServerProtection),
}

// lockedServer looks a server up and refuses it while one of its actions
// (create, power, network change) is still running, as the API does.
func (s *Server) lockedServer(id int64) (*serverRec, *apiError) {
	r, err := servers.find(s, id)
	if err != nil {
		return nil, err
	}
	return r, s.checkLocked("server", id)
}

// powerAction is a power command: the server shows during while the
// action runs and after once it succeeded.
func powerAction(command, during, after string) func(c *call, r *serverRec, _ *noBody) (*actionRec, *apiError) {
	return func(c *call, r *serverRec, _ *noBody) (*actionRec, *apiError) {
		id := r.Server.ID
		sref := servers.ref(id)
		a, ok := c.newAction(command, sref, sref)
		if ok {
			r.Server.Status = during
			a.ServerID, a.ServerStatus = id, after
			c.emit("hcloud.server.updated", id)
		}
		return a, nil
	}
}

// attachPlan is a validated, not yet applied network attachment.
type attachPlan struct {
	network *schema.Network
	ip      netip.Addr
	aliases []string
}

// planAttach validates attaching server r to network nid and picks its IP
// (planIP). pending holds attachments planned earlier in the same request.
func (s *Server) planAttach(r *serverRec, nid int64, ip *string, aliases []*string, pending []attachPlan) (attachPlan, *apiError) {
	n, err := networks.find(s, nid)
	if err != nil {
		return attachPlan{}, err
	}
	rng := netip.MustParsePrefix(n.IPRange)
	existing := slices.Clone(r.Server.PrivateNet)
	for _, p := range pending {
		existing = append(existing, schema.ServerPrivateNet{Network: p.network.ID})
	}
	for _, pn := range existing {
		if pn.Network == nid {
			return attachPlan{}, errf("server_already_attached", "server %d is already attached to network %d", r.Server.ID, nid)
		}
		if other, ok := s.st.Networks[pn.Network]; ok && netip.MustParsePrefix(other.IPRange).Overlaps(rng) {
			return attachPlan{}, errf("networks_overlap", "network %d (%s) overlaps network %d (%s) the server is already attached to", nid, rng, other.ID, other.IPRange)
		}
	}
	return s.planIP(n, r.Server.Location, ip, aliases)
}

// planIP picks a network member's IP in n: the requested one, or the first
// free host of a subnet in the member's network zone (the subnet's network
// and broadcast addresses, the network's first IP, which is every subnet's
// gateway, and 172.31.1.1 excluded). A subnet still propagating after
// add_subnet takes no members yet (propagation.go).
func (s *Server) planIP(n *schema.Network, loc schema.Location, ip *string, aliases []*string) (attachPlan, *apiError) {
	nid := n.ID
	rng := netip.MustParsePrefix(n.IPRange)
	zone := loc.NetworkZone
	var subnets, young []netip.Prefix
	for _, sub := range n.Subnets {
		if sub.NetworkZone == zone && sub.Type != "vswitch" {
			p := netip.MustParsePrefix(sub.IPRange)
			if s.subnetPending(nid, p) {
				young = append(young, p)
			} else {
				subnets = append(subnets, p)
			}
		}
	}
	if len(subnets) == 0 && len(young) == 0 {
		return attachPlan{}, errf("no_subnet_available", "network %d has no cloud subnet in network zone %s (location %s); add one with add_subnet", nid, zone, loc.Name)
	}
	used := s.usedIPs(n)
	usable := func(a netip.Addr, in []netip.Prefix) bool {
		return slices.ContainsFunc(in, func(p netip.Prefix) bool { return hostUsable(a, p, rng) })
	}
	plan := attachPlan{network: n}
	if ip != nil && *ip != "" {
		a, perr := netip.ParseAddr(*ip)
		switch {
		case perr == nil && a.Is4() && usable(a, young):
			return attachPlan{}, errf("no_subnet_available", "the subnet of %s in network %d was just added and cannot take members yet; retry shortly", a, nid)
		case perr != nil || !a.Is4() || !usable(a, subnets):
			return attachPlan{}, invalidField("ip", "%q is not a usable host address in a subnet of network %d in zone %s", *ip, nid, zone)
		case used[a]:
			return attachPlan{}, errf("ip_not_available", "provided IP %s is not available in network %d", a, nid)
		}
		plan.ip = a
	} else {
	search:
		for _, p := range subnets {
			for a := p.Addr(); p.Contains(a); a = a.Next() {
				if hostUsable(a, p, rng) && !used[a] {
					plan.ip = a
					break search
				}
			}
		}
		if !plan.ip.IsValid() {
			return attachPlan{}, errf("no_subnet_available", "no free IP left in the (ready) subnets of network %d in zone %s", nid, zone)
		}
	}
	used[plan.ip] = true
	for i, al := range aliases {
		if al == nil {
			continue
		}
		a, perr := netip.ParseAddr(*al)
		if perr != nil || !a.Is4() || !usable(a, subnets) {
			return attachPlan{}, invalidField(fmt.Sprintf("alias_ips[%d]", i), "%q is not a usable host address in a subnet of network %d", *al, nid)
		}
		if used[a] {
			return attachPlan{}, errf("ip_not_available", "alias IP %s is not available in network %d", a, nid)
		}
		used[a] = true
		plan.aliases = append(plan.aliases, a.String())
	}
	return plan, nil
}

// usedIPs collects every private and alias IP taken in network n: those of
// its members and those deleted servers have not released yet.
func (s *Server) usedIPs(n *schema.Network) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	for _, a := range s.releasing(n.ID) {
		used[a] = true
	}
	for _, lb := range s.st.LoadBalancers {
		for _, pn := range lb.PrivateNet {
			if a, err := netip.ParseAddr(pn.IP); err == nil && pn.Network == n.ID {
				used[a] = true
			}
		}
	}
	for _, sid := range n.Servers {
		r, ok := s.st.Servers[sid]
		if !ok {
			continue
		}
		for _, pn := range r.Server.PrivateNet {
			if pn.Network != n.ID {
				continue
			}
			for _, x := range append([]string{pn.IP}, pn.AliasIPs...) {
				if a, err := netip.ParseAddr(x); err == nil {
					used[a] = true
				}
			}
		}
	}
	return used
}

func (s *Server) applyAttach(r *serverRec, p attachPlan) {
	id := r.Server.ID
	aliases := p.aliases
	if aliases == nil {
		aliases = []string{}
	}
	r.Server.PrivateNet = append(r.Server.PrivateNet, schema.ServerPrivateNet{
		Network: p.network.ID, IP: p.ip.String(), AliasIPs: aliases,
		MACAddress: fmt.Sprintf("86:00:00:%02x:%02x:%02x", byte(id>>8), byte(id), byte(p.network.ID)),
	})
	p.network.Servers = append(p.network.Servers, id)
}

func attachToNetwork(c *call, r *serverRec, req *schema.ServerActionAttachToNetworkRequest) (*actionRec, *apiError) {
	s, id := c.s, r.Server.ID
	if req.Network == 0 {
		return nil, invalidField("network", "give the ID of the network to attach to")
	}
	plan, err := s.planAttach(r, req.Network, req.IP, req.AliasIPs, nil)
	if err != nil {
		return nil, err
	}
	sref := servers.ref(id)
	a, ok := c.newAction("attach_to_network", sref, sref, networks.ref(req.Network))
	if ok {
		s.applyAttach(r, plan)
		c.emit("hcloud.server.updated", id)
	}
	return a, nil
}

func detachFromNetwork(c *call, r *serverRec, req *schema.ServerActionDetachFromNetworkRequest) (*actionRec, *apiError) {
	s, id := c.s, r.Server.ID
	i := slices.IndexFunc(r.Server.PrivateNet, func(p schema.ServerPrivateNet) bool { return p.Network == req.Network })
	if i < 0 {
		return nil, invalidField("network", "server %d is not attached to network %d", id, req.Network)
	}
	sref := servers.ref(id)
	a, ok := c.newAction("detach_from_network", sref, sref, networks.ref(req.Network))
	if ok {
		r.Server.PrivateNet = slices.Delete(r.Server.PrivateNet, i, i+1)
		if n, ok := s.st.Networks[req.Network]; ok {
			n.Servers = slices.DeleteFunc(n.Servers, func(x int64) bool { return x == id })
		}
		c.emit("hcloud.server.updated", id)
	}
	return a, nil
}

func changeServerProtection(c *call, r *serverRec, req *schema.ServerActionChangeProtectionRequest) (*actionRec, *apiError) {
	a, ok := c.newAction("change_protection", ref{}, servers.ref(r.Server.ID))
	if ok {
		if req.Delete != nil {
			r.Server.Protection.Delete = *req.Delete
		}
		if req.Rebuild != nil {
			r.Server.Protection.Rebuild = *req.Rebuild
		}
	}
	return a, nil
}
