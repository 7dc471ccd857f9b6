package hcloudsim

import (
	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

var floatingIPActions = map[string]actionFunc{
	// assign checks the lock itself, after the target server.
	"assign":            act(floatingIPs, evenIfLocked, assignFloatingIP),
	"unassign":          act(floatingIPs, ifUnlocked, unassignFloatingIP),
	"change_dns_ptr":    act(floatingIPs, evenIfLocked, changeFloatingIPDNSPtr),
	"change_protection": act(floatingIPs, evenIfLocked, changeFloatingIPProtection),
}

// assignFloatingIP points the address at a server. Moving it from one
// server straight to another is what every failover script for Hetzner does
// (one `assign` call, no unassign first; docs/facts/hetzner.md). Assigning
// it to the server that already holds it answers floating_ip_assigned: the
// API reference lists that code for this call without saying when it
// applies, and this is the reading that lets a failover move the address
// (unverified). Unlike a primary IP, the server may be running and may be in
// any location. While another assign or unassign of the address runs, it
// answers locked, as unassign does: two agents claiming at once are
// served one after the other, so the later claim lands last. Under
// WithRealTimeFailover the address moves when the
// action finishes (realtime.go).
func assignFloatingIP(c *call, f *schema.FloatingIP, req *schema.FloatingIPActionAssignRequest) (*actionRec, *apiError) {
	s, id := c.s, f.ID
	if req.Server == 0 {
		return nil, invalidField("server", "name the server to assign the Floating IP to")
	}
	if _, err := s.lockedServer(req.Server); err != nil {
		return nil, err
	}
	if err := s.checkLocked("floating_ip", id); err != nil {
		return nil, err
	}
	if f.Server != nil && *f.Server == req.Server {
		return nil, errf("floating_ip_assigned", "Floating IP %d is already assigned to server %d", id, req.Server)
	}
	fref := floatingIPs.ref(id)
	a, ok := c.newAction("assign_floating_ip", fref, fref, ref{ID: req.Server, Type: "server"})
	if ok && s.realTime("assign_floating_ip") {
		sid := req.Server
		c.deferEffect(a, effectRec{FloatingIP: id, Server: &sid})
	} else if ok {
		if f.Server != nil {
			c.emit("hcloud.server.updated", *f.Server)
		}
		sid := req.Server
		f.Server = &sid
		c.emit("hcloud.floating_ip.updated", id)
		c.emit("hcloud.server.updated", sid)
	}
	return a, nil
}

func unassignFloatingIP(c *call, f *schema.FloatingIP, _ *noBody) (*actionRec, *apiError) {
	id := f.ID
	fref := floatingIPs.ref(id)
	refs := []ref{fref}
	if f.Server != nil {
		refs = append(refs, ref{ID: *f.Server, Type: "server"})
	}
	a, ok := c.newAction("unassign_floating_ip", fref, refs...)
	if ok && f.Server != nil && c.s.realTime("unassign_floating_ip") {
		c.deferEffect(a, effectRec{FloatingIP: id})
	} else if ok && f.Server != nil {
		c.emit("hcloud.server.updated", *f.Server)
		f.Server = nil
		c.emit("hcloud.floating_ip.updated", id)
	}
	return a, nil
}

func changeFloatingIPDNSPtr(c *call, f *schema.FloatingIP, req *schema.FloatingIPActionChangeDNSPtrRequest) (*actionRec, *apiError) {
	if req.IP != f.IP && f.Type == "ipv4" {
		return nil, invalidField("ip", "%q is not the address of Floating IP %d (%s)", req.IP, f.ID, f.IP)
	}
	a, ok := c.newAction("change_dns_ptr", ref{}, floatingIPs.ref(f.ID))
	if ok {
		ptr := ""
		if req.DNSPtr != nil {
			ptr = *req.DNSPtr
		}
		kept := []schema.FloatingIPDNSPtr{}
		for _, p := range f.DNSPtr {
			if p.IP != req.IP {
				kept = append(kept, p)
			}
		}
		if ptr != "" {
			kept = append(kept, schema.FloatingIPDNSPtr{IP: req.IP, DNSPtr: ptr})
		}
		f.DNSPtr = kept
	}
	return a, nil
}

func changeFloatingIPProtection(c *call, f *schema.FloatingIP, req *schema.FloatingIPActionChangeProtectionRequest) (*actionRec, *apiError) {
	a, ok := c.newAction("change_protection", ref{}, floatingIPs.ref(f.ID))
	if ok && req.Delete != nil {
		f.Protection.Delete = *req.Delete
	}
	return a, nil
}
