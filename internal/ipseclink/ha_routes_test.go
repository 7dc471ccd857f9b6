package ipseclink

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
)

// The HA pair's routes must follow the Floating IP: at the active server
// when one holds it, at either server while none does; a route elsewhere,
// or a route of a prefix the link does not carry, is judged accordingly.
func TestObserveHARoutesFollowTheFloatingIP(t *testing.T) {
	var s spec
	s.Azure.RemotePrefixes = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
	primary, standby, other := netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("10.0.1.2"), netip.MustParseAddr("10.0.1.9")
	route := func(dest string, gw netip.Addr) addrplan.Route {
		return addrplan.Route{Destination: netip.MustParsePrefix(dest), Gateway: gw}
	}
	cases := []struct {
		name   string
		active int64
		routes []addrplan.Route
		want   []string
	}{
		{"at the active standby", 2, []addrplan.Route{route("10.1.0.0/16", standby)}, nil},
		{"at the passive primary", 2, []addrplan.Route{route("10.1.0.0/16", primary)},
			[]string{"network route 10.1.0.0/16 points to 10.0.1.1, not to the active gateway 10.0.1.2 (server 2, holding the Floating IP)"}},
		{"no holder, at either", 0, []addrplan.Route{route("10.1.0.0/16", primary)}, nil},
		{"no holder, elsewhere", 0, []addrplan.Route{route("10.1.0.0/16", other)},
			[]string{"network route 10.1.0.0/16 points to 10.0.1.9, which is neither gateway"}},
		{"another prefix is not the link's", 1, []addrplan.Route{route("192.168.0.0/24", other)}, nil},
		{"network gone: nothing to judge", 1, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &progress{}
			p.Hetzner.ServerID, p.Hetzner.PrivateIP = 1, primary
			p.HA.StandbyServerID, p.HA.StandbyPrivateIP, p.HA.ActiveServerID = 2, standby, tc.active
			obs := &observation{routes: tc.routes}
			observeHARoutes(s, p, obs)
			if !slices.Equal(obs.drift, tc.want) {
				t.Errorf("drift = %q, want %q", obs.drift, tc.want)
			}
		})
	}
}
