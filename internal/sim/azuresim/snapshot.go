package azuresim

import (
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// The lab (data plane) reads these read-only snapshots when an event tells it
// something changed. They are deep copies: the lab may keep them.

// Connections returns every connection, whatever its provisioningState.
func (s *Server) Connections() []armnetwork.VirtualNetworkGatewayConnection {
	return snapshots(s, (*state).connections)
}

// Gateway returns the virtual network gateway with the given ARM ID.
func (s *Server) Gateway(id string) (armnetwork.VirtualNetworkGateway, bool) {
	return snapshot(s, (*state).gateways, id)
}

// LocalNetworkGateway returns the local network gateway with the given ARM ID.
func (s *Server) LocalNetworkGateway(id string) (armnetwork.LocalNetworkGateway, bool) {
	return snapshot(s, (*state).localGateways, id)
}

// PublicIP returns the public IP address with the given ARM ID; the lab uses
// its ipAddress as the Azure gateway's IKE address.
func (s *Server) PublicIP(id string) (armnetwork.PublicIPAddress, bool) {
	return snapshot(s, (*state).publicIPs, id)
}

// VirtualNetworks returns every VNet with its subnets (probe hosts go in them).
func (s *Server) VirtualNetworks() []armnetwork.VirtualNetwork {
	return snapshots(s, (*state).vnets)
}

// SharedKey returns the pre-shared key in force on a connection.
func (s *Server) SharedKey(connID string) (string, bool) {
	var (
		k  string
		ok bool
	)
	s.withLock(func() {
		if c := s.st.connections()[strings.ToLower(connID)]; c != nil && c.Properties.SharedKey != nil {
			k, ok = *c.Properties.SharedKey, true
		}
	})
	return k, ok
}

// snapshot copies one resource out of the map pick selects (a selector, not
// the map, because UnmarshalState replaces the state).
func snapshot[T any](s *Server, pick func(*state) map[string]*T, id string) (T, bool) {
	var (
		out T
		ok  bool
	)
	s.withLock(func() {
		if v := pick(s.st)[strings.ToLower(id)]; v != nil {
			out, ok = *clone(v), true
		}
	})
	return out, ok
}

// snapshots copies every resource of the map pick selects, in ID order.
func snapshots[T any](s *Server, pick func(*state) map[string]*T) []T {
	var out []T
	s.withLock(func() {
		for _, v := range listIn(pick(s.st), "") {
			out = append(out, *v)
		}
	})
	return out
}
