package cloudinit

import "net/netip"

// HA makes the gateway one of an active/standby pair that presents a single
// public endpoint, a Hetzner Floating IP (issue 15). Azure's static routing
// cannot take two on-premises devices announcing the same prefixes (that
// needs BGP and one local network gateway per device), so both servers use
// the Floating IP as IKE address and identity, and whichever is active holds
// it. The servers watch each other over the private network with unicast
// VRRP (Hetzner networks are layer 3: no multicast, no ARP takeover); the one
// that becomes active moves the Floating IP and the network routes to itself
// through the Hetzner API, which is why the token travels in user_data.
//
// Nil means a single gateway, exactly as before.
type HA struct {
	// FloatingIP is the pair's public IPv4; FloatingIPID its Hetzner ID,
	// for POST /floating_ips/{id}/actions/assign.
	FloatingIP   netip.Addr
	FloatingIPID int64
	// NetworkID is the Hetzner network whose routes point at the active
	// server (delete_route, then add_route: Hetzner has no "change route").
	NetworkID int64
	// ServerName is this server's Hetzner name: the agent looks up its own
	// server ID by name, since user_data is rendered before the ID exists.
	ServerName string
	// SelfPrivate and PeerPrivate are this server's and the other server's
	// private IPs: the unicast VRRP source and peer, and the route gateway
	// this server installs when it becomes active.
	SelfPrivate netip.Addr
	PeerPrivate netip.Addr
	// Primary marks the server that starts as master (higher VRRP
	// priority). Without preemption the pair does not fail back on its own.
	Primary bool
	// RouteDestinations are the Azure prefixes whose network routes must
	// point at the active server.
	RouteDestinations []netip.Prefix
	// APIEndpoint is where the servers reach the Hetzner API, e.g.
	// https://api.hetzner.cloud/v1 (or the emulator's address in the lab).
	APIEndpoint string
	// Token is a Hetzner API token with read & write access: project-wide
	// (Hetzner has no narrower scope), written 0600 and never logged.
	Token string
}
