package hcloudsim

import (
	"cmp"
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

func (s *Server) floatingIP(id int64) (*schema.FloatingIP, *apiError) {
	f, ok := s.st.FloatingIPs[id]
	if !ok {
		return nil, notFound("floating_ip", id)
	}
	return f, nil
}

func (s *Server) floatingIPNameTaken(name string) bool {
	for _, f := range s.st.FloatingIPs {
		if f.Name == name {
			return true
		}
	}
	return false
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
		if err := s.checkName("Floating IP", name, s.floatingIPNameTaken); err != nil {
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

func getFloatingIP(c *call, id int64) (int, any, *apiError) {
	f, err := c.s.floatingIP(id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, schema.FloatingIPGetResponse{FloatingIP: cloneFloatingIP(f)}, nil
}

func listFloatingIPs(c *call) (int, any, *apiError) {
	flt, err := parseFilter(c)
	if err != nil {
		return 0, nil, err
	}
	var out []schema.FloatingIP
	for _, f := range c.s.st.FloatingIPs {
		if flt.match(f.Name, f.Labels) {
			out = append(out, cloneFloatingIP(f))
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.FloatingIP) int{
		"id":      func(a, b schema.FloatingIP) int { return cmp.Compare(a.ID, b.ID) },
		"created": func(a, b schema.FloatingIP) int { return a.Created.Compare(b.Created) },
	}, func(page []schema.FloatingIP, meta schema.MetaResponse) any {
		return struct {
			schema.FloatingIPListResponse
			schema.MetaResponse
		}{schema.FloatingIPListResponse{FloatingIPs: page}, meta}
	})
}

func updateFloatingIP(c *call, id int64) (int, any, *apiError) {
	var req schema.FloatingIPUpdateRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if err := checkLabels(req.Labels); err != nil {
		return 0, nil, err
	}
	f, err := c.s.floatingIP(id)
	if err != nil {
		return 0, nil, err
	}
	if req.Name != "" && req.Name != f.Name {
		if err := c.s.checkName("Floating IP", req.Name, c.s.floatingIPNameTaken); err != nil {
			return 0, nil, err
		}
		f.Name = req.Name
	}
	if req.Description != "" {
		d := req.Description
		f.Description = &d
	}
	if req.Labels != nil {
		f.Labels = labelsOrEmpty(req.Labels)
	}
	return http.StatusOK, schema.FloatingIPUpdateResponse{FloatingIP: cloneFloatingIP(f)}, nil
}

// deleteFloatingIP refuses an assigned address: the API reference says that
// from 2026-05-01 on it must be unassigned first (must_be_unassigned), where
// it used to be unassigned automatically.
func deleteFloatingIP(c *call, id int64) (int, any, *apiError) {
	f, err := c.s.floatingIP(id)
	if err != nil {
		return 0, nil, err
	}
	if f.Protection.Delete {
		return 0, nil, errf("protected", "Floating IP %d is delete-protected; disable it with change_protection first", id)
	}
	if f.Server != nil {
		return 0, nil, errf("must_be_unassigned", "Floating IP %d is assigned to server %d; unassign it before deleting it", id, *f.Server)
	}
	delete(c.s.st.FloatingIPs, id)
	return http.StatusNoContent, nil, nil
}

// FloatingIPs returns copies of all Floating IPs, ordered by ID, for the
// lab, which routes each to the server it is assigned to.
func (s *Server) FloatingIPs() []schema.FloatingIP {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]schema.FloatingIP, 0, len(s.st.FloatingIPs))
	for _, id := range slices.Sorted(maps.Keys(s.st.FloatingIPs)) {
		out = append(out, cloneFloatingIP(s.st.FloatingIPs[id]))
	}
	return out
}
