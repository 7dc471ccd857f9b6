package hcloudsim

import (
	"net/http"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

func updatePrimaryIP(c *call, id int64) (int, any, *apiError) {
	var req schema.PrimaryIPUpdateRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if err := checkLabels(req.Labels); err != nil {
		return 0, nil, err
	}
	p, err := c.s.primaryIP(id)
	if err != nil {
		return 0, nil, err
	}
	if req.Name != "" && req.Name != p.Name {
		if err := c.s.checkName("primary IP", req.Name, c.s.primaryIPNameTaken); err != nil {
			return 0, nil, err
		}
		p.Name = req.Name
	}
	if req.Labels != nil {
		p.Labels = labelsOrEmpty(req.Labels)
	}
	if req.AutoDelete != nil {
		p.AutoDelete = *req.AutoDelete
	}
	return http.StatusOK, schema.PrimaryIPUpdateResponse{PrimaryIP: clonePrimaryIP(p)}, nil
}

// deletePrimaryIP refuses an assigned address: it must be unassigned (with
// the server powered off) first, which is why the provider creates primary
// IPs separately from the gateway server.
func deletePrimaryIP(c *call, id int64) (int, any, *apiError) {
	p, err := c.s.primaryIP(id)
	if err != nil {
		return 0, nil, err
	}
	if p.Protection.Delete {
		return 0, nil, errf("protected", "primary IP %d is delete-protected; disable it with change_protection first", id)
	}
	if p.AssigneeID != nil {
		return 0, nil, errf("primary_ip_assigned", "primary IP %d is assigned to server %d; unassign it (or delete the server) first", id, *p.AssigneeID)
	}
	delete(c.s.st.PrimaryIPs, id)
	return http.StatusNoContent, nil, nil
}

var primaryIPActions = map[string]func(c *call, id int64) (int, any, *apiError){
	"assign":            assignPrimaryIP,
	"unassign":          unassignPrimaryIP,
	"change_protection": changePrimaryIPProtection,
}

func assignPrimaryIP(c *call, id int64) (int, any, *apiError) {
	var req schema.PrimaryIPActionAssignRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	s := c.s
	p, err := s.primaryIP(id)
	if err != nil {
		return 0, nil, err
	}
	if req.AssigneeType != "" && req.AssigneeType != "server" {
		return 0, nil, invalidField("assignee_type", "%q is not an assignee type; use server", req.AssigneeType)
	}
	if p.AssigneeID != nil {
		return 0, nil, errf("primary_ip_already_assigned", "primary IP %d is already assigned to server %d; unassign it first", id, *p.AssigneeID)
	}
	r, err := s.lockedServer(req.AssigneeID)
	if err != nil {
		return 0, nil, err
	}
	if r.Server.Location.Name != p.Location.Name {
		return 0, nil, errf("primary_ip_datacenter_mismatch", "primary IP %d is in %s, server %d in %s", id, p.Location.Name, r.Server.ID, r.Server.Location.Name)
	}
	if err := s.checkAssignable(r, p.Type); err != nil {
		return 0, nil, err
	}
	a, ok := c.newAction("assign_primary_ip", ref{}, ref{ID: id, Type: "primary_ip"}, ref{ID: r.Server.ID, Type: "server"})
	if ok {
		s.setServerIP(r, p)
		c.emit("hcloud.server.updated", r.Server.ID)
	}
	return http.StatusCreated, actionResponse(a, c.now), nil
}

func unassignPrimaryIP(c *call, id int64) (int, any, *apiError) {
	s := c.s
	p, err := s.primaryIP(id)
	if err != nil {
		return 0, nil, err
	}
	if p.AssigneeID == nil {
		return 0, nil, errf("invalid_input", "primary IP %d is not assigned", id)
	}
	r, err := s.lockedServer(*p.AssigneeID)
	if err != nil {
		return 0, nil, err
	}
	if r.Server.Status != "off" {
		return 0, nil, errf("server_not_stopped", "server %d is %s; power it off before unassigning a primary IP", r.Server.ID, r.Server.Status)
	}
	a, ok := c.newAction("unassign_primary_ip", ref{}, ref{ID: id, Type: "primary_ip"}, ref{ID: r.Server.ID, Type: "server"})
	if ok {
		p.AssigneeID = nil
		if p.Type == "ipv4" {
			r.Server.PublicNet.IPv4 = schema.ServerPublicNetIPv4{}
		} else {
			r.Server.PublicNet.IPv6 = schema.ServerPublicNetIPv6{}
		}
		c.emit("hcloud.server.updated", r.Server.ID)
	}
	return http.StatusCreated, actionResponse(a, c.now), nil
}

func changePrimaryIPProtection(c *call, id int64) (int, any, *apiError) {
	var req schema.PrimaryIPActionChangeProtectionRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	p, err := c.s.primaryIP(id)
	if err != nil {
		return 0, nil, err
	}
	a, ok := c.newAction("change_protection", ref{}, ref{ID: id, Type: "primary_ip"})
	if ok {
		p.Protection.Delete = req.Delete
	}
	return http.StatusCreated, actionResponse(a, c.now), nil
}
