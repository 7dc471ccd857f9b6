package hcloudsim

import (
	"cmp"
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

var loadBalancerActions = map[string]func(c *call, id int64) (int, any, *apiError){
	"attach_to_network":   attachLoadBalancer,
	"detach_from_network": detachLoadBalancer,
}

func (s *Server) loadBalancer(id int64) (*schema.LoadBalancer, *apiError) {
	lb, ok := s.st.LoadBalancers[id]
	if !ok {
		return nil, notFound("load_balancer", id)
	}
	return lb, nil
}

func (s *Server) loadBalancerNameTaken(name string) bool {
	for _, lb := range s.st.LoadBalancers {
		if lb.Name == name {
			return true
		}
	}
	return false
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
	if err := s.checkName("load balancer", req.Name, s.loadBalancerNameTaken); err != nil {
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
		n, err := s.network(*req.Network)
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
	r := ref{ID: lb.ID, Type: "load_balancer"}
	a, _ := c.newAction("create_load_balancer", r, r)
	a.Fail = false
	return http.StatusCreated, schema.LoadBalancerCreateResponse{LoadBalancer: loadBalancerView(lb), Action: a.view(c.now)}, nil
}

func applyLoadBalancerAttach(lb *schema.LoadBalancer, p attachPlan) {
	lb.PrivateNet = append(lb.PrivateNet, schema.LoadBalancerPrivateNet{Network: p.network.ID, IP: p.ip.String()})
	p.network.LoadBalancers = append(p.network.LoadBalancers, lb.ID)
}

func getLoadBalancer(c *call, id int64) (int, any, *apiError) {
	lb, err := c.s.loadBalancer(id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, schema.LoadBalancerGetResponse{LoadBalancer: loadBalancerView(lb)}, nil
}

func listLoadBalancers(c *call) (int, any, *apiError) {
	f, err := parseFilter(c)
	if err != nil {
		return 0, nil, err
	}
	var out []schema.LoadBalancer
	for _, lb := range c.s.st.LoadBalancers {
		if f.match(lb.Name, lb.Labels) {
			out = append(out, loadBalancerView(lb))
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.LoadBalancer) int{
		"id":   func(a, b schema.LoadBalancer) int { return cmp.Compare(a.ID, b.ID) },
		"name": func(a, b schema.LoadBalancer) int { return cmp.Compare(a.Name, b.Name) },
	}, func(page []schema.LoadBalancer, meta schema.MetaResponse) any {
		return struct {
			schema.LoadBalancerListResponse
			schema.MetaResponse
		}{schema.LoadBalancerListResponse{LoadBalancers: page}, meta}
	})
}

// deleteLoadBalancer answers with an action (hcloud-go v2.52.0) and frees
// the load balancer's private IPs and its auto-deleted primary IPs.
func deleteLoadBalancer(c *call, id int64) (int, any, *apiError) {
	s := c.s
	lb, err := s.loadBalancer(id)
	if err != nil {
		return 0, nil, err
	}
	if lb.Protection.Delete {
		return 0, nil, errf("protected", "load balancer %d is delete-protected", id)
	}
	r := ref{ID: id, Type: "load_balancer"}
	a, ok := c.newAction("delete_load_balancer", ref{}, r)
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

func attachLoadBalancer(c *call, id int64) (int, any, *apiError) {
	var req schema.LoadBalancerActionAttachToNetworkRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	s := c.s
	lb, err := s.loadBalancer(id)
	if err != nil {
		return 0, nil, err
	}
	if err := s.checkLocked("load_balancer", id); err != nil {
		return 0, nil, err
	}
	n, err := s.network(req.Network)
	if err != nil {
		return 0, nil, err
	}
	if slices.ContainsFunc(lb.PrivateNet, func(p schema.LoadBalancerPrivateNet) bool { return p.Network == n.ID }) {
		return 0, nil, errf("load_balancer_already_attached", "load balancer %d is already attached to network %d", id, n.ID)
	}
	plan, err := s.planIP(n, lb.Location, req.IP, nil)
	if err != nil {
		return 0, nil, err
	}
	r := ref{ID: id, Type: "load_balancer"}
	a, ok := c.newAction("attach_to_network", r, r, ref{ID: n.ID, Type: "network"})
	if ok {
		applyLoadBalancerAttach(lb, plan)
	}
	return http.StatusCreated, actionResponse(a, c.now), nil
}

func detachLoadBalancer(c *call, id int64) (int, any, *apiError) {
	var req schema.LoadBalancerActionDetachFromNetworkRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	s := c.s
	lb, err := s.loadBalancer(id)
	if err != nil {
		return 0, nil, err
	}
	i := slices.IndexFunc(lb.PrivateNet, func(p schema.LoadBalancerPrivateNet) bool { return p.Network == req.Network })
	if i < 0 {
		return 0, nil, errf("load_balancer_not_attached_to_network", "load balancer %d is not attached to network %d", id, req.Network)
	}
	r := ref{ID: id, Type: "load_balancer"}
	a, ok := c.newAction("detach_from_network", r, r, ref{ID: req.Network, Type: "network"})
	if ok {
		lb.PrivateNet = slices.Delete(lb.PrivateNet, i, i+1)
		if n, ok := s.st.Networks[req.Network]; ok {
			n.LoadBalancers = slices.DeleteFunc(n.LoadBalancers, func(x int64) bool { return x == id })
		}
	}
	return http.StatusCreated, actionResponse(a, c.now), nil
}
