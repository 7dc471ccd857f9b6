package addrplan

import (
	"net/netip"
	"testing"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = mp(s)
	}
	return out
}

func TestCheckNetworkRange(t *testing.T) {
	tests := []struct {
		p       netip.Prefix
		errWant []string
	}{
		{p: mp("10.0.0.0/12")},
		{p: mp("10.0.0.0/8")},
		{p: mp("172.16.0.0/12")},
		{p: mp("192.168.0.0/24")},
		{p: mp("10.0.0.0/25"), errWant: []string{"too small", "/24", "did you mean 10.0.0.0/24"}},
		{p: mp("192.168.7.0/28"), errWant: []string{"did you mean 192.168.7.0/24"}},
		{p: mp("11.0.0.0/16"), errWant: []string{"not private", "RFC1918"}},
		{p: mp("10.0.0.0/7"), errWant: []string{"RFC1918"}},
		{p: mp("fd00::/8"), errWant: []string{"IPv6"}},
		{p: netip.PrefixFrom(ma("10.0.1.5"), 16), errWant: []string{"did you mean 10.0.0.0/16"}},
		{p: netip.Prefix{}, errWant: []string{"no valid"}},
	}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			err := CheckNetworkRange(tt.p)
			checkCase(t, err, AttrNetworkIPRange, tt.errWant)
		})
	}
}

func TestCheckCovers(t *testing.T) {
	tests := []struct {
		name    string
		network string
		azure   []string
		errWant []string
	}{
		{name: "original topology", network: "10.0.0.0/12", azure: []string{"10.1.0.0/16"}},
		{name: "several inside", network: "10.0.0.0/8", azure: []string{"10.1.0.0/16", "10.200.0.0/16"}},
		{name: "no azure prefixes", network: "10.0.0.0/12"},
		{name: "equal to range", network: "10.0.0.0/12", azure: []string{"10.0.0.0/12"}},
		{name: "outside suggests /11", network: "10.0.0.0/12", azure: []string{"10.16.0.0/16"},
			errWant: []string{"10.16.0.0/16", "superset", "10.0.0.0/11"}},
		{name: "lists only the outside ones", network: "10.0.0.0/12", azure: []string{"10.1.0.0/16", "10.64.0.0/16"},
			errWant: []string{"prefix(es) 10.64.0.0/16 lie", "10.0.0.0/9"}},
		{name: "larger than range", network: "10.0.0.0/16", azure: []string{"10.0.0.0/8"},
			errWant: []string{"10.0.0.0/8"}},
		{name: "other RFC1918 block", network: "192.168.0.0/16", azure: []string{"10.1.0.0/16"},
			errWant: []string{"No RFC1918 range", "inside 192.168.0.0/16"}},
		{name: "ipv6", network: "10.0.0.0/12", azure: []string{"fd00::/8"}, errWant: []string{"IPv6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCovers(mp(tt.network), prefixes(tt.azure...), AttrRemotePrefixes)
			checkCase(t, err, AttrRemotePrefixes, tt.errWant)
		})
	}
}

func TestCheckCoversExisting(t *testing.T) {
	tests := []struct {
		name    string
		network string
		azure   []string
		errWant []string
	}{
		{name: "covered", network: "10.0.0.0/12", azure: []string{"10.1.0.0/16"}},
		{name: "growable keeps the base", network: "10.0.0.0/20", azure: []string{"10.1.0.0/16"},
			errWant: []string{"10.1.0.0/16 lie outside", "Grow the existing network's range to 10.0.0.0/15", "expand_network_ip_range", "reboot"}},
		{name: "several growable", network: "10.0.0.0/16", azure: []string{"10.1.0.0/16", "10.64.0.0/16"},
			errWant: []string{"10.1.0.0/16, 10.64.0.0/16 lie outside", "to 10.0.0.0/9"}},
		{name: "base would move", network: "10.2.0.0/16", azure: []string{"10.1.0.0/16"},
			errWant: []string{"base address 10.2.0.0 stays", "largest range this network can have is 10.2.0.0/15", "such as 10.0.0.0/14"}},
		{name: "other RFC1918 block", network: "192.168.0.0/16", azure: []string{"10.1.0.0/16"},
			errWant: []string{"No RFC1918 range covers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckCoversExisting(mp(tt.network), prefixes(tt.azure...), AttrRemotePrefixes)
			checkCase(t, err, AttrRemotePrefixes, tt.errWant)
		})
	}
}

func TestCheckNoOverlap(t *testing.T) {
	tests := []struct {
		name    string
		a, b    []string
		errWant []string
	}{
		{name: "original topology", a: []string{"10.0.1.0/24"}, b: []string{"10.1.0.0/16"}},
		{name: "adjacent", a: []string{"10.0.0.0/16"}, b: []string{"10.1.0.0/16"}},
		{name: "empty", a: nil, b: []string{"10.1.0.0/16"}},
		{name: "inside", a: []string{"10.1.1.0/24"}, b: []string{"10.1.0.0/16"},
			errWant: []string{"10.1.1.0/24 overlaps 10.1.0.0/16", AttrRemotePrefixes}},
		{name: "covering", a: []string{"10.0.0.0/8"}, b: []string{"10.1.0.0/16"},
			errWant: []string{"10.0.0.0/8 overlaps 10.1.0.0/16"}},
		{name: "all pairs listed", a: []string{"10.0.1.0/24", "10.1.2.0/24", "10.2.0.0/24"}, b: []string{"10.1.0.0/16", "10.2.0.0/16"},
			errWant: []string{"10.1.2.0/24 overlaps 10.1.0.0/16", "10.2.0.0/24 overlaps 10.2.0.0/16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckNoOverlap(prefixes(tt.a...), AttrLocalPrefixes, prefixes(tt.b...), AttrRemotePrefixes)
			checkCase(t, err, AttrLocalPrefixes, tt.errWant)
		})
	}
}

func TestCheckSubnetInNetwork(t *testing.T) {
	checkErr(t, CheckSubnetInNetwork(AttrGatewaySubnet, mp("10.0.1.0/24"), mp("10.0.0.0/12")), "")
	checkErr(t, CheckSubnetInNetwork(AttrGatewaySubnet, mp("10.16.1.0/24"), mp("10.0.0.0/12")),
		AttrGatewaySubnet, "not inside", "10.0.0.0/12")
	checkErr(t, CheckSubnetInNetwork(AttrGatewaySubnet, mp("10.0.0.0/8"), mp("10.0.0.0/12")), AttrGatewaySubnet, "not inside")
}

func TestCheckGatewayIP(t *testing.T) {
	tests := []struct {
		name            string
		ip              string
		subnet, network string
		attr            string
		errWant         []string
	}{
		{name: "original topology", ip: "10.0.1.1", subnet: "10.0.1.0/24", network: "10.0.0.0/12"},
		{name: "last host", ip: "10.0.1.254", subnet: "10.0.1.0/24", network: "10.0.0.0/12"},
		{name: "network router", ip: "10.0.0.1", subnet: "10.0.0.0/24", network: "10.0.0.0/12",
			attr: AttrGatewayIP, errWant: []string{"first IP", "router", "e.g. 10.0.0.2"}},
		{name: "router outside subnet", ip: "10.0.0.1", subnet: "10.0.1.0/24", network: "10.0.0.0/12",
			attr: AttrGatewayIP, errWant: []string{"not inside gateway_subnet 10.0.1.0/24", "e.g. 10.0.1.1"}},
		{name: "public gateway", ip: "172.31.1.1", subnet: "172.31.1.0/24", network: "172.16.0.0/12",
			attr: AttrGatewayIP, errWant: []string{"public gateway"}},
		{name: "subnet network address", ip: "10.0.1.0", subnet: "10.0.1.0/24", network: "10.0.0.0/12",
			attr: AttrGatewayIP, errWant: []string{"network address"}},
		{name: "broadcast", ip: "10.0.1.255", subnet: "10.0.1.0/24", network: "10.0.0.0/12",
			attr: AttrGatewayIP, errWant: []string{"broadcast"}},
		{name: "subnet outside network", ip: "10.16.1.1", subnet: "10.16.1.0/24", network: "10.0.0.0/12",
			attr: AttrGatewaySubnet, errWant: []string{"not inside"}},
		{name: "ipv6", ip: "fd00::1", subnet: "10.0.1.0/24", network: "10.0.0.0/12",
			attr: AttrGatewayIP, errWant: []string{"IPv6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckGatewayIP(ma(tt.ip), mp(tt.subnet), mp(tt.network))
			checkErr(t, err, tt.attr, tt.errWant...)
		})
	}
}

func TestDefaultGatewayIP(t *testing.T) {
	tests := []struct {
		name            string
		subnet, network string
		used            []string
		want            string
		attr            string
	}{
		{name: "original topology", subnet: "10.0.1.0/24", network: "10.0.0.0/12", want: "10.0.1.1"},
		{name: "skips network router", subnet: "10.0.0.0/24", network: "10.0.0.0/12", want: "10.0.0.2"},
		{name: "skips used", subnet: "10.0.1.0/24", network: "10.0.0.0/12", used: []string{"10.0.1.1", "10.0.1.2"}, want: "10.0.1.3"},
		{name: "skips public gateway", subnet: "172.31.1.0/24", network: "172.16.0.0/12", want: "172.31.1.2"},
		{name: "/30 with one left", subnet: "10.0.1.0/30", network: "10.0.0.0/12", used: []string{"10.0.1.1"}, want: "10.0.1.2"},
		{name: "/30 full", subnet: "10.0.1.0/30", network: "10.0.0.0/12", used: []string{"10.0.1.1", "10.0.1.2"},
			attr: AttrGatewayIP},
		{name: "/32 has no host", subnet: "10.0.1.1/32", network: "10.0.0.0/12", attr: AttrGatewayIP},
		{name: "subnet outside", subnet: "10.16.1.0/24", network: "10.0.0.0/12", attr: AttrGatewaySubnet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var used []netip.Addr
			for _, u := range tt.used {
				used = append(used, ma(u))
			}
			got, err := DefaultGatewayIP(mp(tt.subnet), mp(tt.network), used)
			checkErr(t, err, tt.attr)
			if tt.attr != "" {
				return
			}
			if got != ma(tt.want) {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if err := CheckGatewayIP(got, mp(tt.subnet), mp(tt.network)); err != nil {
				t.Errorf("default %s fails CheckGatewayIP: %v", got, err)
			}
		})
	}
}
