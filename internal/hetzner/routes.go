package hetzner

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
)

// NetworkFacts converts what the API says about a network into addrplan's
// terms, so plan-time checks (addrplan.CheckRoute) and drift detection run on
// the live network. Entries the API returns malformed are skipped rather
// than guessed at.
func NetworkFacts(n *hcloud.Network) (rng netip.Prefix, subnets []netip.Prefix, routes []addrplan.Route) {
	if n == nil {
		return netip.Prefix{}, nil, nil
	}
	rng, _ = prefixOf(n.IPRange)
	for _, s := range n.Subnets {
		if p, ok := prefixOf(s.IPRange); ok {
			subnets = append(subnets, p)
		}
	}
	for _, r := range n.Routes {
		d, ok := prefixOf(r.Destination)
		g, gok := addrOf(r.Gateway)
		if ok && gok {
			routes = append(routes, addrplan.Route{Destination: d, Gateway: g})
		}
	}
	return rng, subnets, routes
}

// FindRoute reads the network and reports the gateway of its route to dest.
// network is nil (and found false, err nil) when the network is gone, which
// the route resource's Read turns into "remove from state".
func FindRoute(ctx context.Context, c *hcloud.Client, networkID int64, dest netip.Prefix) (gw netip.Addr, found bool, network *hcloud.Network, err error) {
	n, err := GetNetwork(ctx, c, networkID)
	if err != nil || n == nil {
		return netip.Addr{}, false, n, err
	}
	gw, found = routeGateway(n, dest)
	return gw, found, n, nil
}

func routeGateway(n *hcloud.Network, dest netip.Prefix) (netip.Addr, bool) {
	_, _, routes := NetworkFacts(n)
	for _, r := range routes {
		if r.Destination == dest.Masked() {
			return r.Gateway, true
		}
	}
	return netip.Addr{}, false
}

// EnsureRoute makes the network route dest -> gw exist: nothing when it
// already does, add_route when it is missing, delete_route then add_route
// when dest points elsewhere (Hetzner has no "change route"). Each attempt
// re-reads the network, so concurrent callers on one network converge while
// Hetzner answers `locked` / `conflict` for the other's running action.
func EnsureRoute(ctx context.Context, c *hcloud.Client, networkID int64, dest netip.Prefix, gw netip.Addr) error {
	what := fmt.Sprintf("network %d: route %s via %s", networkID, dest, gw)
	return Retry(ctx, what, func(ctx context.Context) error {
		n, err := GetNetwork(ctx, c, networkID)
		if err != nil {
			return err
		}
		if n == nil {
			return fmt.Errorf("%s: network %d does not exist", what, networkID)
		}
		if cur, ok := routeGateway(n, dest); ok {
			if cur == gw {
				return nil
			}
			a, _, err := c.Network.DeleteRoute(ctx, n, hcloud.NetworkDeleteRouteOpts{Route: route(dest, cur)})
			if err != nil && !hcloud.IsError(err, hcloud.ErrorCodeNotFound) {
				return fmt.Errorf("%s: removing the old route via %s: %w", what, cur, err)
			}
			if err := Settle(ctx, c, a, what+": delete_route"); err != nil {
				return err
			}
		}
		a, _, err := c.Network.AddRoute(ctx, n, hcloud.NetworkAddRouteOpts{Route: route(dest, gw)})
		if err != nil {
			// hcloud-go re-POSTs on `timeout`; if the first POST landed,
			// the repeat is refused as overlapping. Re-read before failing.
			if hcloud.IsError(err, hcloud.ErrorCodeInvalidInput) {
				if again, gerr := GetNetwork(ctx, c, networkID); gerr == nil {
					if cur, ok := routeGateway(again, dest); ok && cur == gw {
						return nil
					}
				}
			}
			return fmt.Errorf("%s: add_route: %w", what, err)
		}
		return Settle(ctx, c, a, what+": add_route")
	})
}

// DeleteRoute removes the network's route to dest, whatever its gateway.
// A missing network or route counts as success, so destroy is idempotent
// and survives objects removed out of band.
func DeleteRoute(ctx context.Context, c *hcloud.Client, networkID int64, dest netip.Prefix) error {
	what := fmt.Sprintf("network %d: delete route %s", networkID, dest)
	return Retry(ctx, what, func(ctx context.Context) error {
		gw, found, n, err := FindRoute(ctx, c, networkID, dest)
		if err != nil || !found {
			return err
		}
		a, _, err := c.Network.DeleteRoute(ctx, n, hcloud.NetworkDeleteRouteOpts{Route: route(dest, gw)})
		if hcloud.IsError(err, hcloud.ErrorCodeNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return Settle(ctx, c, a, what)
	})
}

// EnsureRangeCovers grows the network's ip_range to the smallest range that
// contains dest and keeps the base address (addrplan.ExpandNetworkRange: the
// only growth change_ip_range allows), so a route to dest is accepted and
// servers send dest to Hetzner's router. Servers already in the network pick
// the grown range up only after a reboot or a change of their routes ("After
// changing the IP range you will have to adjust the routes on your connected
// Servers by either rebooting them or manually changing the routes", API
// reference of change_ip_range). changed is false when the range already
// covers dest.
func EnsureRangeCovers(ctx context.Context, c *hcloud.Client, networkID int64, dest netip.Prefix) (newRange netip.Prefix, changed bool, err error) {
	what := fmt.Sprintf("network %d: grow ip_range to cover %s", networkID, dest)
	err = Retry(ctx, what, func(ctx context.Context) error {
		n, err := GetNetwork(ctx, c, networkID)
		if err != nil {
			return err
		}
		if n == nil {
			return fmt.Errorf("%s: network %d does not exist", what, networkID)
		}
		cur, _, _ := NetworkFacts(n)
		grown, grow, err := addrplan.ExpandNetworkRange(cur, dest)
		if err != nil {
			return err
		}
		newRange = grown
		if !grow {
			return nil
		}
		a, _, err := c.Network.ChangeIPRange(ctx, n, hcloud.NetworkChangeIPRangeOpts{IPRange: ipNet(grown)})
		if err != nil {
			return fmt.Errorf("%s: change_ip_range %s -> %s: %w", what, cur, grown, err)
		}
		if err := Settle(ctx, c, a, what+": change_ip_range"); err != nil {
			return err
		}
		changed = true
		return nil
	})
	return newRange, changed, err
}

func route(dest netip.Prefix, gw netip.Addr) hcloud.NetworkRoute {
	return hcloud.NetworkRoute{Destination: ipNet(dest), Gateway: net.IP(gw.AsSlice())}
}

func ipNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, bits := n.Mask.Size()
	if bits == 0 {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	if a.BitLen() != bits {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, ones).Masked(), true
}

func addrOf(ip net.IP) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}
