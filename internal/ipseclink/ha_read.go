package ipseclink

import (
	"context"
	"net/netip"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// teardownHA removes what only a pair has on Hetzner: the standby server
// and the Floating IP. One whose ID was never recorded (an apply killed
// between its create and the state write) is found by name and deleted if
// it is the link's, so a destroy after such a kill leaves nothing behind
// even when the state never learnt the link had become a pair.
func teardownHA(ctx context.Context, c clouds, s spec, p *progress) error {
	find := hetzner.NewUnrecorded(c.hc, labels(s.Name))
	id, err := orUnrecorded(ctx, p.HA.StandbyServerID, find.Server, standbyServerName(s.Name))
	if err != nil {
		return err
	}
	if id != 0 {
		if err := hetzner.DeleteServer(ctx, c.hc, id); err != nil {
			return err
		}
	}
	p.update(func(p *progress) {
		p.HA.StandbyServerID, p.HA.StandbyPrivateIP, p.HA.ActiveServerID = 0, netip.Addr{}, 0
	})
	if id, err = orUnrecorded(ctx, p.HA.FloatingIPID, find.FloatingIP, floatingIPName(s.Name)); err != nil {
		return err
	}
	if id != 0 {
		if err := hetzner.DeleteFloatingIP(ctx, c.hc, id); err != nil {
			return err
		}
	}
	p.update(func(p *progress) { p.HA.FloatingIPID = 0 })
	return nil
}

// orUnrecorded is id when the link recorded it, else what find reports for
// name: the ID of an object a killed apply left unrecorded, or 0.
func orUnrecorded(ctx context.Context, id int64, find func(context.Context, string) (int64, error), name string) (int64, error) {
	if id != 0 {
		return id, nil
	}
	return find(ctx, name)
}

// leaveHA is teardownHA plus the Azure gateway's second public IP, for an
// update that removed high_availability: converge has made the gateway
// active-standby by then, so nothing uses that IP any more. (Delete leaves
// the IP to the Azure branch, which removes it after the gateway.)
func leaveHA(ctx context.Context, c clouds, s spec, p *progress) error {
	if err := teardownHA(ctx, c, s, p); err != nil {
		return err
	}
	if p.HA.SecondPublicIPID != "" {
		if err := c.az.DeletePublicIP(ctx, p.HA.SecondPublicIPID); err != nil {
			return err
		}
		p.update(func(p *progress) { p.HA.SecondPublicIPID, p.HA.GatewaySecondPublicIP = "", netip.Addr{} })
	}
	return nil
}

// observeHA reads the pair: both servers, the Floating IP and who holds
// it. Losing one server is drift the next apply repairs while the other
// carries the link; losing both is said out loud, because the link is
// down until then.
func observeHA(ctx context.Context, c clouds, s spec, p *progress, obs *observation, diags *diag.Diagnostics) error {
	primaryGone := p.Hetzner.ServerID == 0
	standby := observedServer{"standby gateway server", &p.HA.StandbyServerID, p.HA.StandbyPrivateIP, standbyServerName(s.Name)}
	if err := observeServer(ctx, c, p, obs, standby); err != nil {
		return err
	}
	if primaryGone && p.HA.StandbyServerID == 0 {
		diags.AddWarning("Both gateways lost",
			"Both gateway servers of the link "+s.Name+" are gone, so nothing carries traffic between Hetzner and Azure. "+
				"Run `terraform apply` to create them again; they keep their private IPs and the Floating IP, so Azure's side needs no change.")
	}
	fip, err := hetzner.GetFloatingIP(ctx, c.hc, p.HA.FloatingIPID)
	if err != nil {
		return err
	}
	p.HA.ActiveServerID = 0
	switch {
	case fip == nil:
		obs.driftf("Floating IP %d was deleted: Azure's peer address is gone", p.HA.FloatingIPID)
		p.HA.FloatingIPID = 0
	case fip.ServerID == 0:
		obs.driftf("Floating IP %s is not assigned: no gateway answers Azure", fip.IP)
	case fip.ServerID != p.Hetzner.ServerID && fip.ServerID != p.HA.StandbyServerID:
		obs.driftf("Floating IP %s is assigned to server %d, which is neither gateway", fip.IP, fip.ServerID)
	default:
		p.HA.ActiveServerID = fip.ServerID
	}
	observeHARoutes(s, p, obs)
	return nil
}

// observeHARoutes checks that the routes follow the Floating IP: they
// point at the active server's private IP, or, while neither server holds
// the address, at either of them. The routes are those observeHetzner read
// (none when it reported the network gone).
func observeHARoutes(s spec, p *progress, obs *observation) {
	want := map[int64]netip.Addr{p.Hetzner.ServerID: p.Hetzner.PrivateIP, p.HA.StandbyServerID: p.HA.StandbyPrivateIP}
	active, known := want[p.HA.ActiveServerID]
	for _, r := range obs.routes {
		if !slices.Contains(s.Azure.RemotePrefixes, r.Destination) {
			continue
		}
		switch {
		case known && p.HA.ActiveServerID != 0 && r.Gateway != active:
			obs.driftf("network route %s points to %s, not to the active gateway %s (server %d, holding the Floating IP)", r.Destination, r.Gateway, active, p.HA.ActiveServerID)
		case (!known || p.HA.ActiveServerID == 0) && r.Gateway != p.Hetzner.PrivateIP && r.Gateway != p.HA.StandbyPrivateIP:
			obs.driftf("network route %s points to %s, which is neither gateway", r.Destination, r.Gateway)
		}
	}
}
