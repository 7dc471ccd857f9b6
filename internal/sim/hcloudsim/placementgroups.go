package hcloudsim

import (
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// Placement groups keep the servers of a spread group on different physical
// hosts: what stops one host failure from taking both gateways of an HA pair
// (docs/facts/hetzner.md, "Placement groups"). The API shows no hosts, so the
// emulator keeps what the API does show: membership, the limits, and the
// rules for joining and deleting. Membership lives in the group's Servers
// list only; a server's placement_group is derived from it (serverView).

const (
	// maxServersPerSpreadGroup: "Up to 10 servers per Placement Group (type
	// Spread)" (docs.hetzner.com placement groups overview).
	maxServersPerSpreadGroup = 10
	// maxPlacementGroups: "Up to 50 Placement Groups per project" (ibid.).
	maxPlacementGroups = 50
	// placementGroupSpread is the only type Hetzner offers.
	placementGroupSpread = "spread"
)

func init() {
	// Registered here rather than in serveractions.go so that placement
	// groups stay in one file.
	serverActions["add_to_placement_group"] = act(servers, ifUnlocked, addToPlacementGroup)
	serverActions["remove_from_placement_group"] = act(servers, ifUnlocked, removeFromPlacementGroup)
}

// placementGroups is the kind of /placement_groups (kind.go); its list
// also filters by type=.
var placementGroups = &kindOf[schema.PlacementGroup, schema.PlacementGroup]{
	typ: "placement_group", label: "placement group",
	items: func(st *state) map[int64]*schema.PlacementGroup { return st.PlacementGroups },
	meta:  func(g *schema.PlacementGroup) meta { return meta{g.ID, &g.Name, &g.Labels, g.Created} },
	view:  func(_ *Server, g *schema.PlacementGroup) schema.PlacementGroup { return clonePlacementGroup(g) },
	sorts: []string{"name", "created"},
	match: func(q url.Values, g *schema.PlacementGroup) bool {
		typ := q.Get("type")
		return typ == "" || g.Type == typ
	},
	getBody: func(v schema.PlacementGroup) any { return schema.PlacementGroupGetResponse{PlacementGroup: v} },
	updateBody: func(v schema.PlacementGroup) any {
		return schema.PlacementGroupUpdateResponse{PlacementGroup: v}
	},
	listBody: func(page []schema.PlacementGroup) any {
		return schema.PlacementGroupListResponse{PlacementGroups: page}
	},
}

// clonePlacementGroup is the API view of g, sharing nothing with state.
func clonePlacementGroup(g *schema.PlacementGroup) schema.PlacementGroup {
	v := *g
	v.Labels = labelsOrEmpty(&g.Labels)
	v.Servers = append([]int64{}, g.Servers...)
	return v
}

// placementGroupOf is the group server id belongs to, for its
// placement_group field; nil when it is in none.
func (s *Server) placementGroupOf(id int64) *schema.PlacementGroup {
	for _, gid := range slices.Sorted(maps.Keys(s.st.PlacementGroups)) {
		if g := s.st.PlacementGroups[gid]; slices.Contains(g.Servers, id) {
			v := clonePlacementGroup(g)
			return &v
		}
	}
	return nil
}

// checkJoin validates that one more server may join group gid; it changes
// nothing, so createServer can call it before anything is written.
func (s *Server) checkJoin(gid int64) (*schema.PlacementGroup, *apiError) {
	g, err := placementGroups.find(s, gid)
	if err != nil {
		return nil, err
	}
	if g.Type == placementGroupSpread && len(g.Servers) >= maxServersPerSpreadGroup {
		// The API's own words (terraform-provider-hcloud#1170).
		return nil, errf("placement_group_member_limit_reached", "placement group with ID %d contains already %d servers", gid, len(g.Servers))
	}
	return g, nil
}

// leavePlacementGroups takes a deleted server out of its group; the group
// itself stays, even when empty.
func (s *Server) leavePlacementGroups(serverID int64) {
	for _, g := range s.st.PlacementGroups {
		g.Servers = slices.DeleteFunc(g.Servers, func(x int64) bool { return x == serverID })
	}
}

func createPlacementGroup(c *call) (int, any, *apiError) {
	var req schema.PlacementGroupCreateRequest
	if err := placementGroups.decodeNew(c, &req, &req.Name, &req.Labels); err != nil {
		return 0, nil, err
	}
	s := c.s
	if req.Type != placementGroupSpread {
		return 0, nil, invalidField("type", "%q is not a placement group type; Hetzner offers only spread", req.Type)
	}
	if len(s.st.PlacementGroups) >= maxPlacementGroups {
		return 0, nil, errf("resource_limit_exceeded", "a project can have at most %d placement groups; delete unused ones", maxPlacementGroups)
	}
	g := &schema.PlacementGroup{ID: s.st.nextID("placement_group"), Name: req.Name, Type: req.Type,
		Labels: labelsOrEmpty(req.Labels), Created: c.now, Servers: []int64{}}
	s.st.PlacementGroups[g.ID] = g
	c.emit("hcloud.placement_group.created", g.ID)
	// The create is immediate: no action (terraform-provider-hcloud waits
	// only when one is returned).
	return http.StatusCreated, schema.PlacementGroupCreateResponse{PlacementGroup: clonePlacementGroup(g)}, nil
}

var updatePlacementGroup = updater(placementGroups,
	func(req *schema.PlacementGroupUpdateRequest) edit { return edit{req.Name, req.Labels} }, nil)

// deletePlacementGroup refuses a group that still has servers. Whether
// Hetzner does is unverified (docs/facts/hetzner.md): refusing is the
// stricter reading, under which only a delete order that also works on the
// permissive reading (servers first) passes.
var deletePlacementGroup = placementGroups.deleter(func(_ *call, g *schema.PlacementGroup) *apiError {
	if len(g.Servers) > 0 {
		return errf("resource_in_use", "placement group %d still has servers %v; delete them or remove them from the group first", g.ID, g.Servers)
	}
	return nil
}, func(c *call, g *schema.PlacementGroup) { c.emit("hcloud.placement_group.deleted", g.ID) })

// unprocessable answers code with 422, the status the API reference gives
// the placement group actions' errors (statusByCode has server_not_stopped
// as 409 for other actions).
func unprocessable(code, format string, args ...any) *apiError {
	e := errf(code, format, args...)
	e.Status = http.StatusUnprocessableEntity
	return e
}

// addToPlacementGroup moves an existing server into a group: only while it
// is off, and only when it is in no group yet (API reference, "Add a Server
// to a Placement Group").
func addToPlacementGroup(c *call, r *serverRec, req *schema.ServerActionAddToPlacementGroupRequest) (*actionRec, *apiError) {
	s, id := c.s, r.Server.ID
	if req.PlacementGroup == 0 {
		return nil, invalidField("placement_group", "give the ID of the placement group to add the server to")
	}
	if cur := s.placementGroupOf(id); cur != nil {
		return nil, unprocessable("already_in_placement_group", "server %d is already in placement group %d", id, cur.ID)
	}
	if r.Server.Status != "off" {
		return nil, unprocessable("server_not_stopped", "server %d is %s; power it off before adding it to a placement group", id, r.Server.Status)
	}
	g, err := s.checkJoin(req.PlacementGroup)
	if err != nil {
		return nil, err
	}
	sref := servers.ref(id)
	a, ok := c.newAction("add_to_placement_group", sref, sref, ref{ID: g.ID, Type: "placement_group"})
	if ok {
		g.Servers = append(g.Servers, id)
		c.emit("hcloud.server.updated", id)
	}
	return a, nil
}

// removeFromPlacementGroup takes a server out of its group. The API lists
// no errors for it; refusing a server in no group is the emulator's reading
// (unverified).
func removeFromPlacementGroup(c *call, r *serverRec, _ *noBody) (*actionRec, *apiError) {
	s, id := c.s, r.Server.ID
	cur := s.placementGroupOf(id)
	if cur == nil {
		return nil, invalidField("placement_group", "server %d is in no placement group", id)
	}
	sref := servers.ref(id)
	a, ok := c.newAction("remove_from_placement_group", sref, sref, ref{ID: cur.ID, Type: "placement_group"})
	if ok {
		s.leavePlacementGroups(id)
		c.emit("hcloud.server.updated", id)
	}
	return a, nil
}

// PlacementGroups returns copies of all placement groups, ordered by ID.
func (s *Server) PlacementGroups() []schema.PlacementGroup {
	s.mu.Lock()
	defer s.mu.Unlock()
	return placementGroups.sorted(s)
}
