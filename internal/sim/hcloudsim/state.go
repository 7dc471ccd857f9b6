package hcloudsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// state is the whole emulated project. It is plain data so that -state-file
// can persist it as JSON and a restarted emulator resumes where it stopped.
type state struct {
	// Seq holds the last ID handed out per resource type; IDs are never reused.
	Seq        map[string]int64            `json:"seq"`
	Networks   map[int64]*schema.Network   `json:"networks"`
	Servers    map[int64]*serverRec        `json:"servers"`
	PrimaryIPs map[int64]*schema.PrimaryIP `json:"primary_ips"`
	// FloatingIPs share the public IPv4 pool with primary IPs.
	FloatingIPs map[int64]*schema.FloatingIP `json:"floating_ips"`
	Firewalls   map[int64]*schema.Firewall   `json:"firewalls"`
	SSHKeys     map[int64]*schema.SSHKey     `json:"ssh_keys"`
	// PlacementGroups hold their members; a server's placement_group is
	// derived from them (placementgroups.go).
	PlacementGroups map[int64]*schema.PlacementGroup `json:"placement_groups"`
	// LoadBalancers are emulated only as network members (loadbalancers.go).
	LoadBalancers map[int64]*schema.LoadBalancer `json:"load_balancers"`
	Actions       map[int64]*actionRec           `json:"actions"`
	// Pending are changes still propagating in Hetzner's backend
	// (propagation.go).
	Pending []*pendingRec `json:"pending,omitempty"`
	// IPv4Next and IPv6Next are the allocation cursors in the documentation
	// ranges (see primaryips.go).
	IPv4Next int `json:"ipv4_next"`
	IPv6Next int `json:"ipv6_next"`
}

// serverRec is a server plus what the API accepts but never returns.
type serverRec struct {
	Server   schema.Server `json:"server"`
	UserData string        `json:"user_data"`
	SSHKeys  []int64       `json:"ssh_keys"`
}

func newState() *state {
	return &state{
		Seq:             map[string]int64{},
		Networks:        map[int64]*schema.Network{},
		Servers:         map[int64]*serverRec{},
		PrimaryIPs:      map[int64]*schema.PrimaryIP{},
		FloatingIPs:     map[int64]*schema.FloatingIP{},
		Firewalls:       map[int64]*schema.Firewall{},
		SSHKeys:         map[int64]*schema.SSHKey{},
		PlacementGroups: map[int64]*schema.PlacementGroup{},
		LoadBalancers:   map[int64]*schema.LoadBalancer{},
		Actions:         map[int64]*actionRec{},
	}
}

func (st *state) nextID(kind string) int64 {
	st.Seq[kind]++
	return st.Seq[kind]
}

// MarshalState serialises the project for -state-file. Running actions are
// saved with their finish time, so they complete after a restart.
func (s *Server) MarshalState() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(s.st)
}

// UnmarshalState replaces the project with one saved by MarshalState.
func (s *Server) UnmarshalState(data []byte) error {
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return fmt.Errorf("hcloudsim: state file is not a saved Hetzner project: %w", err)
	}
	fresh := newState()
	st.Seq = or(st.Seq, fresh.Seq)
	st.Networks = or(st.Networks, fresh.Networks)
	st.Servers = or(st.Servers, fresh.Servers)
	st.PrimaryIPs = or(st.PrimaryIPs, fresh.PrimaryIPs)
	st.FloatingIPs = or(st.FloatingIPs, fresh.FloatingIPs)
	st.Firewalls = or(st.Firewalls, fresh.Firewalls)
	st.SSHKeys = or(st.SSHKeys, fresh.SSHKeys)
	st.PlacementGroups = or(st.PlacementGroups, fresh.PlacementGroups)
	st.LoadBalancers = or(st.LoadBalancers, fresh.LoadBalancers)
	st.Actions = or(st.Actions, fresh.Actions)
	running := map[int64]*actionRec{}
	for id, a := range st.Actions {
		if a.Action.Status == "running" {
			running[id] = a
			if a.Effect != nil {
				s.wakeAt(a.FinishAt)
			}
		}
	}
	s.mu.Lock()
	s.st, s.running = st, running
	s.mu.Unlock()
	return nil
}

func or[M ~map[K]V, K comparable, V any](m, def M) M {
	if m == nil {
		return def
	}
	return m
}

// Resources lists every live resource for GET /_sim/state.
func (s *Server) Resources() []simenv.Resource {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []simenv.Resource{}
	add := func(typ string, id int64, name string) {
		out = append(out, simenv.Resource{Cloud: simenv.CloudHCloud, Type: typ, ID: strconv.FormatInt(id, 10), Name: name})
	}
	for _, k := range stored {
		k.each(s, add)
	}
	for _, n := range s.st.Networks {
		// Subnets and routes live inside their network; listed on their
		// own, a subnet or route a destroy left in a network that outlives
		// the link shows up as an orphan.
		for _, sub := range n.Subnets {
			out = append(out, simenv.Resource{Cloud: simenv.CloudHCloud, Type: "network_subnet",
				ID: strconv.FormatInt(n.ID, 10) + "/" + sub.IPRange, Name: sub.IPRange})
		}
		for _, r := range n.Routes {
			out = append(out, simenv.Resource{Cloud: simenv.CloudHCloud, Type: "network_route",
				ID: strconv.FormatInt(n.ID, 10) + "/" + r.Destination, Name: r.Destination + " via " + r.Gateway})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		a, _ := strconv.ParseInt(out[i].ID, 10, 64)
		b, _ := strconv.ParseInt(out[j].ID, 10, 64)
		if a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Network returns a copy of one network, for the lab's router.
func (s *Server) Network(id int64) (schema.Network, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.st.Networks[id]
	if !ok {
		return schema.Network{}, false
	}
	return cloneNetwork(n), true
}

// Networks returns copies of all networks, ordered by ID.
func (s *Server) Networks() []schema.Network {
	s.mu.Lock()
	defer s.mu.Unlock()
	return networks.sorted(s)
}

// Server returns a copy of one server as the API shows it, for the lab,
// which turns servers into network namespaces.
func (s *Server) Server(id int64) (schema.Server, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.env.Clock.Now())
	r, ok := s.st.Servers[id]
	if !ok {
		return schema.Server{}, false
	}
	return s.serverView(r), true
}

// Servers returns copies of all servers, ordered by ID.
func (s *Server) Servers() []schema.Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.env.Clock.Now())
	return servers.sorted(s)
}

// UserData returns the cloud-init user data a server was created with; the
// lab runs the gateway's strongSwan from the files it writes.
func (s *Server) UserData(id int64) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.Servers[id]
	if !ok {
		return "", false
	}
	return r.UserData, true
}

func cloneNetwork(n *schema.Network) schema.Network {
	c := *n
	c.Subnets = slices.Clone(n.Subnets)
	c.Routes = slices.Clone(n.Routes)
	c.Servers = slices.Clone(n.Servers)
	c.LoadBalancers = slices.Clone(n.LoadBalancers)
	c.Labels = maps.Clone(n.Labels)
	fixNil(&c.Subnets, &c.Routes, &c.Servers, &c.LoadBalancers, &c.Labels)
	return c
}

// fixNil makes empty collections encode as [] / {} like the real API, which
// never sends null for them.
func fixNil(subnets *[]schema.NetworkSubnet, routes *[]schema.NetworkRoute, servers, lbs *[]int64, labels *map[string]string) {
	if *subnets == nil {
		*subnets = []schema.NetworkSubnet{}
	}
	if *routes == nil {
		*routes = []schema.NetworkRoute{}
	}
	if *servers == nil {
		*servers = []int64{}
	}
	if *lbs == nil {
		*lbs = []int64{}
	}
	if *labels == nil {
		*labels = map[string]string{}
	}
}

func labelsOrEmpty(l *map[string]string) map[string]string {
	if l == nil || *l == nil {
		return map[string]string{}
	}
	return maps.Clone(*l)
}
