package hcloudsim

import (
	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

var updatePrimaryIP = updater(primaryIPs,
	func(req *schema.PrimaryIPUpdateRequest) edit { return edit{nonEmpty(req.Name), req.Labels} },
	func(p *schema.PrimaryIP, req *schema.PrimaryIPUpdateRequest) {
		if req.AutoDelete != nil {
			p.AutoDelete = *req.AutoDelete
		}
	})

// deletePrimaryIP refuses an assigned address: it must be unassigned (with
// the server powered off) first, which is why the provider creates primary
// IPs separately from the gateway server.
var deletePrimaryIP = primaryIPs.deleter(func(_ *call, p *schema.PrimaryIP) *apiError {
	if p.AssigneeID != nil {
		return errf("primary_ip_assigned", "primary IP %d is assigned to server %d; unassign it (or delete the server) first", p.ID, *p.AssigneeID)
	}
	return nil
}, nil)

var primaryIPActions = map[string]actionFunc{
	"assign":            act(primaryIPs, evenIfLocked, assignPrimaryIP),
	"unassign":          act(primaryIPs, evenIfLocked, unassignPrimaryIP),
	"change_protection": act(primaryIPs, evenIfLocked, changePrimaryIPProtection),
}

func assignPrimaryIP(c *call, p *schema.PrimaryIP, req *schema.PrimaryIPActionAssignRequest) (*actionRec, *apiError) {
	s, id := c.s, p.ID
	if req.AssigneeType != "" && req.AssigneeType != "server" {
		return nil, invalidField("assignee_type", "%q is not an assignee type; use server", req.AssigneeType)
	}
	if p.AssigneeID != nil {
		return nil, errf("primary_ip_already_assigned", "primary IP %d is already assigned to server %d; unassign it first", id, *p.AssigneeID)
	}
	r, err := s.lockedServer(req.AssigneeID)
	if err != nil {
		return nil, err
	}
	if r.Server.Location.Name != p.Location.Name {
		return nil, errf("primary_ip_datacenter_mismatch", "primary IP %d is in %s, server %d in %s", id, p.Location.Name, r.Server.ID, r.Server.Location.Name)
	}
	if err := s.checkAssignable(r, p.Type); err != nil {
		return nil, err
	}
	a, ok := c.newAction("assign_primary_ip", ref{}, primaryIPs.ref(id), servers.ref(r.Server.ID))
	if ok {
		s.setServerIP(r, p)
		c.emit("hcloud.server.updated", r.Server.ID)
	}
	return a, nil
}

func unassignPrimaryIP(c *call, p *schema.PrimaryIP, _ *noBody) (*actionRec, *apiError) {
	s, id := c.s, p.ID
	if p.AssigneeID == nil {
		return nil, errf("invalid_input", "primary IP %d is not assigned", id)
	}
	r, err := s.lockedServer(*p.AssigneeID)
	if err != nil {
		return nil, err
	}
	if r.Server.Status != "off" {
		return nil, errf("server_not_stopped", "server %d is %s; power it off before unassigning a primary IP", r.Server.ID, r.Server.Status)
	}
	a, ok := c.newAction("unassign_primary_ip", ref{}, primaryIPs.ref(id), servers.ref(r.Server.ID))
	if ok {
		p.AssigneeID = nil
		if p.Type == "ipv4" {
			r.Server.PublicNet.IPv4 = schema.ServerPublicNetIPv4{}
		} else {
			r.Server.PublicNet.IPv6 = schema.ServerPublicNetIPv6{}
		}
		c.emit("hcloud.server.updated", r.Server.ID)
	}
	return a, nil
}

func changePrimaryIPProtection(c *call, p *schema.PrimaryIP, req *schema.PrimaryIPActionChangeProtectionRequest) (*actionRec, *apiError) {
	a, ok := c.newAction("change_protection", ref{}, primaryIPs.ref(p.ID))
	if ok {
		p.Protection.Delete = req.Delete
	}
	return a, nil
}
