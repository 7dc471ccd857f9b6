package ipseclink

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
)

// publicIPZones decides the availability zones of a new gateway's public
// IP. An AZ gateway SKU needs a zoned IP where the region has zones
// (VmssVpnGatewayPublicIpsMustHaveZonesConfigured) and a zone-less one where
// it has none (a zoned IP there is refused with
// LocationNotSupportAvailabilityZones; the gateway stays regional). The
// subscription's Microsoft.Network provider says which; if it cannot be
// read, all three zones are asked for and EnsurePublicIP falls back to a
// regional address when ARM refuses them.
func publicIPZones(ctx context.Context, c clouds, s spec) []string {
	if !strings.HasSuffix(s.Azure.SKU, "AZ") {
		return nil
	}
	zones, err := c.az.PublicIPZones(ctx, s.Azure.Location)
	if err != nil {
		tflog.Warn(ctx, "cannot read the regions with availability zones; asking for zones 1-3", map[string]any{"error": err.Error()})
		return []string{"1", "2", "3"}
	}
	return zones
}

// reusableFor refuses a gateway this link cannot use: what checkReusable
// refuses for every link, and what depends on the link's own settings.
//
// An active-active gateway runs two instances, each with its own public IP,
// and each establishes a tunnel; Azure routes VNet-to-peer traffic through
// both at once ("the traffic from your Azure virtual network to your
// on-premises network will be routed through both tunnels simultaneously",
// MD articles/vpn-gateway/vpn-gateway-highlyavailable.md). A link builds
// one IKE connection to one address, so half the flows would leave through
// an instance without a tunnel: it is refused rather than built with one
// tunnel.
func reusableFor(s spec, id string, gw *azure.Gateway) error {
	if err := checkReusable(id, gw); err != nil {
		return err
	}
	const attr = "azure.virtual_network_gateway_id"
	if gw.ActiveActive {
		return fmt.Errorf("%s: gateway %s is active-active (public IPs %s): Azure sends traffic through a tunnel to each of its two instances, "+
			"and a link builds one tunnel; reuse an active-standby gateway, or leave virtual_network_gateway_id unset so the link creates one",
			attr, id, strings.Join(gw.PublicIPIDs, ", "))
	}
	if s.Azure.Location != "" && azure.NormalizeLocation(gw.Location) != azure.NormalizeLocation(s.Azure.Location) {
		return fmt.Errorf("%s: gateway %s is in %s, but azure.location is %q; the local network gateway and the connection live in the gateway's region: set location = %q",
			attr, id, gw.Location, s.Azure.Location, azure.NormalizeLocation(gw.Location))
	}
	return nil
}

// vnetRegionError says why azure.location must be the VNet's region: a VPN
// gateway lives in its VNet's region and its public IP in the gateway's;
// Azure refuses a cross-region reference (InvalidResourceReference "…make
// sure … that both resources are in the same region") only at the gateway
// PUT, after the public IP exists.
func vnetRegionError(s spec, vnet *azure.VNet) error {
	if s.Azure.Location == "" || vnet.Location == "" || azure.NormalizeLocation(s.Azure.Location) == azure.NormalizeLocation(vnet.Location) {
		return nil
	}
	return fmt.Errorf("azure.location: %q is not the region of virtual network %s (%s); the VPN gateway must be in its VNet's region: set location = %q",
		s.Azure.Location, vnet.Name, vnet.Location, azure.NormalizeLocation(vnet.Location))
}

// preflightAzure checks, with reads only and before anything is built, what
// planning could not check because a value was unknown then (a VNet or a
// reused gateway that another resource creates in the same apply).
func preflightAzure(ctx context.Context, c clouds, s spec) error {
	if s.Azure.VNetID != "" {
		vnet, err := c.az.GetVNet(ctx, s.Azure.VNetID)
		if err != nil {
			return err
		}
		if err := vnetRegionError(s, vnet); err != nil {
			return err
		}
	}
	if s.Azure.GatewayID != "" {
		gw, err := c.az.GetGateway(ctx, s.Azure.GatewayID)
		if err != nil {
			return err
		}
		return reusableFor(s, s.Azure.GatewayID, gw)
	}
	return nil
}

// vnetStep reads the VNet: it decides the default remote prefixes and
// whether a GatewaySubnet must be created. A reused gateway with explicit
// remote prefixes needs no read.
func vnetStep(ctx context.Context, r *linkRun) error {
	s, p := r.s, r.p
	if s.Azure.GatewayID != "" && len(s.Azure.RemotePrefixes) > 0 {
		r.remote = s.Azure.RemotePrefixes
		return nil
	}
	vnet, err := r.c.az.GetVNet(ctx, s.Azure.VNetID)
	if err != nil {
		return err
	}
	rp := s.Azure.RemotePrefixes
	if len(rp) == 0 {
		rp = vnet.AddressSpace
	}
	p.update(func(p *progress) { p.RemotePrefixes = rp })
	r.remote = rp
	return nil
}

// gatewaySubnetStep ensures the VNet's GatewaySubnet for a new gateway.
func gatewaySubnetStep(ctx context.Context, r *linkRun) error {
	s, p := r.s, r.p
	if s.Azure.GatewayID != "" {
		return nil
	}
	// owned also covers a subnet an earlier, killed run created (the
	// VNet's tag says so), which a re-run must delete on destroy.
	id, owned, err := r.c.az.EnsureGatewaySubnet(ctx, s.Azure.VNetID, s.Name, s.Azure.GatewaySubnet, func() {
		p.update(func(p *progress) { p.Owned.GatewaySubnet = true })
	})
	if err != nil {
		return err
	}
	p.update(func(p *progress) { p.Owned.GatewaySubnet = p.Owned.GatewaySubnet || owned })
	r.gwSubnetID = id
	return nil
}

// publicIPStep publishes the Azure gateway's public address as early as
// possible: a new gateway's Standard public IP is known seconds after the
// start, long before the gateway itself, so the firewall and the server
// need not wait for the gateway. A reused gateway is read and checked here.
func publicIPStep(ctx context.Context, r *linkRun) error {
	s, p := r.s, r.p
	if s.Azure.GatewayID != "" {
		gw, err := r.c.az.GetGateway(ctx, s.Azure.GatewayID)
		if err != nil {
			return err
		}
		if err := reusableFor(s, s.Azure.GatewayID, gw); err != nil {
			return err
		}
		addr, err := r.c.az.PublicIPAddress(ctx, gw.PublicIPIDs[0])
		if err != nil {
			return err
		}
		p.update(func(p *progress) { p.Azure.GatewayID, p.Azure.GatewayPublicIP = gw.ID, addr })
		r.azPeer, r.gatewayID = addr, gw.ID
		return nil
	}
	if s.Hetzner.HA != nil {
		return activeActivePublicIPs(ctx, r)
	}
	pipID, addr, err := r.c.az.EnsurePublicIP(ctx, azure.PublicIPSpec{
		ResourceGroup: s.Azure.ResourceGroup, Name: publicIPName(s.Name), Location: s.Azure.Location, Link: s.Name, Zones: publicIPZones(ctx, r.c, s)})
	if err != nil {
		return err
	}
	p.update(func(p *progress) { p.Azure.PublicIPID, p.Azure.GatewayPublicIP = pipID, addr })
	r.publicIPID, r.azPeer = pipID, addr
	return nil
}

// activeActivePublicIPs ensures the two public IPs of an active-active
// gateway, one per instance; each is recorded as soon as it exists, so a
// failed apply leaves neither untracked.
func activeActivePublicIPs(ctx context.Context, r *linkRun) error {
	s, p := r.s, r.p
	zones := publicIPZones(ctx, r.c, s)
	spec := func(name string) azure.PublicIPSpec {
		return azure.PublicIPSpec{ResourceGroup: s.Azure.ResourceGroup, Name: name, Location: s.Azure.Location, Link: s.Name, Zones: zones}
	}
	ips, err := r.c.az.EnsurePublicIPs(ctx, spec(publicIPName(s.Name)), spec(secondPublicIPName(s.Name)))
	p.update(func(p *progress) {
		if ips[0].ID != "" {
			p.Azure.PublicIPID, p.Azure.GatewayPublicIP = ips[0].ID, ips[0].Addr
		}
		if ips[1].ID != "" {
			p.HA.SecondPublicIPID, p.HA.GatewaySecondPublicIP = ips[1].ID, ips[1].Addr
		}
	})
	if err != nil {
		return err
	}
	r.publicIPID, r.azPeer = ips[0].ID, ips[0].Addr
	r.publicIPID2, r.azPeer2 = ips[1].ID, ips[1].Addr
	return nil
}

// gatewayStep creates (or adopts) the VPN gateway; its ID is recorded the
// moment the PUT is accepted, so an interrupted create is tracked.
func gatewayStep(ctx context.Context, r *linkRun) error {
	s, p := r.s, r.p
	if s.Azure.GatewayID != "" {
		return nil // reused: publicIPStep read it
	}
	gw, err := r.c.az.EnsureGateway(ctx, azure.GatewaySpec{
		ResourceGroup: s.Azure.ResourceGroup, Name: gatewayName(s.Name), Location: s.Azure.Location, Link: s.Name,
		SKU: s.Azure.SKU, SubnetID: r.gwSubnetID, PublicIPID: r.publicIPID,
		ActiveActive: s.Hetzner.HA != nil, SecondPublicIPID: r.publicIPID2,
	}, func(id string) {
		p.update(func(p *progress) { p.Azure.GatewayID, p.Owned.Gateway = id, true })
	})
	if err != nil {
		return err
	}
	r.gatewayID = gw.ID
	return nil
}

// localGatewayStep tells Azure where the Hetzner side is: the primary IP
// (with HA, the pair's Floating IP) and the prefixes behind it, long
// before the server boots.
func localGatewayStep(ctx context.Context, r *linkRun) error {
	s := r.s
	peer := addr4(r.hzPeer.IP)
	if s.Hetzner.HA != nil {
		peer = addr4(r.fip.IP)
	}
	id, err := r.c.az.EnsureLocalGateway(ctx, azure.LocalGatewaySpec{
		ResourceGroup: s.Azure.ResourceGroup, Name: lngName(s.Name), Location: s.Azure.Location, Link: s.Name,
		PeerIP: peer, Prefixes: r.local})
	if err != nil {
		return err
	}
	r.p.update(func(p *progress) { p.Azure.LNGID = id })
	r.lngID = id
	return nil
}

// connectionStep joins both gateways with the policy and the shared key.
// Without wait_for_connected it records the status Azure reports now.
func connectionStep(ctx context.Context, r *linkRun) error {
	s, p := r.s, r.p
	if r.roll != nil {
		// An HA pair's roll decides when Azure changes (pairRoll).
		defer r.roll.connectionDone()
		if err := r.roll.beforeConnection(ctx); err != nil {
			return err
		}
	}
	id, err := r.c.az.EnsureConnection(ctx, azure.ConnectionSpec{
		ResourceGroup: s.Azure.ResourceGroup, Name: connName(s.Name), Location: s.Azure.Location, Link: s.Name,
		GatewayID: r.gatewayID, LocalGatewayID: r.lngID, SharedKey: p.sharedKey(), Policy: s.Policy,
		DPDTimeoutSeconds: int32(s.DPD), Mode: s.Azure.ConnectionMode})
	if err != nil {
		return err
	}
	p.update(func(p *progress) { p.Azure.ConnectionID = id })
	r.connID = id
	if err := r.c.az.EnsureSharedKey(ctx, id, p.sharedKey()); err != nil {
		return err
	}
	if !s.Wait {
		conn, err := r.c.az.GetConnection(ctx, id)
		if err == nil && conn != nil {
			p.update(func(p *progress) { p.Status = conn.Status })
		}
		return err
	}
	return nil
}

// connectedStep waits, with wait_for_connected, until Azure reports the
// tunnel up; it needs the server running strongSwan as well.
func connectedStep(ctx context.Context, r *linkRun) error {
	if !r.s.Wait {
		return nil
	}
	st, err := r.c.az.WaitConnected(ctx, r.connID, 0)
	r.p.update(func(p *progress) { p.Status = st })
	return err
}
