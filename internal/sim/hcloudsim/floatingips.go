package hcloudsim

import (
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strconv"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// Floating IPs are the one public address a highly available Hetzner side
// can move between gateway servers (docs/facts/hetzner.md, "Floating IPs").
// The rules below follow Hetzner's API reference as reproduced there: a
// create names a server or a home location; the address can later be
// assigned to a server in any location; since 2026-05-01 an assigned
// address must be unassigned before it can be deleted (must_be_unassigned).

// floatingPool is where the emulator's IPv4 Floating IPs come from: the
// upper half of TEST-NET-1 (RFC 5737; the lab's mirror sits on 192.0.2.1),
// apart from the primary IPs' TEST-NET-3. This is not a claim about
// Hetzner's ranges: a separate block lets the lab route Floating IPs the way
// Hetzner does (to the holder), with no on-link neighbour answering for them.
var floatingPool = netip.MustParsePrefix("192.0.2.128/25")

// allocFloatingIPv4 hands out the lowest free address of floatingPool.
func (s *Server) allocFloatingIPv4() (string, *apiError) {
	used := map[string]bool{}
	for _, f := range s.st.FloatingIPs {
		used[f.IP] = true
	}
	for ip := floatingPool.Addr().Next(); floatingPool.Contains(ip) && ip.Next().IsValid() && floatingPool.Contains(ip.Next()); ip = ip.Next() {
		if !used[ip.String()] {
			return ip.String(), nil
		}
	}
	return "", errf("resource_limit_exceeded", "the emulator's Floating IPv4 pool %s is exhausted; delete unused Floating IPs", floatingPool)
}

// floatingIPs is the kind of /floating_ips (kind.go).
var floatingIPs = &kindOf[schema.FloatingIP, schema.FloatingIP]{
	typ: "floating_ip", label: "Floating IP",
	items:      func(st *state) map[int64]*schema.FloatingIP { return st.FloatingIPs },
	meta:       func(f *schema.FloatingIP) meta { return meta{f.ID, &f.Name, &f.Labels, f.Created} },
	view:       func(_ *Server, f *schema.FloatingIP) schema.FloatingIP { return cloneFloatingIP(f) },
	sorts:      []string{"created"},
	protected:  func(f *schema.FloatingIP) bool { return f.Protection.Delete },
	getBody:    func(v schema.FloatingIP) any { return schema.FloatingIPGetResponse{FloatingIP: v} },
	updateBody: func(v schema.FloatingIP) any { return schema.FloatingIPUpdateResponse{FloatingIP: v} },
	listBody:   func(page []schema.FloatingIP) any { return schema.FloatingIPListResponse{FloatingIPs: page} },
}

// cloneFloatingIP is the API view of f: maps and slices copied so a caller
// never aliases state.
func cloneFloatingIP(f *schema.FloatingIP) schema.FloatingIP {
	v := *f
	v.Labels = labelsOrEmpty(&f.Labels)
	v.DNSPtr = append([]schema.FloatingIPDNSPtr{}, f.DNSPtr...)
	if f.Server != nil {
		id := *f.Server
		v.Server = &id
	}
	if f.Description != nil {
		d := *f.Description
		v.Description = &d
	}
	return v
}

// floatingIPsOf lists the Floating IPs assigned to a server, for its
// public_net.floating_ips.
func (s *Server) floatingIPsOf(serverID int64) []int64 {
	out := []int64{}
	for _, id := range slices.Sorted(maps.Keys(s.st.FloatingIPs)) {
		if f := s.st.FloatingIPs[id]; f.Server != nil && *f.Server == serverID {
			out = append(out, id)
		}
	}
	return out
}

func createFloatingIP(c *call) (int, any, *apiError) {
	var req schema.FloatingIPCreateRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if err := checkLabels(req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	name := ""
	if req.Name != nil {
		name = *req.Name
	}
	if name != "" {
		if err := floatingIPs.checkName(s, name); err != nil {
			return 0, nil, err
		}
	}
	if req.Type != "ipv4" && req.Type != "ipv6" {
		return 0, nil, invalidField("type", "%q is not a Floating IP type; use ipv4 or ipv6", req.Type)
	}
	var target *serverRec
	var loc schema.Location
	switch {
	case req.Server != nil:
		r, err := s.lockedServer(*req.Server)
		if err != nil {
			return 0, nil, err
		}
		// Without home_location the address lives where the server is.
		target, loc = r, r.Server.Location
	case req.HomeLocation != nil && *req.HomeLocation != "":
		l, ok := locationByName(*req.HomeLocation)
		if !ok {
			return 0, nil, invalidField("home_location", "unknown location %q; use one of fsn1, nbg1, hel1, ash, hil, sin", *req.HomeLocation)
		}
		loc = l
	default:
		return 0, nil, invalidField("home_location", "give either server or home_location")
	}
	if req.HomeLocation != nil && *req.HomeLocation != "" && target != nil {
		l, ok := locationByName(*req.HomeLocation)
		if !ok {
			return 0, nil, invalidField("home_location", "unknown location %q; use one of fsn1, nbg1, hel1, ash, hil, sin", *req.HomeLocation)
		}
		loc = l
	}
	f := &schema.FloatingIP{Type: req.Type, Created: c.now, HomeLocation: loc,
		Labels: labelsOrEmpty(req.Labels), Description: req.Description, DNSPtr: []schema.FloatingIPDNSPtr{}}
	if req.Type == "ipv4" {
		ip, err := s.allocFloatingIPv4()
		if err != nil {
			return 0, nil, err
		}
		f.IP = ip
		f.DNSPtr = []schema.FloatingIPDNSPtr{{IP: ip, DNSPtr: "static." + ip + ".clients.your-server.de"}}
	} else {
		f.IP = s.allocIPv6()
	}
	f.ID = s.st.nextID("floating_ip")
	f.Name = name
	if f.Name == "" {
		f.Name = "floating_ip-" + strconv.FormatInt(f.ID, 10)
	}
	s.st.FloatingIPs[f.ID] = f
	resp := schema.FloatingIPCreateResponse{}
	if target != nil {
		a, ok := c.newAction("assign_floating_ip", ref{}, ref{ID: f.ID, Type: "floating_ip"}, ref{ID: target.Server.ID, Type: "server"})
		if ok {
			sid := target.Server.ID
			f.Server = &sid
			c.emit("hcloud.floating_ip.updated", f.ID)
			c.emit("hcloud.server.updated", sid)
		}
		view := a.view(c.now)
		resp.Action = &view
	}
	resp.FloatingIP = cloneFloatingIP(f)
	return http.StatusCreated, resp, nil
}

// updateFloatingIP also sets the description when the request has one.
var updateFloatingIP = updater(floatingIPs,
	func(req *schema.FloatingIPUpdateRequest) edit { return edit{nonEmpty(req.Name), req.Labels} },
	func(f *schema.FloatingIP, req *schema.FloatingIPUpdateRequest) {
		if req.Description != "" {
			d := req.Description
			f.Description = &d
		}
	})

// deleteFloatingIP refuses an assigned address: the API reference says that
// from 2026-05-01 on it must be unassigned first (must_be_unassigned), where
// it used to be unassigned automatically.
var deleteFloatingIP = floatingIPs.deleter(func(_ *call, f *schema.FloatingIP) *apiError {
	if f.Server != nil {
		return errf("must_be_unassigned", "Floating IP %d is assigned to server %d; unassign it before deleting it", f.ID, *f.Server)
	}
	return nil
}, nil)

// FloatingIPs returns copies of all Floating IPs, ordered by ID, for the
// lab, which routes each to the server it is assigned to.
func (s *Server) FloatingIPs() []schema.FloatingIP {
	s.mu.Lock()
	defer s.mu.Unlock()
	return floatingIPs.sorted(s)
}
