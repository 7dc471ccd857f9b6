package hcloudsim

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// Public addresses come from documentation ranges, so nothing the emulator
// hands out can ever be routed: IPv4 from TEST-NET-3 (RFC 5737), handed out
// in order with a cursor (freed addresses are reused only after the range
// wraps), and one IPv6 /64 per address from 2001:db8::/32 (RFC 3849).
var testNet3 = netip.MustParsePrefix("203.0.113.0/24")

func (s *Server) allocIPv4() (string, *apiError) {
	used := map[string]bool{}
	for _, p := range s.st.PrimaryIPs {
		used[p.IP] = true
	}

	for i := 0; i < 254; i++ {
		host := (s.st.IPv4Next+i)%254 + 1
		a := testNet3.Addr().As4()
		a[3] = byte(host)
		ip := netip.AddrFrom4(a).String()
		if !used[ip] {
			s.st.IPv4Next = host
			return ip, nil
		}
	}
	return "", errf("resource_limit_exceeded", "the emulator's public IPv4 pool %s is exhausted; delete unused primary IPs", testNet3)
}

func (s *Server) allocIPv6() string {
	s.st.IPv6Next++
	n := s.st.IPv6Next
	return fmt.Sprintf("2001:db8:%x:%x::/64", n>>16, n&0xffff)
}

// primaryIPs is the kind of /primary_ips (kind.go); its list also filters
// by ip=.
var primaryIPs = &kindOf[schema.PrimaryIP, schema.PrimaryIP]{
	typ: "primary_ip", label: "primary IP",
	items:     func(st *state) map[int64]*schema.PrimaryIP { return st.PrimaryIPs },
	meta:      func(p *schema.PrimaryIP) meta { return meta{p.ID, &p.Name, &p.Labels, p.Created} },
	view:      func(_ *Server, p *schema.PrimaryIP) schema.PrimaryIP { return clonePrimaryIP(p) },
	sorts:     []string{"created"},
	protected: func(p *schema.PrimaryIP) bool { return p.Protection.Delete },
	match: func(q url.Values, p *schema.PrimaryIP) bool {
		ip := q.Get("ip")
		return ip == "" || ip == p.IP
	},
	getBody:    func(v schema.PrimaryIP) any { return schema.PrimaryIPGetResponse{PrimaryIP: v} },
	updateBody: func(v schema.PrimaryIP) any { return schema.PrimaryIPUpdateResponse{PrimaryIP: v} },
	listBody:   func(page []schema.PrimaryIP) any { return schema.PrimaryIPListResponse{PrimaryIPs: page} },
}

// newPrimaryIP allocates an address of type typ in loc.
func (s *Server) newPrimaryIP(c *call, name, typ string, loc schema.Location, autoDelete bool, labels map[string]string) (*schema.PrimaryIP, *apiError) {
	p := &schema.PrimaryIP{Name: name, Type: typ, AutoDelete: autoDelete,
		Created: c.now, Location: loc, Labels: labels, DNSPtr: []schema.PrimaryIPDNSPTR{}}
	if typ == "ipv4" {
		ip, err := s.allocIPv4()
		if err != nil {
			return nil, err
		}
		p.IP = ip
		p.DNSPtr = []schema.PrimaryIPDNSPTR{{IP: ip, DNSPtr: "static." + ip + ".clients.your-server.de"}}
	} else {
		p.IP = s.allocIPv6()
	}
	p.ID = s.st.nextID("primary_ip")
	if p.Name == "" {
		p.Name = fmt.Sprintf("primary_ip-%d", p.ID)
	}
	s.st.PrimaryIPs[p.ID] = p
	return p, nil
}

// checkPublicNet validates the primary IPs a server create names.
func (s *Server) checkPublicNet(pn schema.ServerCreatePublicNet, loc string) *apiError {
	for _, x := range []struct {
		id      int64
		enabled bool
		typ     string
	}{{pn.IPv4ID, pn.EnableIPv4, "ipv4"}, {pn.IPv6ID, pn.EnableIPv6, "ipv6"}} {
		if x.id == 0 {
			continue
		}
		field := "public_net." + x.typ
		if !x.enabled {
			return invalidField(field, "primary IP %d given but enable_%s is false", x.id, x.typ)
		}
		p, err := primaryIPs.find(s, x.id)
		if err != nil {
			return err
		}
		if p.Type != x.typ {
			return errf("primary_ip_version_mismatch", "primary IP %d is %s, but public_net.%s needs an %s address", x.id, p.Type, x.typ, x.typ)
		}
		if p.AssigneeID != nil {
			return errf("primary_ip_assigned", "primary IP %d is already assigned to server %d", x.id, *p.AssigneeID)
		}
		if p.Location.Name != loc {
			return errf("primary_ip_datacenter_mismatch", "primary IP %d is in %s, the server in %s", x.id, p.Location.Name, loc)
		}
	}
	return nil
}

// assignPublicNet gives a new server its public addresses: the named
// primary IPs, or fresh ones with auto_delete (deleted with the server).
func (s *Server) assignPublicNet(c *call, r *serverRec, pn schema.ServerCreatePublicNet, loc schema.Location) *apiError {
	id := r.Server.ID
	get := func(pid int64, typ string) (*schema.PrimaryIP, *apiError) {
		if pid != 0 {
			return s.st.PrimaryIPs[pid], nil
		}
		return s.newPrimaryIP(c, "", typ, loc, true, map[string]string{})
	}
	if pn.EnableIPv4 {
		p, err := get(pn.IPv4ID, "ipv4")
		if err != nil {
			return err
		}
		p.AssigneeID = &id
		r.Server.PublicNet.IPv4 = schema.ServerPublicNetIPv4{ID: p.ID, IP: p.IP, DNSPtr: "static." + p.IP + ".clients.your-server.de"}
	}
	if pn.EnableIPv6 {
		p, err := get(pn.IPv6ID, "ipv6")
		if err != nil {
			return err
		}
		p.AssigneeID = &id
		r.Server.PublicNet.IPv6 = schema.ServerPublicNetIPv6{ID: p.ID, IP: p.IP, DNSPtr: []schema.ServerPublicNetIPv6DNSPtr{}}
	}
	return nil
}

// clonePrimaryIP is the API view of p. assignee_type is "unassigned" while
// nothing holds the address: since 2026-08-01 the API returns that instead
// of "server" (hcloud-go v2.39.0 CHANGELOG, changelog
// 2026-04-27-primary-ips-make-assignee_type-optional).
func clonePrimaryIP(p *schema.PrimaryIP) schema.PrimaryIP {
	v := *p
	switch {
	case p.AssigneeID == nil:
		v.AssigneeType = "unassigned"
	case p.AssigneeType == "":
		v.AssigneeType = "server"
	}
	v.Labels = labelsOrEmpty(&p.Labels)
	v.DNSPtr = append([]schema.PrimaryIPDNSPTR{}, p.DNSPtr...)
	if p.AssigneeID != nil {
		id := *p.AssigneeID
		v.AssigneeID = &id
	}
	return v
}

func createPrimaryIP(c *call) (int, any, *apiError) {
	var req schema.PrimaryIPCreateRequest
	if err := primaryIPs.decodeNew(c, &req, &req.Name, &req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	if req.Type != "ipv4" && req.Type != "ipv6" {
		return 0, nil, invalidField("type", "%q is not a primary IP type; use ipv4 or ipv6", req.Type)
	}
	if req.AssigneeType != "" && req.AssigneeType != "server" {
		return 0, nil, invalidField("assignee_type", "%q is not an assignee type; use server", req.AssigneeType)
	}
	var target *serverRec
	var loc schema.Location
	switch {
	case req.AssigneeID != nil:
		r, err := servers.find(s, *req.AssigneeID)
		if err != nil {
			return 0, nil, err
		}
		if err := s.checkAssignable(r, req.Type); err != nil {
			return 0, nil, err
		}
		target, loc = r, r.Server.Location
	case req.Location != "":
		l, ok := locationByName(req.Location)
		if !ok {
			return 0, nil, invalidField("location", "unknown location %q; use one of fsn1, nbg1, hel1, ash, hil, sin", req.Location)
		}
		loc = l
	default:
		return 0, nil, invalidField("location", "give either assignee_id or location")
	}
	autoDelete := req.AutoDelete != nil && *req.AutoDelete
	p, err := s.newPrimaryIP(c, req.Name, req.Type, loc, autoDelete, labelsOrEmpty(req.Labels))
	if err != nil {
		return 0, nil, err
	}
	resp := schema.PrimaryIPCreateResponse{}
	if target != nil {
		a, _ := c.newAction("create_primary_ip", ref{}, primaryIPs.ref(p.ID), servers.ref(target.Server.ID))
		a.Fail = false // creation itself is synchronous; only the action shows it
		s.setServerIP(target, p)
		view := a.view(c.now)
		resp.Action = &view
		c.emit("hcloud.server.updated", target.Server.ID)
	}
	resp.PrimaryIP = clonePrimaryIP(p)
	return http.StatusCreated, resp, nil
}

// checkAssignable: a primary IP can only go to a stopped server that has no
// address of that type yet.
func (s *Server) checkAssignable(r *serverRec, typ string) *apiError {
	if r.Server.Status != "off" {
		return errf("server_not_stopped", "server %d is %s; power it off before assigning or unassigning a primary IP", r.Server.ID, r.Server.Status)
	}
	if typ == "ipv4" && r.Server.PublicNet.IPv4.ID != 0 {
		return errf("server_has_ipv4", "server %d already has IPv4 primary IP %d", r.Server.ID, r.Server.PublicNet.IPv4.ID)
	}
	if typ == "ipv6" && r.Server.PublicNet.IPv6.ID != 0 {
		return errf("server_has_ipv6", "server %d already has IPv6 primary IP %d", r.Server.ID, r.Server.PublicNet.IPv6.ID)
	}
	return nil
}

func (s *Server) setServerIP(r *serverRec, p *schema.PrimaryIP) {
	id := r.Server.ID
	p.AssigneeID = &id
	if p.Type == "ipv4" {
		r.Server.PublicNet.IPv4 = schema.ServerPublicNetIPv4{ID: p.ID, IP: p.IP, DNSPtr: "static." + p.IP + ".clients.your-server.de"}
	} else {
		r.Server.PublicNet.IPv6 = schema.ServerPublicNetIPv6{ID: p.ID, IP: p.IP, DNSPtr: []schema.ServerPublicNetIPv6DNSPtr{}}
	}
}
