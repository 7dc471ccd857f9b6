package ipseclink

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// floatingIPStep ensures the pair's Floating IP, homed in the primary's
// location. It is the address Azure's local network gateway names and the
// IKE identity of both servers, so it is what hetzner_public_ipv4 reports.
func floatingIPStep(ctx context.Context, r *linkRun) error {
	s := r.s
	if s.Hetzner.HA == nil {
		return nil
	}
	fip, err := hetzner.EnsureFloatingIP(ctx, r.c.hc, hetzner.FloatingIPSpec{
		Name: floatingIPName(s.Name), HomeLocation: s.Hetzner.Location, Labels: labels(s.Name)})
	if err != nil {
		return err
	}
	r.p.update(func(p *progress) { p.HA.FloatingIPID, p.Hetzner.PublicIPv4 = fip.ID, addr4(fip.IP) })
	r.fip = fip
	return nil
}

// placementGroupStep ensures the spread placement group both servers are
// created in, so one host failure cannot take both (docs/facts/hetzner.md,
// "Placement groups"). A server already running outside it (the single
// server of a link that turns HA on is rebuilt anyway) is not moved: that
// needs a power-off.
func placementGroupStep(ctx context.Context, r *linkRun) error {
	s := r.s
	if s.Hetzner.HA == nil {
		return nil
	}
	pg, err := hetzner.EnsurePlacementGroup(ctx, r.c.hc, hetzner.PlacementGroupSpec{Name: placementGroupName(s.Name), Labels: labels(s.Name)})
	if err != nil {
		return err
	}
	r.p.update(func(p *progress) { p.HA.PlacementGroupID = pg.ID })
	r.placementGroup = pg.ID
	return nil
}

// privateIPsStep decides the servers' private IPs before either exists:
// each server's keepalived names the other's address, so neither can be
// rendered before both are known. A chosen address is kept (progress), so
// a replaced server gets it back and the route stays valid.
func privateIPsStep(ctx context.Context, r *linkRun) error {
	s, p := r.s, r.p
	ip := s.Hetzner.GatewayIP
	if !ip.IsValid() {
		ip = p.privateIP()
	}
	var standby netip.Addr
	if s.Hetzner.HA != nil {
		p.mu.Lock()
		standby = p.HA.StandbyPrivateIP
		p.mu.Unlock()
	}
	if ip.IsValid() && (s.Hetzner.HA == nil || standby.IsValid()) {
		r.gwIP, r.standbyIP = ip, standby
		return nil
	}
	rng, _, _ := hetzner.NetworkFacts(r.network)
	used, err := hetzner.UsedPrivateIPs(ctx, r.c.hc, r.network.ID)
	if err != nil {
		return err
	}
	if !ip.IsValid() {
		if ip, err = addrplan.DefaultGatewayIP(s.Hetzner.GatewaySubnet, rng, used); err != nil {
			return err
		}
	}
	if s.Hetzner.HA != nil && !standby.IsValid() {
		if standby, err = addrplan.DefaultGatewayIP(s.Hetzner.GatewaySubnet, rng, append(slices.Clone(used), ip)); err != nil {
			return err
		}
		// Recorded now: the primary's keepalived names it from its
		// first boot, so a retry must not pick another.
		p.update(func(p *progress) { p.HA.StandbyPrivateIP = standby })
	}
	r.gwIP, r.standbyIP = ip, standby
	return nil
}

// standbyServerStep ensures the pair's second server, in standby_location,
// with a public IPv4 of its own (Azure never sees it) for its API calls.
func standbyServerStep(ctx context.Context, r *linkRun) error {
	s := r.s
	if s.Hetzner.HA == nil {
		return nil
	}
	g := gatewayRole{role: roleStandby, name: standbyServerName(s.Name), location: s.Hetzner.HA.StandbyLocation,
		ip: r.standbyIP, peerIP: r.gwIP, priority: priorityStandby, hashLocation: true,
		record: func(p *progress, id int64, ip netip.Addr) { p.HA.StandbyServerID, p.HA.StandbyPrivateIP = id, ip }}
	return ensureGateway(ctx, r, g, false)
}

// takeoverBudget bounds haRoutes' wait for the surviving server's agent
// to claim the Floating IP after a roll deleted the active server: three
// missed keepalived adverts and an assign action take seconds; a minute
// means the agent is not working and the apply assigns the address itself.
var (
	takeoverBudget   = time.Minute
	takeoverInterval = time.Second
)

// haRoutes points each Azure prefix at the active gateway: the server
// holding the Floating IP. Terraform never moves the Floating IP between
// the two servers (keepalived decided, and the holder has the address on
// its interface); only when neither holds it (a new pair, or an agent
// that failed) does it assign it to the primary, so the pair carries
// traffic from the start, and keepalived's first election confirms or
// moves it. The routes follow the holder, as the agent moves them.
func haRoutes(ctx context.Context, r *linkRun) error {
	p := r.p
	p.mu.Lock()
	primary, standby := p.Hetzner.ServerID, p.HA.StandbyServerID
	p.mu.Unlock()
	st, err := hetzner.GetFloatingIP(ctx, r.c.hc, r.fip.ID)
	if err != nil {
		return err
	}
	var holder int64
	if st != nil {
		holder = st.ServerID
	}
	// After a roll deleted the active server, the survivor's agent is
	// claiming the address (keepalived's detection, then Hetzner's assign
	// action, seconds). Assigning it to the primary now would hand it to
	// the replacement that is still booting, with no tunnel, and fight
	// the agent: wait for the claim, and only if none comes give the
	// address to the survivor, which is ready.
	want := primary
	if t := r.roll.takeoverID(); t != 0 && holder != t {
		tflog.Info(ctx, "rolling the HA pair: waiting for the surviving server to take over the Floating IP", map[string]any{"server": t})
		if holder, err = hetzner.WaitFloatingIPHolder(ctx, r.c.hc, r.fip.ID, t, takeoverBudget, takeoverInterval); err != nil {
			return err
		}
		want = t
	}
	active, activeIP := primary, r.gwIP
	switch {
	case holder == standby && standby != 0:
		active, activeIP = standby, r.standbyIP
	case st == nil || holder != primary:
		if err := hetzner.AssignFloatingIP(ctx, r.c.hc, r.fip.ID, want); err != nil {
			return err
		}
		if want == standby && standby != 0 {
			active, activeIP = standby, r.standbyIP
		}
	}
	p.update(func(p *progress) { p.HA.ActiveServerID = active })
	return hetzner.MoveRoutes(ctx, r.c.hc, r.network.ID, r.remote, activeIP)
}
