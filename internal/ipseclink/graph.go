package ipseclink

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
	"golang.org/x/sync/errgroup"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// clouds are the two adapters the graph drives.
type clouds struct {
	hc *hcloud.Client
	az *azure.Client
}

// Names of a link's sub-resources (design: everything is prefixed by the
// link name so a re-run finds and adopts what an interrupted run created).
func (s *spec) serverName() string    { return s.Name + "-gw" }
func (s *spec) primaryIPName() string { return s.Name + "-gw-ipv4" }
func (s *spec) firewallName() string  { return s.Name + "-gw-fw" }
func (s *spec) publicIPName() string  { return s.Name + "-vgw-pip" }
func (s *spec) gatewayName() string   { return s.Name + "-vgw" }
func (s *spec) lngName() string       { return s.Name + "-lng" }
func (s *spec) connName() string      { return s.Name + "-conn" }

// converge builds or repairs a link: every step is idempotent (ensure =
// look up, adopt or create, converge), so Create, Update and drift repair
// all run this same graph. Independent steps run concurrently; each waits
// only on the futures it needs:
//
//	azure:   vnet -> gateway subnet -+
//	         public IP --------------+-> gateway (30-45 min) ------------+
//	hetzner: network -> subnet ------+                                    |
//	         primary IP -------------+-> local network gateway ----------+-> connection -> connected
//	         (public IP, primary IP) -> firewall -> server -> routes
func converge(ctx context.Context, c clouds, s spec, p *progress) error {
	if err := preflightAzure(ctx, c, s); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)

	remote := newFuture[[]netip.Prefix]()
	gwSubnet := newFuture[string]()
	azPeer := newFuture[netip.Addr]()
	gateway := newFuture[string]()
	network := newFuture[*hcloud.Network]()
	local := newFuture[[]netip.Prefix]()
	hzPeer := newFuture[*hcloud.PrimaryIP]()
	lng := newFuture[string]()
	firewall := newFuture[*hcloud.Firewall]()
	serverUp := newFuture[struct{}]()

	// Azure: the VNet decides the default remote prefixes and whether a
	// GatewaySubnet must be created.
	g.Go(func() error {
		if s.GatewayID != "" && len(s.RemotePrefixes) > 0 {
			remote.set(s.RemotePrefixes)
			return nil
		}
		vnet, err := c.az.GetVNet(ctx, s.VNetID)
		if err != nil {
			return err
		}
		r := s.RemotePrefixes
		if len(r) == 0 {
			r = vnet.AddressSpace
		}
		p.update(func(p *progress) { p.RemotePrefixes = r })
		remote.set(r)
		if s.GatewayID != "" {
			return nil
		}
		// owned also covers a subnet an earlier, killed run created (the
		// VNet's tag says so), which a re-run must delete on destroy.
		id, owned, err := c.az.EnsureGatewaySubnet(ctx, s.VNetID, s.Name, s.GatewaySubnetPrefix, func() {
			p.update(func(p *progress) { p.Owned.GatewaySubnet = true })
		})
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.Owned.GatewaySubnet = p.Owned.GatewaySubnet || owned })
		gwSubnet.set(id)
		return nil
	})
	g.Go(func() error { return azureGateway(ctx, c, s, p, gwSubnet, azPeer, gateway) })

	// Hetzner: network, subnet, primary IP; all inside the gateway wait.
	g.Go(func() error { return hetznerNetwork(ctx, c, s, p, network, local) })
	g.Go(func() error {
		ip, err := hetzner.EnsurePrimaryIP(ctx, c.hc, hetzner.PrimaryIPSpec{
			Name: s.primaryIPName(), Location: s.Location, Labels: labels(s.Name)})
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.PrimaryIPID, p.PublicIPv4 = ip.ID, addr4(ip.IP) })
		hzPeer.set(ip)
		return nil
	})
	g.Go(func() error {
		ip, err := hzPeer.get(ctx)
		if err != nil {
			return err
		}
		l, err := local.get(ctx)
		if err != nil {
			return err
		}
		id, err := c.az.EnsureLocalGateway(ctx, azure.LocalGatewaySpec{
			ResourceGroup: s.ResourceGroup, Name: s.lngName(), Location: s.AzureLocation, Link: s.Name,
			PeerIP: addr4(ip.IP), Prefixes: l})
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.LNGID = id })
		lng.set(id)
		return nil
	})
	g.Go(func() error {
		peer, err := azPeer.get(ctx)
		if err != nil {
			return err
		}
		fw, err := hetzner.EnsureFirewall(ctx, c.hc, hetzner.FirewallSpec{
			Name: s.firewallName(), PeerIPv4: peer, SSHCIDRs: s.SSHCIDRs, Labels: labels(s.Name)})
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.FirewallID = fw.ID })
		firewall.set(fw)
		return nil
	})
	g.Go(func() error {
		return gatewayServer(ctx, c, s, p, serverDeps{network, local, remote, hzPeer, azPeer, firewall}, serverUp)
	})
	g.Go(func() error {
		if _, err := serverUp.get(ctx); err != nil {
			return err
		}
		n, err := network.get(ctx)
		if err != nil {
			return err
		}
		r, err := remote.get(ctx)
		if err != nil {
			return err
		}
		for _, dest := range r {
			if err := hetzner.EnsureRoute(ctx, c.hc, n.ID, dest, p.privateIP()); err != nil {
				return err
			}
		}
		return nil
	})

	// The connection needs both gateways; then (optionally) wait for IKE.
	g.Go(func() error {
		gwID, err := gateway.get(ctx)
		if err != nil {
			return err
		}
		lngID, err := lng.get(ctx)
		if err != nil {
			return err
		}
		id, err := c.az.EnsureConnection(ctx, azure.ConnectionSpec{
			ResourceGroup: s.ResourceGroup, Name: s.connName(), Location: s.AzureLocation, Link: s.Name,
			GatewayID: gwID, LocalGatewayID: lngID, SharedKey: p.sharedKey(), Policy: s.Policy,
			DPDTimeoutSeconds: int32(s.DPD), Mode: s.ConnectionMode})
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.ConnectionID = id })
		if err := c.az.EnsureSharedKey(ctx, id, p.sharedKey()); err != nil {
			return err
		}
		if !s.Wait {
			conn, err := c.az.GetConnection(ctx, id)
			if err == nil && conn != nil {
				p.update(func(p *progress) { p.Status = conn.Status })
			}
			return err
		}
		if _, err := serverUp.get(ctx); err != nil {
			return err
		}
		st, err := c.az.WaitConnected(ctx, id, 0)
		p.update(func(p *progress) { p.Status = st })
		return err
	})
	return g.Wait()
}

func (p *progress) privateIP() netip.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.PrivateIP
}

func (p *progress) sharedKey() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.SharedKey
}

// azureGateway creates (or adopts, or reuses) the VPN gateway and publishes
// its public address as early as possible: a new gateway's Standard public
// IP is known seconds after the start, long before the gateway itself.
func azureGateway(ctx context.Context, c clouds, s spec, p *progress, gwSubnet *future[string], azPeer *future[netip.Addr], gateway *future[string]) error {
	if s.GatewayID != "" {
		gw, err := c.az.GetGateway(ctx, s.GatewayID)
		if err != nil {
			return err
		}
		if err := reusableFor(s, s.GatewayID, gw); err != nil {
			return err
		}
		addr, err := c.az.PublicIPAddress(ctx, gw.PublicIPIDs[0])
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.GatewayID, p.GatewayPublicIP = gw.ID, addr })
		azPeer.set(addr)
		gateway.set(gw.ID)
		return nil
	}
	pipID, addr, err := c.az.EnsurePublicIP(ctx, azure.PublicIPSpec{
		ResourceGroup: s.ResourceGroup, Name: s.publicIPName(), Location: s.AzureLocation, Link: s.Name, Zones: publicIPZones(ctx, c, s)})
	if err != nil {
		return err
	}
	p.update(func(p *progress) { p.PublicIPID, p.GatewayPublicIP = pipID, addr })
	azPeer.set(addr)
	subnetID, err := gwSubnet.get(ctx)
	if err != nil {
		return err
	}
	gw, err := c.az.EnsureGateway(ctx, azure.GatewaySpec{
		ResourceGroup: s.ResourceGroup, Name: s.gatewayName(), Location: s.AzureLocation, Link: s.Name,
		SKU: s.SKU, SubnetID: subnetID, PublicIPID: pipID,
	}, func(id string) {
		p.update(func(p *progress) { p.GatewayID, p.Owned.Gateway = id, true })
	})
	if err != nil {
		return err
	}
	gateway.set(gw.ID)
	return nil
}

// checkReusable refuses a gateway a link cannot use, before anything else
// is built around it.
func checkReusable(id string, gw *azure.Gateway) error {
	const attr = "azure.virtual_network_gateway_id"
	switch {
	case gw == nil:
		return fmt.Errorf("%s: gateway %s does not exist", attr, id)
	case gw.GatewayType != "Vpn" || gw.VPNType != "RouteBased":
		return fmt.Errorf("%s: gateway %s is %s/%s; a link needs a route-based VPN gateway", attr, id, gw.GatewayType, gw.VPNType)
	case gw.SKU == "Basic":
		return fmt.Errorf("%s: gateway %s has the Basic SKU, which does not support custom IPsec policies; use VpnGw1AZ or larger", attr, id)
	case gw.ProvisioningState != azure.StateSucceeded:
		return fmt.Errorf("%s: gateway %s is %s; wait until it is Succeeded", attr, id, gw.ProvisioningState)
	case len(gw.PublicIPIDs) == 0:
		return fmt.Errorf("%s: gateway %s has no public IP", attr, id)
	}
	return nil
}

// proposals renders the policy for strongSwan; the policy was validated at
// plan time, so an error here is a bug worth surfacing as is.
func proposals(pol ipsec.Policy) (ike, esp string, err error) {
	if ike, err = pol.IKEProposal(); err != nil {
		return "", "", err
	}
	esp, err = pol.ESPProposal()
	return ike, esp, err
}

// addr4 converts hcloud-go's net.IP; an absent address becomes the zero Addr.
func addr4(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip.To4())
	return a
}
