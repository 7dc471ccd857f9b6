package ipseclink

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// observation is what Read found, sub-resource by sub-resource.
type observation struct {
	drift []string
	// alive counts the core sub-resources that still exist (server,
	// connection, local network gateway); zero means the link was deleted
	// on both sides and leaves state.
	alive int
	// routes are the Hetzner network's routes as observeHetzner read them
	// (none when the network is gone), so the HA check reads the same
	// snapshot instead of fetching the network again.
	routes []addrplan.Route
}

func (o *observation) driftf(format string, args ...any) {
	o.drift = append(o.drift, fmt.Sprintf(format, args...))
}

// driftList is the value of the `drift` attribute: what a refresh found, or
// (nil: an apply has just converged the link, or a plan shows the repair)
// the empty list, never null, so that a plan shows drift going to `[]`.
func driftList(found []string) types.List { return listOfStrings(found) }

func (r *resourceImpl) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state model
	ctx, cancel, c, ok := r.open(ctx, req.State, &state, readTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok {
		return
	}

	if state.Hetzner.IsNull() {
		// Just imported: discover the rest from the two IDs.
		if err := discover(ctx, c, &state); err != nil {
			resp.Diagnostics.AddError("Importing the link", err.Error())
			return
		}
	}
	s, d := buildSpec(ctx, &state)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	p := progressFromState(&state)
	p.KeyMAC = loadKeyMAC(ctx, req.Private, &resp.Diagnostics)
	p.ServerConfig = loadServerConfig(ctx, req.Private, &resp.Diagnostics)
	if p.Swanctl == "" {
		// Imported: the server's configuration is what the link would render.
		if gw, err := gatewayConfig(s, p.Hetzner.PublicIPv4, p.Azure.GatewayPublicIP, s.Hetzner.LocalPrefixes, s.Azure.RemotePrefixes, p.SharedKey); err == nil {
			p.Swanctl, _ = cloudinit.SwanctlConf(gw, false)
		}
	}
	obs, err := observe(ctx, c, s, p, &resp.Diagnostics)
	if err != nil {
		resp.Diagnostics.AddError("Reading the link", err.Error())
		return
	}
	if obs.alive == 0 {
		resp.State.RemoveResource(ctx)
		return
	}
	resp.Diagnostics.Append(p.writeTo(ctx, &state)...)
	state.Drift = driftList(obs.drift)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// observe reads every sub-resource and reports what differs from what the
// link built. It never changes anything; the plan shows the repair.
func observe(ctx context.Context, c clouds, s spec, p *progress, diags *diag.Diagnostics) (*observation, error) {
	obs := &observation{}
	if err := observeHetzner(ctx, c, s, p, obs); err != nil {
		return nil, err
	}
	if s.Hetzner.HA != nil {
		if err := observeHA(ctx, c, s, p, obs, diags); err != nil {
			return nil, err
		}
	}
	if err := observeAzure(ctx, c, s, p, obs); err != nil {
		return nil, err
	}
	return obs, nil
}

func observeHetzner(ctx context.Context, c clouds, s spec, p *progress, obs *observation) error {
	n, err := hetzner.GetNetwork(ctx, c.hc, p.Hetzner.NetworkID)
	if err != nil {
		return err
	}
	if n == nil {
		obs.driftf("Hetzner network %d was deleted", p.Hetzner.NetworkID)
	} else {
		_, subnets, routes := hetzner.NetworkFacts(n)
		obs.routes = routes
		if !slices.Contains(subnets, s.Hetzner.GatewaySubnet) {
			obs.driftf("gateway subnet %s was removed from network %d", s.Hetzner.GatewaySubnet, n.ID)
		}
		for _, dest := range s.Azure.RemotePrefixes {
			i := slices.IndexFunc(routes, func(r addrplan.Route) bool { return r.Destination == dest })
			switch {
			case i < 0:
				obs.driftf("network route %s -> %s is missing", dest, p.Hetzner.PrivateIP)
			case s.Hetzner.HA != nil:
				// observeHA checks it against the active server.
			case routes[i].Gateway != p.Hetzner.PrivateIP:
				obs.driftf("network route %s points to %s instead of %s", dest, routes[i].Gateway, p.Hetzner.PrivateIP)
			}
		}
	}
	if err := observeServer(ctx, c, p, obs, observedServer{"gateway server", &p.Hetzner.ServerID, p.Hetzner.PrivateIP, serverName(s.Name)}); err != nil {
		return err
	}
	if ip, err := hetzner.GetPrimaryIP(ctx, c.hc, p.Hetzner.PrimaryIPID); err != nil {
		return err
	} else if ip == nil {
		obs.driftf("primary IP %d was deleted", p.Hetzner.PrimaryIPID)
		p.Hetzner.PrimaryIPID = 0
	}
	fw, err := hetzner.GetFirewall(ctx, c.hc, p.Hetzner.FirewallID)
	if err != nil {
		return err
	}
	if fw == nil {
		obs.driftf("firewall %d was deleted", p.Hetzner.FirewallID)
		p.Hetzner.FirewallID = 0
	} else {
		want := hetzner.FirewallSpec{Name: firewallName(s.Name), PeerIPv4: p.Azure.GatewayPublicIP, SecondPeerIPv4: p.HA.GatewaySecondPublicIP, SSHCIDRs: s.Hetzner.SSHCIDRs}
		for _, d := range hetzner.FirewallDrift(fw, want) {
			obs.driftf("firewall %d: %s", fw.ID, d)
		}
	}
	return nil
}

func observeAzure(ctx context.Context, c clouds, s spec, p *progress, obs *observation) error {
	if p.Azure.GatewayID != "" {
		gw, err := c.az.GetGateway(ctx, p.Azure.GatewayID)
		if err != nil {
			return err
		}
		switch {
		case gw == nil:
			obs.driftf("Azure VPN gateway %s was deleted", p.Azure.GatewayID)
		case s.Hetzner.HA != nil && !gw.ActiveActive:
			obs.driftf("Azure VPN gateway %s is active-standby; the pair needs it active-active (a tunnel to each instance)", p.Azure.GatewayID)
		}
	}
	if p.Azure.LNGID != "" {
		lng, err := c.az.GetLocalGateway(ctx, p.Azure.LNGID)
		if err != nil {
			return err
		}
		switch {
		case lng == nil:
			obs.driftf("local network gateway %s was deleted", p.Azure.LNGID)
		default:
			obs.alive++
			if lng.PeerIP != p.Hetzner.PublicIPv4 {
				obs.driftf("local network gateway points to %v instead of %s", lng.PeerIP, p.Hetzner.PublicIPv4)
			}
			if want := s.Hetzner.LocalPrefixes; len(want) > 0 && !slices.Equal(lng.Prefixes, want) {
				obs.driftf("local network gateway announces %v instead of %v", lng.Prefixes, want)
			}
		}
	}
	if p.Azure.ConnectionID == "" {
		return nil
	}
	conn, err := c.az.GetConnection(ctx, p.Azure.ConnectionID)
	if err != nil {
		return err
	}
	if conn == nil {
		obs.driftf("connection %s was deleted", p.Azure.ConnectionID)
		p.Status = ""
		return nil
	}
	obs.alive++
	p.Status = conn.Status
	if conn.Policy == nil {
		obs.driftf("connection has no custom IPsec policy (Azure's defaults would offer DH group 2 only)")
	} else if *conn.Policy != s.Policy {
		obs.driftf("connection IPsec policy changed outside Terraform")
	}
	if int64(conn.DPDTimeoutSeconds) != s.DPD {
		obs.driftf("connection DPD timeout is %d s instead of %d s", conn.DPDTimeoutSeconds, s.DPD)
	}
	if m := connectionModeOf(conn); s.Azure.ConnectionMode != "" && m != s.Azure.ConnectionMode {
		obs.driftf("connection mode is %s instead of %s", m, s.Azure.ConnectionMode)
	}
	key, err := c.az.SharedKey(ctx, p.Azure.ConnectionID)
	if err != nil {
		return err
	}
	if p.KeyMAC != nil {
		if !p.KeyMAC.matches(key) {
			obs.driftf("connection shared key differs from shared_key_wo (changed outside Terraform)")
		}
	} else if key != p.SharedKey {
		obs.driftf("connection shared key was changed outside Terraform")
	}
	return nil
}

// observedServer is one gateway server of the link as observeServer reads
// it: the single server, or either server of an HA pair.
type observedServer struct {
	role      string     // "gateway server" or "standby gateway server", in drift messages
	id        *int64     // the progress field, zeroed when the server is gone
	privateIP netip.Addr // the private IP it was given
	name      string     // the name its configuration was recorded under
}

// observeServer reads one gateway server: deleted, off its private IP or
// running another configuration than the one recorded is drift. The
// single server and both servers of a pair are read the same way.
func observeServer(ctx context.Context, c clouds, p *progress, obs *observation, g observedServer) error {
	srv, err := hetzner.GetServer(ctx, c.hc, *g.id)
	if err != nil {
		return err
	}
	if srv == nil {
		obs.driftf("%s %d was deleted", g.role, *g.id)
		*g.id = 0
		return nil
	}
	obs.alive++
	if ip := serverPrivateIP(srv, p.Hetzner.NetworkID); ip != g.privateIP {
		obs.driftf("%s %d holds private IP %v instead of %s", g.role, srv.ID, ip, g.privateIP)
	}
	p.checkConfig(obs, g.role, g.name, srv)
	return nil
}

// serverPrivateIP is the server's address in the given network, or the
// zero Addr when it is not attached there.
func serverPrivateIP(srv *hcloud.Server, networkID int64) netip.Addr {
	for _, pn := range srv.PrivateNet {
		if pn.Network != nil && pn.Network.ID == networkID {
			a, _ := netip.AddrFromSlice(pn.IP.To4())
			return a
		}
	}
	return netip.Addr{}
}
