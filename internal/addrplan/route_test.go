package addrplan

import (
	"net/netip"
	"testing"
)

func route(dest, gw string) Route {
	return Route{Destination: mp(dest), Gateway: ma(gw)}
}

func TestCheckRoute(t *testing.T) {
	original := mp("10.0.0.0/12")
	origSubnets := prefixes("10.0.1.0/24")
	tests := []struct {
		name    string
		network netip.Prefix
		subnets []netip.Prefix
		routes  []Route
		r       Route
		attr    string
		errWant []string
	}{
		{name: "original topology", network: original, subnets: origSubnets, r: route("10.1.0.0/16", "10.0.1.1")},
		{name: "existing identical route is itself", network: original, subnets: origSubnets,
			routes: []Route{route("10.1.0.0/16", "10.0.1.1")}, r: route("10.1.0.0/16", "10.0.1.1")},
		{name: "second disjoint route", network: original, subnets: origSubnets,
			routes: []Route{route("10.1.0.0/16", "10.0.1.1")}, r: route("10.2.0.0/16", "10.0.1.1")},
		{name: "default route", network: original, subnets: origSubnets, r: route("0.0.0.0/0", "10.0.1.1")},
		{name: "default route next to others", network: original, subnets: origSubnets,
			routes: []Route{route("10.1.0.0/16", "10.0.1.1")}, r: route("0.0.0.0/0", "10.0.1.2")},
		{name: "gateway is network router", network: original, subnets: origSubnets, r: route("10.1.0.0/16", "10.0.0.1"),
			attr: AttrGateway, errWant: []string{"first IP"}},
		{name: "gateway outside network", network: original, subnets: origSubnets, r: route("10.1.0.0/16", "10.16.0.5"),
			attr: AttrGateway, errWant: []string{"not part of the network range 10.0.0.0/12"}},
		{name: "gateway inside destination", network: original, subnets: origSubnets, r: route("10.1.0.0/16", "10.1.0.5"),
			attr: AttrGateway, errWant: []string{"inside the destination"}},
		{name: "gateway public gateway", network: mp("172.16.0.0/12"), subnets: prefixes("172.16.1.0/24"),
			r: route("172.20.0.0/16", "172.31.1.1"), attr: AttrGateway, errWant: []string{"public gateway"}},
		{name: "gateway ipv6", network: original, subnets: origSubnets, r: Route{Destination: mp("10.1.0.0/16"), Gateway: ma("fd00::1")},
			attr: AttrGateway, errWant: []string{"IPv6"}},
		{name: "destination outside network suggests growth", network: original, subnets: origSubnets, r: route("10.16.0.0/16", "10.0.1.1"),
			attr: AttrDestination, errWant: []string{"outside the network range", "10.0.0.0/11", "expand_network_ip_range"}},
		{name: "destination in other RFC1918 block", network: mp("192.168.0.0/16"), subnets: prefixes("192.168.1.0/24"),
			r: route("10.1.0.0/16", "192.168.1.2"), attr: AttrDestination, errWant: []string{"largest range this network can have is 192.168.0.0/16", "No RFC1918 range"}},
		{name: "destination needs a moved base", network: mp("10.1.0.0/16"), subnets: prefixes("10.1.1.0/24"),
			r: route("10.0.5.0/24", "10.1.1.2"), attr: AttrDestination, errWant: []string{"base address 10.1.0.0 stays", "such as 10.0.0.0/15"}},
		{name: "destination public", network: original, subnets: origSubnets, r: route("8.8.8.0/24", "10.0.1.1"),
			attr: AttrDestination, errWant: []string{"RFC1918"}},
		{name: "destination overlaps subnet", network: original, subnets: origSubnets, r: route("10.0.1.128/25", "10.0.2.1"),
			attr: AttrDestination, errWant: []string{"subnet 10.0.1.0/24"}},
		{name: "destination is whole network", network: original, subnets: origSubnets, r: route("10.0.0.0/12", "10.0.1.1"),
			attr: AttrDestination, errWant: []string{"overlaps"}},
		{name: "destination overlaps route", network: original, subnets: origSubnets,
			routes: []Route{route("10.1.0.0/16", "10.0.1.1")}, r: route("10.1.2.0/24", "10.0.1.2"),
			attr: AttrDestination, errWant: []string{"existing route", "10.1.0.0/16"}},
		{name: "same destination other gateway", network: original, subnets: origSubnets,
			routes: []Route{route("10.1.0.0/16", "10.0.1.1")}, r: route("10.1.0.0/16", "10.0.1.2"),
			attr: AttrDestination, errWant: []string{"already has a route", "via 10.0.1.1"}},
		{name: "two default routes", network: original, subnets: origSubnets,
			routes: []Route{route("0.0.0.0/0", "10.0.1.1")}, r: route("0.0.0.0/0", "10.0.1.2"),
			attr: AttrDestination, errWant: []string{"already has a route"}},
		{name: "destination contains network router", network: original, subnets: origSubnets, r: route("10.0.0.0/24", "10.0.1.1"),
			attr: AttrDestination, errWant: []string{"first IP"}},
		{name: "destination contains public gateway", network: mp("172.16.0.0/12"), subnets: prefixes("172.16.1.0/24"),
			r: route("172.31.0.0/16", "172.16.1.2"), attr: AttrDestination, errWant: []string{"172.31.1.1"}},
		{name: "destination host bits", network: original, subnets: origSubnets,
			r:    Route{Destination: netip.PrefixFrom(ma("10.1.2.3"), 16), Gateway: ma("10.0.1.1")},
			attr: AttrDestination, errWant: []string{"did you mean 10.1.0.0/16"}},
		{name: "invalid network", network: netip.Prefix{}, r: route("10.1.0.0/16", "10.0.1.1"), attr: AttrNetworkIPRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckRoute(tt.network, tt.subnets, tt.routes, tt.r)
			checkErr(t, err, tt.attr, tt.errWant...)
		})
	}
}

// TestOriginalTopology runs the whole hand-built Hetzner<->Azure setup
// (docs/facts/origin.md) through every rule, as the link resource will.
func TestOriginalTopology(t *testing.T) {
	network, _ := ParsePrefix(AttrNetworkIPRange, "10.0.0.0/12")
	subnet, _ := ParsePrefix(AttrGatewaySubnet, "10.0.1.0/24")
	azure, _ := ParsePrefixes(AttrRemotePrefixes, []string{"10.1.0.0/16"})
	checkErr(t, CheckNetworkRange(network), "")
	checkErr(t, CheckCovers(network, azure, AttrRemotePrefixes), "")
	checkErr(t, CheckNoOverlap([]netip.Prefix{subnet}, AttrLocalPrefixes, azure, AttrRemotePrefixes), "")
	gw, err := DefaultGatewayIP(subnet, network, nil)
	checkErr(t, err, "")
	if gw != ma("10.0.1.1") {
		t.Fatalf("default gateway = %s, want 10.0.1.1 (the strongSwan server of the original setup)", gw)
	}
	checkErr(t, CheckGatewayIP(gw, subnet, network), "")
	checkErr(t, CheckRoute(network, []netip.Prefix{subnet}, nil, Route{Destination: azure[0], Gateway: gw}), "")
	checkErr(t, CheckGatewayIP(ma("10.0.0.1"), mp("10.0.0.0/24"), network), AttrGatewayIP, "router")
	checkErr(t, CheckCovers(network, prefixes("10.16.0.0/16"), AttrRemotePrefixes), AttrRemotePrefixes, "10.0.0.0/11")
}
