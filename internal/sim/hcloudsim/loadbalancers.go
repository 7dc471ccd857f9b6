package hcloudsim

import (
	"maps"
	"net/http"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// Load balancers, as far as they are network members: they take private IPs
// from a network's subnets like servers do (hcloud-go schema/network.go:
// the network lists load_balancers, and GET /networks/{id}/members lists
// them with their ip and subnet), so a client choosing a free IP must skip
// them. Services, targets, health checks and certificates are not emulated.
//
// Since 2026-10-05 a load balancer's public addresses are primary IPs, and
// deleting one returns an action (hcloud-go v2.52.0 CHANGELOG, changelog
// entries 2026-10-05-load-balancers-can-use-existing-primary-ips and
// 2026-10-05-delete-load-balancer-returns-action); the emulator allocates an
// IPv4 primary IP when public_interface is not false, and no IPv6.
var loadBalancerTypes = []schema.LoadBalancerType{
	{ID: 1, Name: "lb11", Description: "LB11", MaxConnections: 10000, MaxServices: 5, MaxTargets: 25, MaxAssignedCertificates: 10, Prices: []schema.PricingLoadBalancerTypePrice{}},
	{ID: 2, Name: "lb21", Description: "LB21", MaxConnections: 20000, MaxServices: 15, MaxTargets: 75, MaxAssignedCertificates: 25, Prices: []schema.PricingLoadBalancerTypePrice{}},
	{ID: 3, Name: "lb31", Description: "LB31", MaxConnections: 40000, MaxServices: 30, MaxTargets: 150, MaxAssignedCertificates: 50, Prices: []schema.PricingLoadBalancerTypePrice{}},
}

var loadBalancerActions = map[string]actionFunc{
	"attach_to_network":   act(loadBalancers, ifUnlocked, attachLoadBalancer),
	"detach_from_network": act(loadBalancers, evenIfLocked, detachLoadBalancer),
}

// loadBalancers is the kind of /load_balancers (kind.go); the API's
// update is not emulated.
var loadBalancers = &kindOf[schema.LoadBalancer, schema.LoadBalancer]{
	typ: "load_balancer", label: "load balancer",
	items:     func(st *state) map[int64]*schema.LoadBalancer { return st.LoadBalancers },
	meta:      func(lb *schema.LoadBalancer) meta { return meta{lb.ID, &lb.Name, &lb.Labels, lb.Created} },
	view:      func(_ *Server, lb *schema.LoadBalancer) schema.LoadBalancer { return loadBalancerView(lb) },
	sorts:     []string{"name"},
	protected: func(lb *schema.LoadBalancer) bool { return lb.Protection.Delete },
	getBody:   func(v schema.LoadBalancer) any { return schema.LoadBalancerGetResponse{LoadBalancer: v} },
	listBody: func(page []schema.LoadBalancer) any {
		return schema.LoadBalancerListResponse{LoadBalancers: page}
	},
}

func loadBalancerView(lb *schema.LoadBalancer) schema.LoadBalancer {
	v := *lb
	v.PrivateNet = append([]schema.LoadBalancerPrivateNet{}, lb.PrivateNet...)
	v.Labels = maps.Clone(lb.Labels)
	v.Services, v.Targets = []schema.LoadBalancerService{}, []schema.LoadBalancerTarget{}
	return v
}

func createLoadBalancer(c *call) (int, any, *apiError) {
	var req schema.LoadBalancerCreateRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	s := c.s
	if err := loadBalancers.checkName(s, req.Name); err != nil {
		return 0, nil, err
	}
	i := slices.IndexFunc(loadBalancerTypes, func(t schema.LoadBalancerType) bool {
		return (req.LoadBalancerType.ID != 0 && t.ID == req.LoadBalancerType.ID) || t.Name == req.LoadBalancerType.Name
	})
	if i < 0 {
		return 0, nil, invalidField("load_balancer_type", "load balancer type %s not found; use lb11, lb21 or lb31", refString(req.LoadBalancerType))
	}
	if err := checkLabels(req.Labels); err != nil {
		return 0, nil, err
	}
	var loc schema.Location
	switch {
	case req.Location != nil:
		l, ok := locationByName(*req.Location)
		if !ok {
			return 0, nil, invalidField("location", "unknown location %q", *req.Location)
		}
		loc = l
	case req.NetworkZone != nil && slices.Contains(networkZones, *req.NetworkZone):
		loc = schema.Location{NetworkZone: *req.NetworkZone}
		for _, l := range locations {
			if l.NetworkZone == *req.NetworkZone {
				loc = l
				break
			}
		}
	default:
		return 0, nil, invalidField("location", "give a location or a network_zone")
	}
	lb := &schema.LoadBalancer{Name: req.Name, Location: loc, LoadBalancerType: loadBalancerTypes[i],
		Labels: labelsOrEmpty(req.Labels), Created: c.now, Algorithm: schema.LoadBalancerAlgorithm{Type: "round_robin"},
		PrivateNet: []schema.LoadBalancerPrivateNet{}}
	var plan attachPlan
	if req.Network != nil {
		n, err := networks.find(s, *req.Network)
		if err != nil {
			return 0, nil, err
		}
		if plan, err = s.planIP(n, loc, nil, nil); err != nil {
			return 0, nil, err
		}
	}
	public := req.PublicInterface == nil || *req.PublicInterface
	lb.ID = s.st.nextID("load_balancer")
	if public {
		p, err := s.newPrimaryIP(c, "", "ipv4", loc, true, map[string]string{})
		if err != nil {
			return 0, nil, err
		}
		p.AssigneeType, p.AssigneeID = "load_balancer", &lb.ID
		lb.PublicNet = schema.LoadBalancerPublicNet{Enabled: true, IPv4: schema.LoadBalancerPublicNetIPv4{ID: p.ID, IP: p.IP}}
	}
	if plan.network != nil {
		applyLoadBalancerAttach(lb, plan)
	}
	s.st.LoadBalancers[lb.ID] = lb
	r := loadBalancers.ref(lb.ID)
	a, _ := c.newAction("create_load_balancer", r, r)
	a.Fail = false
	return http.StatusCreated, schema.LoadBalancerCreateResponse{LoadBalancer: loadBalancerView(lb), Action: a.view(c.now)}, nil
}

func applyLoadBalancerAttach(lb *schema.LoadBalancer, p attachPlan) {
	lb.PrivateNet = append(lb.PrivateNet, schema.LoadBalancerPrivateNet{Network: p.network.ID, IP: p.ip.String()})
	p.network.LoadBalancers = append(p.network.LoadBalancers, lb.ID)
}

// deleteLoadBalancer answers with an action (hcloud-go v2.52.0) and frees
// the load balancer's private IPs and its auto-deleted primary IPs.
func deleteLoadBalancer(c *call, id int64) (int, any, *apiError) {
	s := c.s
	lb, err := loadBalancers.deletable(s, id)
	if err != nil {
		return 0, nil, err
	}
	a, ok := c.newAction("delete_load_balancer", ref{}, loadBalancers.ref(id))
	if ok {
		for _, pn := range lb.PrivateNet {
			if n, ok := s.st.Networks[pn.Network]; ok {
				n.LoadBalancers = slices.DeleteFunc(n.LoadBalancers, func(x int64) bool { return x == id })
			}
		}
		for pid, p := range s.st.PrimaryIPs {
			if p.AssigneeType == "load_balancer" && p.AssigneeID != nil && *p.AssigneeID == id {
				if p.AutoDelete {
					delete(s.st.PrimaryIPs, pid)
				} else {
					p.AssigneeType, p.AssigneeID = "", nil
				}
			}
		}
		delete(s.st.LoadBalancers, id)
	}
	return http.StatusCreated, actionResponse(a, c.now), nil
}

func attachLoadBalancer(c *call, lb *schema.LoadBalancer, req *schema.LoadBalancerActionAttachToNetworkRequest) (*actionRec, *apiError) {
	s, id := c.s, lb.ID
	n, err := networks.find(s, req.Network)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(lb.PrivateNet, func(p schema.LoadBalancerPrivateNet) bool { return p.Network == n.ID }) {
		return nil, errf("load_balancer_already_attached", "load balancer %d is already attached to network %d", id, n.ID)
	}
	plan, err := s.planIP(n, lb.Location, req.IP, nil)
	if err != nil {
		return nil, err
	}
	r := loadBalancers.ref(id)
	a, ok := c.newAction("attach_to_network", r, r, networks.ref(n.ID))
	if ok {
		applyLoadBalancerAttach(lb, plan)
	}
	return a, nil
}

func detachLoadBalancer(c *call, lb *schema.LoadBalancer, req *schema.LoadBalancerActionDetachFromNetworkRequest) (*actionRec, *apiError) {
	s, id := c.s, lb.ID
	i := slices.IndexFunc(lb.PrivateNet, func(p schema.LoadBalancerPrivateNet) bool { return p.Network == req.Network })
	if i < 0 {
		return nil, errf("load_balancer_not_attached_to_network", "load balancer %d is not attached to network %d", id, req.Network)
	}
	r := loadBalancers.ref(id)
	a, ok := c.newAction("detach_from_network", r, r, networks.ref(req.Network))
	if ok {
		lb.PrivateNet = slices.Delete(lb.PrivateNet, i, i+1)
		if n, ok := s.st.Networks[req.Network]; ok {
			n.LoadBalancers = slices.DeleteFunc(n.LoadBalancers, func(x int64) bool { return x == id })
		}
	}
	return a, nil
}
