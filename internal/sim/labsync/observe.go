package labsync

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// desired is what the clouds describe right now, in the lab's terms.
type desired struct {
	// site is nil until an Azure VPN gateway and a Hetzner network exist.
	site    *siteSpec
	servers map[string]serverSpec // by server name
	routes  []lab.Route
	conns   map[string]connSpec // by connection name
	// problems are resources the lab cannot represent, said once per pass.
	problems []string
}

// siteSpec is the part of the lab that Build fixes (router, probes, Azure
// gateway); a change to it rebuilds the lab.
type siteSpec struct {
	key  siteKey
	topo lab.Topology
}

// siteKey is a comparable summary of siteSpec.
type siteKey struct {
	networkID                          int64
	networkRange, hetznerSubnets       string
	gatewayID, gatewayIP, gatewayIP2   string
	vnetPrefixes, azureSubnets, vnetID string
}

// serverSpec is one Hetzner server as the lab builds it; any change
// re-creates its namespace (Hetzner cannot change user_data in place either).
type serverSpec struct {
	id        int64
	server    lab.Server
	userData  string
	isGateway bool
	// status is the API's server status (running, off, ...): a gateway is
	// powered on and off with it.
	status string

	// Set by the reconciler for a gateway.
	machine *lab.Machine
	// apiOff: the machine was powered off because the API said so, and
	// boots again when the API says running.
	apiOff bool
	// reported is the boot the emulator's log last told about.
	reported string
}

// connSpec is one connection on the lab's Azure gateway.
type connSpec struct {
	id   string
	conn lab.AzureConnection
	text string // the rendered Azure-side swanctl.conf, to detect changes
}

// observe reads both clouds. It takes no lab lock and changes nothing.
func (p *Plane) observe() desired {
	d := desired{servers: map[string]serverSpec{}, conns: map[string]connSpec{}}
	gw, gwIPs, vnet, ok := p.pickGateway(&d)
	gwIP := gwIPs[0]
	networks := p.hc.Networks()
	servers := p.hc.Servers()
	net, haveNet := pickNetwork(networks, servers, p.hc, vnet)
	if !ok || !haveNet {
		return d
	}
	d.site = siteFor(net, gw, gwIPs, vnet)
	floating := p.floatingIPs()
	for _, s := range servers {
		spec := serverSpec{id: s.ID, server: lab.Server{Name: s.Name}, status: string(s.Status)}
		if ip, err := netip.ParseAddr(s.PublicNet.IPv4.IP); err == nil && publicOK(ip, lab.PublicSegments[0]) {
			spec.server.PublicIP = ip
			spec.server.FloatingIPs = floating[s.ID]
		}
		for _, pn := range s.PrivateNet {
			if ip, err := netip.ParseAddr(pn.IP); err == nil && pn.Network == net.ID {
				spec.server.PrivateIP = ip
			}
		}
		spec.userData, _ = p.hc.UserData(s.ID)
		spec.isGateway = isGatewayUserData(spec.userData)
		spec.server.IsGateway = spec.isGateway
		d.servers[s.Name] = spec
	}
	for _, r := range net.Routes {
		dst, err1 := netip.ParsePrefix(r.Destination)
		via, err2 := netip.ParseAddr(r.Gateway)
		if err1 == nil && err2 == nil {
			d.routes = append(d.routes, lab.Route{Destination: dst, Gateway: via})
		}
	}
	p.observeConnections(&d, gw, gwIP, vnet)
	return d
}

// pickGateway chooses the Azure VPN gateway the lab hosts: the first (by
// ID) that has finished provisioning with a public IP in the lab's Azure
// segment. The lab has one Azure gateway; others are reported. The second
// address is the second instance's of an active-active gateway (zero for
// active-standby).
func (p *Plane) pickGateway(d *desired) (armnetwork.VirtualNetworkGateway, [2]netip.Addr, armnetwork.VirtualNetwork, bool) {
	var ids []string
	for _, r := range p.az.Resources() {
		if strings.EqualFold(r.Type, "Microsoft.Network/virtualNetworkGateways") {
			ids = append(ids, r.ID)
		}
	}
	sort.Strings(ids)
	vnets := p.az.VirtualNetworks()
	var (
		chosen armnetwork.VirtualNetworkGateway
		ips    [2]netip.Addr
		vnet   armnetwork.VirtualNetwork
		found  bool
	)
	for _, id := range ids {
		g, ok := p.az.Gateway(id)
		if !ok || g.Properties == nil || deref(g.Properties.ProvisioningState) != armnetwork.ProvisioningStateSucceeded {
			continue
		}
		if found {
			d.problems = append(d.problems, fmt.Sprintf("Azure gateway %s is not in the lab: the lab hosts one Azure VPN gateway (%s); its connections report NotConnected", id, deref(chosen.ID)))
			continue
		}
		// One address per IP configuration, in instance order: an
		// active-active gateway has two (docs/facts/azure.md).
		var addrs []netip.Addr
		var subnetID string
		usable := true
		for _, c := range g.Properties.IPConfigurations {
			if c == nil || c.Properties == nil || c.Properties.PublicIPAddress == nil || c.Properties.Subnet == nil {
				continue
			}
			pip, ok := p.az.PublicIP(deref(c.Properties.PublicIPAddress.ID))
			if !ok || pip.Properties == nil {
				usable = false
				break
			}
			addr, err := netip.ParseAddr(deref(pip.Properties.IPAddress))
			if err != nil || !publicOK(addr, lab.PublicSegments[1]) {
				d.problems = append(d.problems, fmt.Sprintf("Azure gateway %s: public IP %q is outside the lab's Azure segment %v", id, deref(pip.Properties.IPAddress), lab.PublicSegments[1]))
				usable = false
				break
			}
			if subnetID == "" {
				subnetID = deref(c.Properties.Subnet.ID)
			}
			addrs = append(addrs, addr)
		}
		if !usable || len(addrs) == 0 {
			continue
		}
		cand := [2]netip.Addr{addrs[0]}
		if deref(g.Properties.Active) && len(addrs) > 1 {
			cand[1] = addrs[1]
		}
		vnetID, _, _ := strings.Cut(strings.ToLower(subnetID), "/subnets/")
		for _, v := range vnets {
			if strings.EqualFold(deref(v.ID), vnetID) {
				chosen, ips, vnet, found = g, cand, v, true
			}
		}
	}
	return chosen, ips, vnet, found
}

// pickNetwork chooses the Hetzner network the lab's router serves: the one
// routing to the VNet, else the one a gateway server is attached to, else
// the first.
func pickNetwork(networks []schema.Network, servers []schema.Server, hc interface {
	UserData(int64) (string, bool)
}, vnet armnetwork.VirtualNetwork) (schema.Network, bool) {
	space := vnetPrefixes(vnet)
	best, bestScore := -1, -1
	for i, n := range networks {
		if rng, err := netip.ParsePrefix(n.IPRange); err != nil || !rng.Addr().Is4() {
			continue
		}
		score := 0
		for _, r := range n.Routes {
			if dst, err := netip.ParsePrefix(r.Destination); err == nil && overlapsAny(dst, space) {
				score += 2
				break
			}
		}
		for _, s := range servers {
			for _, pn := range s.PrivateNet {
				if ud, _ := hc.UserData(s.ID); pn.Network == n.ID && isGatewayUserData(ud) {
					score++
				}
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		return schema.Network{}, false
	}
	return networks[best], true
}

// siteFor describes both sites for lab.Build.
func siteFor(n schema.Network, gw armnetwork.VirtualNetworkGateway, gwIPs [2]netip.Addr, vnet armnetwork.VirtualNetwork) *siteSpec {
	gwIP, second := gwIPs[0], ""
	if gwIPs[1].IsValid() {
		second = gwIPs[1].String()
	}
	rng := netip.MustParsePrefix(n.IPRange)
	var hsubs []netip.Prefix
	for _, s := range n.Subnets {
		if sp, err := netip.ParsePrefix(s.IPRange); err == nil && sp.Addr().Is4() {
			hsubs = append(hsubs, sp.Masked())
		}
	}
	var asubs []netip.Prefix
	if vnet.Properties != nil {
		for _, s := range vnet.Properties.Subnets {
			if s == nil || s.Properties == nil || strings.EqualFold(deref(s.Name), "GatewaySubnet") {
				continue
			}
			if sp, err := netip.ParsePrefix(deref(s.Properties.AddressPrefix)); err == nil && sp.Addr().Is4() && sp.Bits() <= 29 {
				asubs = append(asubs, sp.Masked())
			}
		}
	}
	sortPrefixes(hsubs)
	sortPrefixes(asubs)
	space := vnetPrefixes(vnet)
	return &siteSpec{
		key: siteKey{networkID: n.ID, networkRange: rng.Masked().String(), hetznerSubnets: joinPrefixes(hsubs),
			gatewayID: strings.ToLower(deref(gw.ID)), gatewayIP: gwIP.String(), gatewayIP2: second,
			vnetID: strings.ToLower(deref(vnet.ID)), vnetPrefixes: joinPrefixes(space), azureSubnets: joinPrefixes(asubs)},
		topo: lab.Topology{
			Hetzner: lab.HetznerSite{NetworkRange: rng.Masked(), Subnets: hsubs},
			Azure:   lab.AzureSite{GatewayPublicIP: gwIP, SecondGatewayPublicIP: gwIPs[1], VNetPrefixes: space, Subnets: asubs},
		},
	}
}

// observeConnections collects the provisioned connections on the lab's
// gateway, with what their local network gateways say about the peer.
func (p *Plane) observeConnections(d *desired, gw armnetwork.VirtualNetworkGateway, gwIP netip.Addr, vnet armnetwork.VirtualNetwork) {
	for _, c := range p.az.Connections() {
		pr := c.Properties
		if pr == nil || deref(pr.ProvisioningState) != armnetwork.ProvisioningStateSucceeded ||
			pr.VirtualNetworkGateway1 == nil || !strings.EqualFold(deref(pr.VirtualNetworkGateway1.ID), deref(gw.ID)) || pr.LocalNetworkGateway2 == nil {
			continue
		}
		lng, ok := p.az.LocalNetworkGateway(deref(pr.LocalNetworkGateway2.ID))
		if !ok || lng.Properties == nil {
			continue
		}
		peer, err := netip.ParseAddr(deref(lng.Properties.GatewayIPAddress))
		if err != nil {
			d.problems = append(d.problems, fmt.Sprintf("connection %s: local network gateway has no usable gatewayIpAddress %q", deref(c.Name), deref(lng.Properties.GatewayIPAddress)))
			continue
		}
		var remote []netip.Prefix
		if as := lng.Properties.LocalNetworkAddressSpace; as != nil {
			for _, s := range as.AddressPrefixes {
				if sp, err := netip.ParsePrefix(deref(s)); err == nil {
					remote = append(remote, sp)
				}
			}
		}
		conn := lab.AzureConnection{Name: deref(c.Name), LocalAddr: gwIP, RemoteAddr: peer,
			LocalPrefixes: vnetPrefixes(vnet), RemotePrefixes: remote, SharedKey: deref(pr.SharedKey),
			ConnectionMode: string(deref(pr.ConnectionMode)), ConnectionProtocol: string(deref(pr.ConnectionProtocol)),
			DPDTimeoutSeconds: deref(pr.DpdTimeoutSeconds)}
		if len(pr.IPSecPolicies) > 0 && pr.IPSecPolicies[0] != nil {
			ap := pr.IPSecPolicies[0]
			conn.Policy = &lab.IPsecPolicy{IKEEncryption: string(deref(ap.IkeEncryption)), IKEIntegrity: string(deref(ap.IkeIntegrity)),
				DHGroup: string(deref(ap.DhGroup)), IPsecEncryption: string(deref(ap.IPSecEncryption)), IPsecIntegrity: string(deref(ap.IPSecIntegrity)),
				PFSGroup: string(deref(ap.PfsGroup)), SALifetimeSeconds: deref(ap.SaLifeTimeSeconds), SADataSizeKilobytes: deref(ap.SaDataSizeKilobytes)}
		}
		text, err := lab.AzureConfig(conn)
		if err != nil {
			d.problems = append(d.problems, fmt.Sprintf("connection %s cannot be emulated: %v", conn.Name, err))
			continue
		}
		d.conns[conn.Name] = connSpec{id: deref(c.ID), conn: conn, text: text}
	}
}

// isGatewayUserData says whether a server's cloud-init writes a swanctl
// configuration, which is what makes it a strongSwan gateway in the lab.
func isGatewayUserData(ud string) bool {
	files, err := lab.ParseUserData(ud)
	if err != nil {
		return false
	}
	for _, f := range files {
		if strings.HasPrefix(f.Path, "/etc/swanctl/") && strings.HasSuffix(f.Path, ".conf") {
			return true
		}
	}
	return false
}

// publicOK says whether ip can be a host on a lab internet segment: inside
// it, not its network address and not its last host (the segment's router).
func publicOK(ip netip.Addr, seg netip.Prefix) bool {
	if !ip.Is4() || !seg.Contains(ip) || ip == seg.Masked().Addr() {
		return false
	}
	a := seg.Masked().Addr().As4()
	v := binary.BigEndian.Uint32(a[:]) | (uint32(1)<<(32-seg.Bits()) - 1)
	binary.BigEndian.PutUint32(a[:], v-1)
	return ip != netip.AddrFrom4(a)
}

func vnetPrefixes(v armnetwork.VirtualNetwork) []netip.Prefix {
	var out []netip.Prefix
	if v.Properties != nil && v.Properties.AddressSpace != nil {
		for _, s := range v.Properties.AddressSpace.AddressPrefixes {
			if sp, err := netip.ParsePrefix(deref(s)); err == nil && sp.Addr().Is4() {
				out = append(out, sp.Masked())
			}
		}
	}
	sortPrefixes(out)
	return out
}

func overlapsAny(p netip.Prefix, ps []netip.Prefix) bool {
	for _, q := range ps {
		if p.Overlaps(q) {
			return true
		}
	}
	return false
}

func sortPrefixes(ps []netip.Prefix) {
	sort.Slice(ps, func(i, j int) bool { return ps[i].String() < ps[j].String() })
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// floatingIPs maps each server ID to the IPv4 Floating IPs assigned to it,
// in ID order, so that the lab routes them to that server.
func (p *Plane) floatingIPs() map[int64][]netip.Addr {
	out := map[int64][]netip.Addr{}
	for _, f := range p.hc.FloatingIPs() {
		if ip, err := netip.ParseAddr(f.IP); err == nil && ip.Is4() && f.Server != nil {
			out[*f.Server] = append(out[*f.Server], ip)
		}
	}
	return out
}
