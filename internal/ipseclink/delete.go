package ipseclink

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"golang.org/x/sync/errgroup"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

func (r *resourceImpl) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state model
	ctx, cancel, c, ok := r.open(ctx, req.State, &state, deleteTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok {
		return
	}
	// buildSpec's diagnostics are dropped on purpose. They judge a
	// configuration, and there is none to fix at destroy: this state was
	// accepted by the apply that wrote it, and a rule or warning added
	// since must not block the destroy and leave the link's resources
	// running. Teardown deletes by the IDs in progress; from the spec it
	// takes only the name, VNet, prefixes and HA, and a value that no
	// longer parses stays zero, which can make it leave a route or subnet
	// behind but never delete one that is not the link's.
	s, _ := buildSpec(ctx, &state)
	if err := teardown(ctx, c, s, progressFromState(&state)); err != nil {
		resp.Diagnostics.AddError("Deleting the link failed",
			fmt.Sprintf("%v\n\nWhat was already removed stays removed; run `terraform destroy` again to finish.", err))
	}
}

// teardown removes what the link built, in dependency order: the
// connection first (Azure stops using both ends), then both sides in
// parallel. Not-found is success everywhere, so a half-deleted link (or a
// second destroy) finishes cleanly. A gateway the link was given is never
// deleted, and neither is a network or subnet it did not create.
func teardown(ctx context.Context, c clouds, s spec, p *progress) error {
	if p.Azure.ConnectionID != "" {
		if err := c.az.DeleteConnection(ctx, p.Azure.ConnectionID); err != nil {
			return err
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if p.Azure.LNGID == "" {
			return nil
		}
		return c.az.DeleteLocalGateway(ctx, p.Azure.LNGID)
	})
	g.Go(func() error {
		if p.Owned.Gateway && p.Azure.GatewayID != "" {
			if err := c.az.DeleteGateway(ctx, p.Azure.GatewayID); err != nil {
				return err
			}
		}
		for _, id := range []string{p.Azure.PublicIPID, p.HA.SecondPublicIPID} {
			if id != "" {
				if err := c.az.DeletePublicIP(ctx, id); err != nil {
					return err
				}
			}
		}
		if p.Owned.GatewaySubnet && s.Azure.VNetID != "" {
			return c.az.DeleteGatewaySubnet(ctx, s.Azure.VNetID, s.Name)
		}
		return nil
	})
	g.Go(func() error { return teardownHetzner(ctx, c, s, p) })
	return g.Wait()
}

func teardownHetzner(ctx context.Context, c clouds, s spec, p *progress) error {
	if p.Hetzner.NetworkID != 0 && !p.Owned.Network {
		// Routes only matter in a network that outlives the link.
		for _, dest := range s.Azure.RemotePrefixes {
			if err := deleteOwnRoute(ctx, c, p.Hetzner.NetworkID, dest, p.Hetzner.PrivateIP, p.HA.StandbyPrivateIP); err != nil {
				return err
			}
		}
	}
	if err := hetzner.DeleteServer(ctx, c.hc, p.Hetzner.ServerID); err != nil {
		return err
	}
	// Also for a link whose state has no pair: an update to
	// high_availability killed before its state write left one behind.
	if err := teardownHA(ctx, c, s, p); err != nil {
		return err
	}
	// After both servers: Hetzner may refuse a group that has members.
	pg, err := orUnrecorded(ctx, p.HA.PlacementGroupID, hetzner.NewUnrecorded(c.hc, labels(s.Name)).PlacementGroup, placementGroupName(s.Name))
	if err != nil {
		return err
	}
	if pg != 0 {
		if err := hetzner.DeletePlacementGroup(ctx, c.hc, pg); err != nil {
			return err
		}
		p.update(func(p *progress) { p.HA.PlacementGroupID = 0 })
	}
	if err := hetzner.DeleteFirewall(ctx, c.hc, p.Hetzner.FirewallID); err != nil {
		return err
	}
	if err := hetzner.DeletePrimaryIP(ctx, c.hc, p.Hetzner.PrimaryIPID); err != nil {
		return err
	}
	switch {
	case p.Owned.Network:
		return hetzner.DeleteNetwork(ctx, c.hc, p.Hetzner.NetworkID)
	case p.Owned.Subnet:
		return hetzner.DeleteOwnedSubnet(ctx, c.hc, p.Hetzner.NetworkID, s.Hetzner.GatewaySubnet, s.Name)
	}
	return nil
}

// deleteOwnRoute removes a route only while it still points at one of this
// link's gateways (standby is the HA pair's other server, or zero): someone
// may have re-pointed it at another gateway since.
func deleteOwnRoute(ctx context.Context, c clouds, networkID int64, dest netip.Prefix, gw, standby netip.Addr) error {
	cur, found, _, err := hetzner.FindRoute(ctx, c.hc, networkID, dest)
	if err != nil || !found || (gw.IsValid() && cur != gw && (!standby.IsValid() || cur != standby)) {
		return err
	}
	return hetzner.DeleteRoute(ctx, c.hc, networkID, dest)
}

// removeStaleRoutes deletes the routes of Azure prefixes an update dropped;
// converge then adds the new ones.
func removeStaleRoutes(ctx context.Context, c clouds, state *model, s spec, p *progress) error {
	// The prior state's diagnostics are dropped: the plan's spec has
	// reported its own, and only the old remote prefixes are read here. One
	// that no longer parses is skipped and its route left in place, which
	// is safer than failing the update over a state an apply accepted.
	old, _ := buildSpec(ctx, state)
	for _, dest := range old.Azure.RemotePrefixes {
		if !slices.Contains(s.Azure.RemotePrefixes, dest) {
			if err := deleteOwnRoute(ctx, c, p.Hetzner.NetworkID, dest, p.Hetzner.PrivateIP, p.HA.StandbyPrivateIP); err != nil {
				return err
			}
		}
	}
	return nil
}
