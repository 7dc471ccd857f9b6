package hcloudsim

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// maxUserData is Hetzner's limit: "Cloud-Init user data ... limited to 32KiB".
const maxUserData = 32 * 1024

// maxFirewallsPerServer: "5 firewalls per server" (Hetzner firewall FAQ).
const maxFirewallsPerServer = 5

var hostnameRE = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)

// servers is the kind of /servers (kind.go); its list also filters by
// status= (any of several).
var servers = &kindOf[serverRec, schema.Server]{
	typ: "server", label: "server",
	items:     func(st *state) map[int64]*serverRec { return st.Servers },
	meta:      func(r *serverRec) meta { return meta{r.Server.ID, &r.Server.Name, &r.Server.Labels, r.Server.Created} },
	view:      (*Server).serverView,
	sorts:     []string{"name", "created"},
	protected: func(r *serverRec) bool { return r.Server.Protection.Delete },
	match: func(q url.Values, r *serverRec) bool {
		statuses := q["status"]
		return len(statuses) == 0 || slices.Contains(statuses, r.Server.Status)
	},
	getBody:    func(v schema.Server) any { return schema.ServerGetResponse{Server: v} },
	updateBody: func(v schema.Server) any { return schema.ServerUpdateResponse{Server: v} },
	listBody:   func(page []schema.Server) any { return schema.ServerListResponse{Servers: page} },
}

// serverView copies a server and fills in what is derived from other
// resources: the firewalls applied to it and whether an action locks it.
func (s *Server) serverView(r *serverRec) schema.Server {
	v := r.Server
	v.PrivateNet = make([]schema.ServerPrivateNet, 0, len(r.Server.PrivateNet))
	for _, pn := range r.Server.PrivateNet {
		pn.AliasIPs = append([]string{}, pn.AliasIPs...)
		v.PrivateNet = append(v.PrivateNet, pn)
	}
	v.Labels = maps.Clone(r.Server.Labels)
	v.PublicNet.FloatingIPs = s.floatingIPsOf(r.Server.ID)
	v.PublicNet.Firewalls = []schema.ServerFirewall{}
	for _, fid := range slices.Sorted(maps.Keys(s.st.Firewalls)) {
		if s.firewallApplies(s.st.Firewalls[fid], r) {
			v.PublicNet.Firewalls = append(v.PublicNet.Firewalls, schema.ServerFirewall{ID: fid, Status: "applied"})
		}
	}
	v.PublicNet.IPv6.DNSPtr = slices.Clone(r.Server.PublicNet.IPv6.DNSPtr)
	v.ServerType.Locations = slices.Clone(r.Server.ServerType.Locations)
	if r.Server.Image != nil {
		img := *r.Server.Image
		v.Image = &img
	}
	v.Volumes, v.LoadBalancers = []int64{}, []int64{}
	v.Locked = s.lockedBy("server", r.Server.ID) != nil
	v.PlacementGroup = s.placementGroupOf(r.Server.ID)
	return v
}

func createServer(c *call) (int, any, *apiError) {
	var req schema.ServerCreateRequest
	if err := servers.decodeNew(c, &req, &req.Name, &req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	if !hostnameRE.MatchString(req.Name) || len(req.Name) > 253 {
		return 0, nil, invalidField("name", "%q is not a valid hostname (letters, digits, hyphens, dots)", req.Name)
	}
	typ, ok := serverTypeByRef(req.ServerType)
	if !ok {
		// Removed types (cx22, cx32, ...) are not found either
		// (catalog.go): "serverType is not valid", TestFlows#96.
		return 0, nil, invalidField("server_type", "server type %v not found; list them with GET /server_types (e.g. cpx22, cx23, cax11)", refString(req.ServerType))
	}
	img, ok := imageByRef(req.Image, typ.arch)
	if !ok {
		return 0, nil, invalidField("image", "unknown image %v for architecture %s; use e.g. debian-12, ubuntu-24.04, ubuntu-22.04", refString(req.Image), typ.arch)
	}
	if img.arch != typ.arch {
		return 0, nil, invalidField("image", "image %d is built for %s but server type %s is %s", img.id, img.arch, typ.name, typ.arch)
	}
	if len(req.UserData) > maxUserData {
		return 0, nil, invalidField("user_data", "user_data is %d bytes; Hetzner accepts at most 32 KiB (%d bytes)", len(req.UserData), maxUserData)
	}
	pn := schema.ServerCreatePublicNet{EnableIPv4: true, EnableIPv6: true}
	if req.PublicNet != nil {
		pn = *req.PublicNet
	}
	loc, err := s.serverLocation(req.Location, pn, typ, c.now)
	if err != nil {
		return 0, nil, err
	}
	for _, k := range req.SSHKeys {
		if _, err := sshKeys.find(s, k); err != nil {
			return 0, nil, err
		}
	}
	var fws []int64
	for _, f := range req.Firewalls {
		if _, err := firewalls.find(s, f.Firewall); err != nil {
			return 0, nil, err
		}
		fws = append(fws, f.Firewall)
	}
	if len(fws) > maxFirewallsPerServer {
		return 0, nil, errf("resource_limit_exceeded", "a server can have at most %d firewalls, got %d", maxFirewallsPerServer, len(fws))
	}
	if err := s.checkPublicNet(pn, loc.Name); err != nil {
		return 0, nil, err
	}
	if !pn.EnableIPv4 && !pn.EnableIPv6 {
		if len(req.Networks) == 0 {
			return 0, nil, invalidField("networks", "a server without public IPv4 and IPv6 needs at least one network")
		}
		if len(fws) > 0 {
			return 0, nil, errf("private_net_only_server", "The Server the Firewall should be applied to has no public interface")
		}
	}
	r := &serverRec{UserData: req.UserData, SSHKeys: slices.Clone(req.SSHKeys)}
	r.Server = schema.Server{
		Name: req.Name, Status: "initializing", Created: c.now, ServerType: typ.schema(c.now, s.unavailable), Location: loc,
		Labels: labelsOrEmpty(req.Labels), IncludedTraffic: 21990232555520, PrimaryDiskSize: typ.disk,
		PrivateNet: []schema.ServerPrivateNet{},
	}
	image := img.schema()
	r.Server.Image = &image
	// Plan the network attachments before anything is written.
	var plans []attachPlan
	for i, nid := range req.Networks {
		p, err := s.planAttach(r, nid, nil, nil, plans)
		if err != nil {
			if err.Code == "invalid_input" {
				return 0, nil, invalidField(fmt.Sprintf("networks[%d]", i), "%s", err.Message)
			}
			return 0, nil, err
		}
		plans = append(plans, p)
	}
	var group *schema.PlacementGroup
	if req.PlacementGroup != 0 {
		g, err := s.checkJoin(req.PlacementGroup)
		if err != nil {
			return 0, nil, err
		}
		group = g
	}
	// Capacity is decided last: Hetzner validates the request first, and a
	// valid request can still find no room (capacity.go).
	if err := s.capacityFault(typ, loc.Name); err != nil {
		return 0, nil, err
	}
	r.Server.ID = s.st.nextID("server")
	if err := s.assignPublicNet(c, r, pn, loc); err != nil {
		return 0, nil, err
	}
	for _, p := range plans {
		s.applyAttach(r, p)
	}
	for _, fid := range fws {
		f := s.st.Firewalls[fid]
		f.AppliedTo = append(f.AppliedTo, serverResource(r.Server.ID))
	}
	s.st.Servers[r.Server.ID] = r
	if group != nil {
		group.Servers = append(group.Servers, r.Server.ID)
	}
	sref := ref{ID: r.Server.ID, Type: "server"}
	a, _ := c.newAction("create_server", sref, sref)
	a.ServerID, a.ServerStatus = r.Server.ID, "running"
	resp := schema.ServerCreateResponse{NextActions: []schema.Action{}}
	if req.StartAfterCreate != nil && !*req.StartAfterCreate {
		a.ServerStatus = "off"
	} else {
		start, _ := c.newAction("start_server", ref{}, sref)
		start.Fail = false
		start.FinishAt = a.FinishAt
		resp.NextActions = append(resp.NextActions, start.view(c.now))
	}
	if len(req.SSHKeys) == 0 {
		pw := fmt.Sprintf("emulated-root-%d", r.Server.ID)
		resp.RootPassword = &pw
	}
	c.emit("hcloud.server.created", r.Server.ID)
	resp.Server, resp.Action = s.serverView(r), a.view(c.now)
	return http.StatusCreated, resp, nil
}

func refString(r schema.IDOrName) string {
	if r.ID != 0 {
		return fmt.Sprint(r.ID)
	}
	return fmt.Sprintf("%q", r.Name)
}

// serverLocation resolves the location: the one asked for, else the one of
// a given primary IP, else the first location offering the server type.
func (s *Server) serverLocation(name string, pn schema.ServerCreatePublicNet, typ serverTypeSpec, now time.Time) (schema.Location, *apiError) {
	if name == "" {
		for _, id := range []int64{pn.IPv4ID, pn.IPv6ID} {
			if p, ok := s.st.PrimaryIPs[id]; ok {
				name = p.Location.Name
				break
			}
		}
	}
	if name == "" {
		name = typ.locations[0]
	}
	loc, ok := locationByName(name)
	if !ok {
		return loc, invalidField("location", "unknown location %q; use one of fsn1, nbg1, hel1, ash, hil, sin", name)
	}
	// A type not offered in the location, or deprecated there past its
	// unavailable_after date, gets the API's "unsupported location for server
	// type (invalid_input)" (TestFlows#96 for cx23 outside the EU,
	// dakera-deploy#185 for a deprecated cpx31).
	if typ.orderable(now, loc.Name, nil) == "unsupported" {
		return loc, invalidField("location", "unsupported location for server type: %s cannot be ordered in %s", typ.name, loc.Name)
	}
	return loc, nil
}

var updateServer = updater(servers,
	func(req *schema.ServerUpdateRequest) edit { return edit{nonEmpty(req.Name), req.Labels} }, nil)

// deleteServer removes the server, detaches it from networks and
// firewalls (both after a propagation delay), deletes its primary IPs with
// auto_delete and unassigns the rest.
func deleteServer(c *call, id int64) (int, any, *apiError) {
	s := c.s
	r, err := servers.deletable(s, id)
	if err != nil {
		return 0, nil, err
	}
	a, ok := c.newAction("delete_server", ref{}, servers.ref(id))
	if ok {
		for _, pn := range r.Server.PrivateNet {
			if n, ok := s.st.Networks[pn.Network]; ok {
				n.Servers = slices.DeleteFunc(n.Servers, func(x int64) bool { return x == id })
			}
		}
		// Its private IPs and firewall attachments are released only
		// after a delay (propagation.go).
		s.serverDeleted(r, a.FinishAt)
		s.leavePlacementGroups(id)
		for pid, p := range s.st.PrimaryIPs {
			if p.AssigneeID != nil && *p.AssigneeID == id {
				if p.AutoDelete {
					delete(s.st.PrimaryIPs, pid)
				} else {
					p.AssigneeID = nil
				}
			}
		}
		// A Floating IP outlives its server and is left unassigned
		// (unverified: the API reference does not say; Floating IPs are
		// project resources, unlike auto-deleted primary IPs).
		for fid, f := range s.st.FloatingIPs {
			if f.Server != nil && *f.Server == id {
				f.Server = nil
				c.emit("hcloud.floating_ip.updated", fid)
			}
		}
		delete(s.st.Servers, id)
		c.emit("hcloud.server.deleted", id)
	}
	return http.StatusOK, schema.ServerDeleteResponse{Action: a.view(c.now)}, nil
}
