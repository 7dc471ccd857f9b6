package azuresim

import (
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// An active-active VPN gateway runs both of its instances, each with its own
// public IP and its own tunnel to the one on-premises device of the local
// network gateway; both tunnels belong to the one connection (MD
// articles/vpn-gateway/about-active-active-gateways.md). The rules and
// their sources are in docs/facts/azure.md, "Active-active gateways".

// checkInstanceCount checks, before the IP configurations themselves, that
// the gateway asks for as many instances' addresses as its mode needs.
func checkInstanceCount(p *armnetwork.VirtualNetworkGatewayPropertiesFormat, id string) *armError {
	n := len(p.IPConfigurations)
	if !deref(p.Active) {
		if n != 1 {
			return badRequest("InvalidRequestFormat", // unverified code
				"Cannot parse the request: virtual network gateway %s needs 1 entry in properties.ipConfigurations (activeActive=false), got %d; set activeActive to true for two.", id, n)
		}
		return nil
	}
	if *p.GatewayType == armnetwork.VirtualNetworkGatewayTypeVPN {
		if e := checkActiveActiveVPN(p, id); e != nil {
			return e
		}
	}
	if n != 2 {
		// Code and text as Azure/Azure-Landing-Zones#2674 (2024) and
		// Azure/ALZ-Bicep#561 (2023) quote them.
		return badRequest("ActiveActiveGatewayMustHaveExactlyTwoIpConfigurations",
			"Gateway has %d IP configurations specified for gateway %s. ActiveActive Gateway must be created with two IP configurations.", n, id)
	}
	return nil
}

// checkActiveActiveVPN: what an active-active VPN gateway needs besides
// two IP configurations.
func checkActiveActiveVPN(p *armnetwork.VirtualNetworkGatewayPropertiesFormat, id string) *armError {
	switch sku := *p.SKU.Name; sku {
	case armnetwork.VirtualNetworkGatewaySKUNameBasic, armnetwork.VirtualNetworkGatewaySKUNameStandard:
		// "You can't configure an active-active gateway using the Basic
		// gateway SKU" (about-active-active-gateways.md); the legacy
		// Standard SKU neither (vpn-gateway-activeactive-rm-powershell.md).
		return badRequest("ActiveActiveNotSupportedForGatewaySku", // unverified code
			"Virtual network gateway %s has SKU %s, which does not support active-active mode; use VpnGw1AZ or larger, or set activeActive to false.", id, sku)
	}
	if *p.VPNType != armnetwork.VPNTypeRouteBased {
		// "The VPN must be route based. It can't be policy based."
		return badRequest("ActiveActiveNotSupportedForPolicyBasedGateway", // unverified code
			"Virtual network gateway %s is policy based; an active-active gateway must be route based.", id)
	}
	return nil
}

// checkInstancesLocked runs after each IP configuration passed on its own:
// the two instances need distinct names and distinct public IPs ("Two public
// IP addresses are required"), and their BGP settings are filled the way
// Azure reports them for an active-active gateway.
func (s *Server) checkInstancesLocked(g *armnetwork.VirtualNetworkGateway, id string) *armError {
	p := g.Properties
	if !deref(p.Active) || len(p.IPConfigurations) != 2 || *p.GatewayType != armnetwork.VirtualNetworkGatewayTypeVPN {
		return nil
	}
	a, b := p.IPConfigurations[0], p.IPConfigurations[1]
	if ieq(deref(a.Name), deref(b.Name)) {
		return badRequest("InvalidRequestFormat", // unverified code
			"Cannot parse the request: both properties.ipConfigurations of %s are named '%s'; give each instance's IP configuration its own name.", id, deref(a.Name))
	}
	if ieq(deref(a.Properties.PublicIPAddress.ID), deref(b.Properties.PublicIPAddress.ID)) {
		return badRequest("PublicIPAddressInUse", // unverified code
			"Public IP address %s is referenced by both IP configurations of %s; an active-active gateway needs a public IP for each instance.", deref(a.Properties.PublicIPAddress.ID), id)
	}
	if !ieq(deref(a.Properties.Subnet.ID), deref(b.Properties.Subnet.ID)) {
		return badRequest("InvalidRequestFormat", // unverified code
			"Cannot parse the request: the IP configurations of %s name different subnets; both instances live in the VNet's GatewaySubnet.", id)
	}
	s.activeActiveBgpLocked(p)
	return nil
}

// activeActiveBgpLocked: an active-active gateway has one BGP address per
// instance, in the order of its IP configurations, listed comma-separated
// in bgpPeeringAddress ("10.12.255.4,10.12.255.5" for a 10.12.255.0/27
// GatewaySubnet, vpn-gateway-activeactive-rm-powershell.md); the emulator
// takes the two addresses after the four Azure reserves. bgpPeeringAddresses
// pairs each IP configuration with its default BGP address and its tunnel
// public IP (fields of armnetwork IPConfigurationBgpPeeringAddress; that
// Azure fills tunnelIpAddresses for a gateway without BGP is unverified).
func (s *Server) activeActiveBgpLocked(p *armnetwork.VirtualNetworkGatewayPropertiesFormat) {
	pfx, ok := s.subnetPrefixLocked(deref(p.IPConfigurations[0].Properties.Subnet.ID))
	if !ok || p.BgpSettings == nil {
		return
	}
	custom := map[string][]*string{}
	for _, old := range p.BgpSettings.BgpPeeringAddresses {
		if old != nil {
			custom[strings.ToLower(deref(old.IPConfigurationID))] = old.CustomBgpIPAddresses
		}
	}
	var addrs []string
	p.BgpSettings.BgpPeeringAddresses = nil
	next := pfx.Masked().Addr()
	for range 4 {
		next = next.Next()
	}
	for _, ipc := range p.IPConfigurations {
		addrs = append(addrs, next.String())
		entry := &armnetwork.IPConfigurationBgpPeeringAddress{
			IPConfigurationID:     ipc.ID,
			DefaultBgpIPAddresses: []*string{new(next.String())},
			CustomBgpIPAddresses:  custom[strings.ToLower(deref(ipc.ID))],
			TunnelIPAddresses:     []*string{},
		}
		if pip := s.st.publicIPs()[strings.ToLower(deref(ipc.Properties.PublicIPAddress.ID))]; pip != nil && pip.Properties.IPAddress != nil {
			entry.TunnelIPAddresses = []*string{new(*pip.Properties.IPAddress)}
		}
		p.BgpSettings.BgpPeeringAddresses = append(p.BgpSettings.BgpPeeringAddresses, entry)
		next = next.Next()
	}
	p.BgpSettings.BgpPeeringAddress = new(strings.Join(addrs, ","))
}

// subnetPrefixLocked returns the first IPv4 prefix of the subnet with the
// given ID.
func (s *Server) subnetPrefixLocked(subnetID string) (netip.Prefix, bool) {
	lower := strings.ToLower(subnetID)
	j := strings.Index(lower, "/subnets/")
	if j < 0 {
		return netip.Prefix{}, false
	}
	sn := subnetIn(s.st.vnets()[lower[:j]], lower)
	if sn == nil {
		return netip.Prefix{}, false
	}
	for _, raw := range subnetPrefixes(sn) {
		if pfx, err := netip.ParsePrefix(raw); err == nil && pfx.Addr().Is4() {
			return pfx, true
		}
	}
	return netip.Prefix{}, false
}

// tunnelHealthLocked fills a copy's tunnelConnectionStatus: one entry per
// instance of an active-active gateway, each with the connection's API-only
// status (the lab overrides it, liveTunnels). Tunnel names are
// "<local network gateway IP>_<instance public IP>"; that format is a guess
// (unverified): the spec only says "Tunnel name". An active-standby
// gateway's connection reports none (left unset).
func (s *Server) tunnelHealthLocked(c *armnetwork.VirtualNetworkGatewayConnection, st armnetwork.VirtualNetworkGatewayConnectionStatus) {
	gw, lng := s.st.gateways()[gatewayOf(c)], s.st.localGateways()[localGatewayOf(c)]
	c.Properties.TunnelConnectionStatus = nil
	if gw == nil || !deref(gw.Properties.Active) {
		return
	}
	peer := ""
	if lng != nil && lng.Properties != nil {
		peer = deref(lng.Properties.GatewayIPAddress)
	}
	tunnels := []*armnetwork.TunnelConnectionHealth{}
	for _, ipc := range gw.Properties.IPConfigurations {
		addr := ""
		if ipc.Properties.PublicIPAddress != nil {
			if pip := s.st.publicIPs()[strings.ToLower(deref(ipc.Properties.PublicIPAddress.ID))]; pip != nil {
				addr = deref(pip.Properties.IPAddress)
			}
		}
		tunnels = append(tunnels, &armnetwork.TunnelConnectionHealth{
			Tunnel:                  new(peer + "_" + addr),
			ConnectionStatus:        new(st),
			IngressBytesTransferred: new(int64(0)),
			EgressBytesTransferred:  new(int64(0)),
		})
	}
	c.Properties.TunnelConnectionStatus = tunnels
}

// liveTunnels applies the lab's answer to the tunnels. The lab runs one
// charon per instance of an active-active gateway (labsync) and reports each
// instance's tunnel in order; without per-instance answers the first tunnel
// carries the connection's state and the others report NotConnected, since
// nothing answers IKE on their addresses.
func liveTunnels(c *armnetwork.VirtualNetworkGatewayConnection, st simenv.ConnectionStatus) {
	for i, t := range c.Properties.TunnelConnectionStatus {
		switch {
		case i < len(st.Tunnels):
			ts := st.Tunnels[i]
			t.ConnectionStatus = new(armnetwork.VirtualNetworkGatewayConnectionStatus(ts.Status))
			t.IngressBytesTransferred, t.EgressBytesTransferred = new(ts.IngressBytes), new(ts.EgressBytes)
		case i == 0 && st.Tunnels == nil:
			t.ConnectionStatus = new(armnetwork.VirtualNetworkGatewayConnectionStatus(st.Status))
			t.IngressBytesTransferred, t.EgressBytesTransferred = new(st.IngressBytes), new(st.EgressBytes)
		default:
			t.ConnectionStatus = new(armnetwork.VirtualNetworkGatewayConnectionStatusNotConnected)
		}
	}
}
