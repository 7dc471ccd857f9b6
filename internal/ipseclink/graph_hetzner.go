package ipseclink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

// configLabel carries a hash of everything baked into the gateway server at
// creation (cloud-init, type, image, SSH keys). Hetzner never returns
// user_data, so this label is how a later run tells that the server runs an
// outdated configuration and must be replaced.
const configLabel = "crosscloud.dev/config"

func labels(link string) map[string]string { return hetzner.Labels(link) }

// hetznerNetwork joins or creates the network and the gateway subnet, then
// publishes the network and the prefixes announced to Azure.
func hetznerNetwork(ctx context.Context, r *linkRun) error {
	c, s, p := r.c, r.s, r.p
	var n *hcloud.Network
	var err error
	if s.Hetzner.NetworkID != 0 {
		if n, err = hetzner.GetNetwork(ctx, c.hc, s.Hetzner.NetworkID); err != nil {
			return err
		}
		if n == nil {
			return fmt.Errorf("hetzner.network_id: network %d does not exist", s.Hetzner.NetworkID)
		}
	} else {
		// Without network_id the network is the link's own, whether this
		// run created it or adopted it from an interrupted one.
		n, _, err = hetzner.EnsureNetwork(ctx, c.hc, hetzner.NetworkSpec{Name: s.Name, IPRange: s.Hetzner.NetworkRange, Labels: labels(s.Name)})
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.Owned.Network = true })
	}
	p.update(func(p *progress) { p.Hetzner.NetworkID = n.ID })
	// In someone else's network the subnet's ownership is recorded on the
	// network (a label), so a re-run after a killed one or a lost state
	// still knows to delete it; the link's own network goes as a whole.
	owner := ""
	if s.Hetzner.NetworkID != 0 {
		owner = s.Name
	}
	created, err := hetzner.EnsureOwnedSubnet(ctx, c.hc, n.ID, s.Hetzner.Zone, s.Hetzner.GatewaySubnet, owner)
	if err != nil {
		return err
	}
	p.update(func(p *progress) { p.Owned.Subnet = p.Owned.Subnet || created })
	l := s.Hetzner.LocalPrefixes
	if len(l) == 0 {
		if created {
			if n, err = hetzner.GetNetwork(ctx, c.hc, n.ID); err != nil {
				return err
			}
		}
		_, l, _ = hetzner.NetworkFacts(n)
	}
	p.update(func(p *progress) { p.LocalPrefixes = l })
	r.network, r.local = n, l
	return nil
}

// primaryIPStep ensures the gateway server's public IPv4 on its own and
// first, so Azure's local network gateway can name it before the server
// exists.
func primaryIPStep(ctx context.Context, r *linkRun) error {
	s := r.s
	ip, err := hetzner.EnsurePrimaryIP(ctx, r.c.hc, hetzner.PrimaryIPSpec{
		Name: primaryIPName(s.Name), Location: s.Hetzner.Location, Labels: labels(s.Name)})
	if err != nil {
		return err
	}
	r.p.update(func(p *progress) {
		p.Hetzner.PrimaryIPID = ip.ID
		if s.Hetzner.HA == nil { // with HA, Azure's peer is the Floating IP
			p.Hetzner.PublicIPv4 = addr4(ip.IP)
		}
	})
	r.hzPeer = ip
	return nil
}

// firewallStep ensures the firewall whose rules name the Azure gateway's
// address (IKE and ESP) and ssh_allowed_cidrs.
func firewallStep(ctx context.Context, r *linkRun) error {
	s := r.s
	fw, err := hetzner.EnsureFirewall(ctx, r.c.hc, hetzner.FirewallSpec{
		Name: firewallName(s.Name), PeerIPv4: r.azPeer, SecondPeerIPv4: r.azPeer2, SSHCIDRs: s.Hetzner.SSHCIDRs, Labels: labels(s.Name)})
	if err != nil {
		return err
	}
	r.p.update(func(p *progress) { p.Hetzner.FirewallID = fw.ID })
	r.firewall = fw
	return nil
}

// routesStep sends the Azure prefixes to the gateway server's private IP
// (with HA: to the active one's, haRoutes).
func routesStep(ctx context.Context, r *linkRun) error {
	if r.s.Hetzner.HA != nil {
		return haRoutes(ctx, r)
	}
	for _, dest := range r.remote {
		if err := hetzner.EnsureRoute(ctx, r.c.hc, r.network.ID, dest, r.p.privateIP()); err != nil {
			return err
		}
	}
	return nil
}

// gatewayServer renders the strongSwan configuration from the one policy
// and address plan, and makes sure a server running exactly it holds the
// gateway IP. A changed configuration replaces the server; its primary IP
// and private IP carry over, so neither Azure nor the route notices.
func gatewayServer(ctx context.Context, r *linkRun) error {
	g := gatewayRole{role: rolePrimary, name: serverName(r.s.Name), location: r.s.Hetzner.Location, primaryIPID: r.hzPeer.ID,
		ip: r.gwIP, peerIP: r.standbyIP, priority: priorityPrimary,
		record: func(p *progress, id int64, ip netip.Addr) { p.Hetzner.ServerID, p.Hetzner.PrivateIP = id, ip }}
	return ensureGateway(ctx, r, g, true)
}

// gatewayRole is one server of the link: the only one, or one of an HA
// pair.
type gatewayRole struct {
	role           int // rolePrimary or roleStandby
	name, location string
	primaryIPID    int64 // 0: Hetzner assigns a public IPv4 (the standby)
	ip, peerIP     netip.Addr
	priority       int
	// hashLocation puts the location into the configuration hash: the
	// standby's may change on its own (the primary's replaces the link).
	hashLocation bool
	record       func(p *progress, id int64, ip netip.Addr)
}

// ensureGateway renders the role's cloud-init and makes sure a server
// running exactly it exists; showConf publishes its swanctl.conf (both
// servers of a pair run the same one).
func ensureGateway(ctx context.Context, r *linkRun, g gatewayRole, showConf bool) (err error) {
	c, s, p := r.c, r.s, r.p
	var id int64
	if r.roll != nil {
		// The other server of a pair may wait for this outcome.
		defer func() { r.roll.finish(g.role, id, err) }()
	}
	n, fw := r.network, r.firewall
	gw, err := r.gatewayConfigFor(g)
	if err != nil {
		return err
	}
	userData, err := cloudinit.Render(gw)
	if err != nil {
		return err
	}
	if showConf {
		conf, err := cloudinit.SwanctlConf(gw, false)
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.Swanctl = conf })
	}
	hashed := userData
	if gw.HA != nil {
		// The hash stands for the token by its version, so a token
		// passed anew on each apply does not replace the servers.
		gw.HA.APIToken = cloudinit.Token(fmt.Sprintf("version-%d", s.Hetzner.HA.TokenVersion))
		if hashed, err = cloudinit.Render(gw); err != nil {
			return err
		}
	}
	lbl := labels(s.Name)
	lbl[configLabel] = configHash(hashed, s.Hetzner, g.hashLocation)
	p.intendConfig(g.name, lbl[configLabel])
	spec := hetzner.ServerSpec{
		Name: g.name, ServerType: s.Hetzner.ServerType, Image: s.Hetzner.Image, Location: g.location,
		SSHKeyIDs: s.Hetzner.SSHKeyIDs, UserData: string(userData), PrimaryIPID: g.primaryIPID, FirewallID: fw.ID,
		NetworkID: n.ID, PrivateIP: g.ip, Labels: lbl, PlacementGroupID: r.placementGroup,
	}
	srv, err := hetzner.EnsureServer(ctx, c.hc, spec)
	if err != nil {
		return err
	}
	if srv.Labels[configLabel] != lbl[configLabel] {
		if err := r.beforeReplace(ctx, g, srv.ID); err != nil {
			return err
		}
		if srv, err = hetzner.ReplaceServer(ctx, c.hc, srv.ID, spec); err != nil {
			var gone *hetzner.NoGatewayError
			if errors.As(err, &gone) {
				// State must not point at the deleted server; the next
				// apply creates one (the IPs are kept in progress).
				p.update(func(p *progress) { g.record(p, 0, g.ip) })
			}
			return err
		}
	}
	id = srv.ID
	p.update(func(p *progress) { g.record(p, srv.ID, g.ip) })
	return nil
}

// gatewayConfigFor is the role's gateway configuration: the single
// gateway's, or with HA the pair's Floating IP as the IKE address and the
// failover agent's part.
func (r *linkRun) gatewayConfigFor(g gatewayRole) (cloudinit.Gateway, error) {
	s := r.s
	if s.Hetzner.HA == nil {
		return gatewayConfig(s, addr4(r.hzPeer.IP), r.azPeer, r.local, r.remote, r.p.sharedKey())
	}
	gw, err := gatewayConfig(s, addr4(r.fip.IP), r.azPeer, r.local, r.remote, r.p.sharedKey())
	if err != nil {
		return gw, err
	}
	// A tunnel to each instance of the active-active Azure gateway; the
	// second is the fallback when the first instance goes.
	gw.SecondRemoteAddress = r.azPeer2
	gw.HA = &cloudinit.HA{
		PrivateIP: g.ip, PeerPrivateIP: g.peerIP, Priority: g.priority,
		FloatingIP: addr4(r.fip.IP), FloatingIPID: r.fip.ID, NetworkID: r.network.ID,
		RouteDestinations: r.remote, APIEndpoint: s.Hetzner.HA.APIEndpoint, APIToken: s.Hetzner.HA.Token,
	}
	if err := gw.Validate(); err != nil {
		return gw, fmt.Errorf("hetzner.high_availability: %w", err)
	}
	return gw, nil
}

// configHash is short enough for a Hetzner label value (63 characters).
// withLocation adds the standby's location; the primary and single
// servers keep the hash they always had.
func configHash(userData []byte, hs hetznerSpec, withLocation bool) string {
	h := sha256.New()
	h.Write(userData)
	fmt.Fprintf(h, "\x00%s\x00%s", hs.ServerType, hs.Image)
	if withLocation {
		fmt.Fprintf(h, "\x00%s", hs.HA.StandbyLocation)
	}
	ids := slices.Clone(hs.SSHKeyIDs)
	slices.Sort(ids)
	for _, id := range ids {
		h.Write([]byte("\x00" + strconv.FormatInt(id, 10)))
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// defaultGatewayIP picks the first free host of the gateway subnet, skipping
// every IP a member of the network holds: servers (and their alias IPs) and
// load balancers (hetzner.UsedPrivateIPs reads the network's members).
func defaultGatewayIP(ctx context.Context, hc *hcloud.Client, n *hcloud.Network, subnet netip.Prefix) (netip.Addr, error) {
	rng, _, _ := hetzner.NetworkFacts(n)
	used, err := hetzner.UsedPrivateIPs(ctx, hc, n.ID)
	if err != nil {
		return netip.Addr{}, err
	}
	return addrplan.DefaultGatewayIP(subnet, rng, used)
}

// gatewayConfig is the gateway server's strongSwan configuration: the
// link's address plan and key here, the policy's crypto from
// policyattr.GatewayCrypto (shared with the strongswan_config data source).
func gatewayConfig(s spec, local, remote netip.Addr, localTS, remoteTS []netip.Prefix, key string) (cloudinit.Gateway, error) {
	g := cloudinit.Gateway{
		ConnectionName: s.Name, LocalAddress: local, RemoteAddress: remote,
		LocalPrefixes: localTS, RemotePrefixes: remoteTS, SharedKey: key,
	}
	if err := policyattr.GatewayCrypto(&g, s.Policy, s.DPD); err != nil {
		return cloudinit.Gateway{}, fmt.Errorf("ipsec_policy: %w", err)
	}
	return g, nil
}
