package hcloudsim

import (
	"net/http"
	"strconv"
	"strings"
)

// kind describes one resource collection, e.g. /networks.
type kind struct {
	// resType is the type name in action resources and /_sim/state.
	resType string
	list    handlerFunc
	create  handlerFunc
	get     func(c *call, id int64) (int, any, *apiError)
	update  func(c *call, id int64) (int, any, *apiError)
	del     func(c *call, id int64) (int, any, *apiError)
	// actions are POST /{kind}/{id}/actions/{command}.
	actions map[string]actionFunc
}

func buildKinds() map[string]*kind {
	return map[string]*kind{
		"networks": {resType: networks.typ, list: networks.list, create: createNetwork,
			get: networks.get, update: updateNetwork, del: deleteNetwork, actions: networkActions},
		"servers": {resType: servers.typ, list: servers.list, create: createServer,
			get: servers.get, update: updateServer, del: deleteServer, actions: serverActions},
		"primary_ips": {resType: primaryIPs.typ, list: primaryIPs.list, create: createPrimaryIP,
			get: primaryIPs.get, update: updatePrimaryIP, del: deletePrimaryIP, actions: primaryIPActions},
		"floating_ips": {resType: floatingIPs.typ, list: floatingIPs.list, create: createFloatingIP,
			get: floatingIPs.get, update: updateFloatingIP, del: deleteFloatingIP, actions: floatingIPActions},
		"firewalls": {resType: firewalls.typ, list: firewalls.list, create: createFirewall,
			get: firewalls.get, update: updateFirewall, del: deleteFirewall, actions: firewallActions},
		"placement_groups": {resType: placementGroups.typ, list: placementGroups.list, create: createPlacementGroup,
			get: placementGroups.get, update: updatePlacementGroup, del: deletePlacementGroup},
		"ssh_keys": {resType: sshKeys.typ, list: sshKeys.list, create: createSSHKey,
			get: sshKeys.get, update: updateSSHKey, del: deleteSSHKey},
		"load_balancers": {resType: loadBalancers.typ, list: loadBalancers.list, create: createLoadBalancer,
			get: loadBalancers.get, del: deleteLoadBalancer, actions: loadBalancerActions},
		"server_types": {list: listServerTypes, get: getServerType},
		"locations":    {list: listLocations, get: getLocation},
		"images":       {list: listImages, get: getImage},
	}
}

var routeKinds = buildKinds()

func parseID(seg string) (int64, bool) {
	id, err := strconv.ParseInt(seg, 10, 64)
	return id, err == nil && id > 0
}

func methodNotAllowed(method, path string) *apiError {
	return errf("method_not_allowed", "%s is not allowed on %s", method, path)
}

// route finds the handler for method and path (already stripped of
// /hcloud/v1). It is a hand-written matcher because Hetzner's paths
// (/networks/actions/{id} next to /networks/{id}/actions) are ambiguous for
// http.ServeMux patterns.
func (s *Server) route(method, path string) (handlerFunc, *apiError) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	unknown := errf("not_found", "no such API endpoint: %s %s", method, path)
	if segs[0] == "actions" {
		return routeGlobalActions(method, path, segs)
	}
	k, ok := routeKinds[segs[0]]
	if !ok {
		return nil, unknown
	}
	get := method == http.MethodGet
	switch len(segs) {
	case 1:
		switch {
		case get && k.list != nil:
			return k.list, nil
		case method == http.MethodPost && k.create != nil:
			return k.create, nil
		}
		return nil, methodNotAllowed(method, path)
	case 2:
		if segs[1] == "actions" && k.resType != "" && get {
			return actionList(k.resType, 0), nil
		}
		id, ok := parseID(segs[1])
		if !ok {
			return nil, unknown
		}
		var f func(c *call, id int64) (int, any, *apiError)
		switch method {
		case http.MethodGet:
			f = k.get
		case http.MethodPut:
			f = k.update
		case http.MethodDelete:
			f = k.del
		}
		if f == nil {
			return nil, methodNotAllowed(method, path)
		}
		return func(c *call) (int, any, *apiError) { return f(c, id) }, nil
	case 3:
		if k.resType == "" || !get {
			return nil, unknown
		}
		if id, ok := parseID(segs[1]); ok && segs[0] == "networks" && segs[2] == "members" {
			return func(c *call) (int, any, *apiError) { return listMembers(c, id) }, nil
		}
		if segs[1] == "actions" {
			if aid, ok := parseID(segs[2]); ok {
				return actionGet(k.resType, 0, aid), nil
			}
		} else if id, ok := parseID(segs[1]); ok && segs[2] == "actions" {
			return actionList(k.resType, id), nil
		}
		return nil, unknown
	case 4:
		id, ok := parseID(segs[1])
		if !ok || segs[2] != "actions" || k.resType == "" {
			return nil, unknown
		}
		if get {
			if aid, ok := parseID(segs[3]); ok {
				return actionGet(k.resType, id, aid), nil
			}
			return nil, unknown
		}
		f, ok := k.actions[segs[3]]
		if !ok {
			return nil, unknown
		}
		if method != http.MethodPost {
			return nil, methodNotAllowed(method, path)
		}
		return func(c *call) (int, any, *apiError) { return f(c, id) }, nil
	}
	return nil, unknown
}

func routeGlobalActions(method, path string, segs []string) (handlerFunc, *apiError) {
	if method != http.MethodGet {
		return nil, methodNotAllowed(method, path)
	}
	switch len(segs) {
	case 1:
		return actionList("", 0), nil
	case 2:
		if aid, ok := parseID(segs[1]); ok {
			return actionGet("", 0, aid), nil
		}
	}
	return nil, errf("not_found", "no such API endpoint: %s %s", method, path)
}
