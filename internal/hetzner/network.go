package hetzner

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
)

// NetworkSpec is the network a link creates when the user gives a range
// instead of an existing network_id.
type NetworkSpec struct {
	Name    string
	IPRange netip.Prefix
	Labels  map[string]string
}

// GetNetwork reads a network; (nil, nil) means it is gone, which callers
// treat as drift or "remove from state" rather than a failure.
func GetNetwork(ctx context.Context, c *hcloud.Client, id int64) (*hcloud.Network, error) {
	return get(ctx, fmt.Sprintf("read network %d", id), c.Network.GetByID, id)
}

// EnsureNetwork returns the network named spec.Name, creating it when absent
// (created = true) and adopting it when it carries our labels. An adopted
// network whose range is smaller than spec.IPRange is grown to it; a range
// that is larger (grown by a gateway route) is left alone, as Hetzner cannot
// shrink ranges.
func EnsureNetwork(ctx context.Context, c *hcloud.Client, spec NetworkSpec) (*hcloud.Network, bool, error) {
	what := fmt.Sprintf("network %q", spec.Name)
	if err := addrplan.CheckNetworkRange(spec.IPRange); err != nil {
		return nil, false, fmt.Errorf("%s: %w", what, err)
	}
	created := false
	n, err := ensureByName(ctx, what, spec.Name, byName[hcloud.Network]{
		lookup: c.Network.GetByName,
		adopt: func(_ context.Context, n *hcloud.Network) error {
			return adopt("network", spec.Name, n.ID, spec.Labels, n.Labels)
		},
		create: func(ctx context.Context) (*hcloud.Network, error) {
			// A network create returns no action.
			n, _, err := c.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: spec.Name, IPRange: ipNet(spec.IPRange), Labels: spec.Labels})
			created = err == nil
			return n, err
		},
	})
	if err != nil {
		return nil, false, err
	}
	if cur, _, _ := NetworkFacts(n); cur != spec.IPRange && addrplan.Contains(spec.IPRange, cur) {
		// Hetzner can only shorten the mask of the current range
		// (change_ip_range keeps the base address).
		if spec.IPRange.Addr() != cur.Addr() {
			return nil, created, fmt.Errorf("%s: the existing network %d has range %s, and Hetzner cannot change it to %s "+
				"(a range can only grow by shortening its netmask while its base address %s stays); "+
				"delete that network or use network_ip_range = %q", what, n.ID, cur, spec.IPRange, cur.Addr(), addrplan.MaxGrowth(cur).String())
		}
		if _, _, err := EnsureRangeCovers(ctx, c, n.ID, spec.IPRange); err != nil {
			return nil, created, err
		}
		if n, err = GetNetwork(ctx, c, n.ID); err != nil {
			return nil, created, err
		}
	}
	return n, created, nil
}

// EnsureSubnet makes a cloud subnet with exactly prefix exist in the network
// (zone e.g. "eu-central"). created tells the caller it owns the subnet and
// must delete it on destroy; an existing one (the user's) is left alone then.
func EnsureSubnet(ctx context.Context, c *hcloud.Client, networkID int64, zone string, prefix netip.Prefix) (bool, error) {
	what := fmt.Sprintf("network %d: subnet %s", networkID, prefix)
	created := false
	err := Retry(ctx, what, func(ctx context.Context) error {
		n, err := GetNetwork(ctx, c, networkID)
		if err != nil {
			return err
		}
		if n == nil {
			return fmt.Errorf("network %d does not exist", networkID)
		}
		for _, s := range n.Subnets {
			if p, ok := prefixOf(s.IPRange); ok && p == prefix {
				if zone != "" && string(s.NetworkZone) != zone {
					return fmt.Errorf("the network already has subnet %s, but in network zone %s instead of %s; "+
						"set network_zone = %q or choose another subnet", prefix, s.NetworkZone, zone, s.NetworkZone)
				}
				return nil
			}
		}
		a, _, err := c.Network.AddSubnet(ctx, n, hcloud.NetworkAddSubnetOpts{Subnet: hcloud.NetworkSubnet{
			Type: hcloud.NetworkSubnetTypeCloud, IPRange: ipNet(prefix), NetworkZone: hcloud.NetworkZone(zone),
		}})
		if err != nil {
			// hcloud-go re-POSTs on `timeout`; if the first POST landed,
			// the repeat is refused as overlapping. Re-read before failing.
			if hcloud.IsError(err, hcloud.ErrorCodeInvalidInput) {
				if again, gerr := GetNetwork(ctx, c, networkID); gerr == nil && again != nil {
					if _, subnets, _ := NetworkFacts(again); slices.Contains(subnets, prefix) {
						created = true
						return nil
					}
				}
			}
			return fmt.Errorf("add_subnet: %w", err)
		}
		if err := Settle(ctx, c, a, what+": add_subnet"); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("%s: %w", what, err)
	}
	return created, nil
}

// DeleteSubnet removes the cloud subnet prefix from the network. A missing
// network or subnet counts as success.
func DeleteSubnet(ctx context.Context, c *hcloud.Client, networkID int64, prefix netip.Prefix) error {
	what := fmt.Sprintf("network %d: delete subnet %s", networkID, prefix)
	return Retry(ctx, what, func(ctx context.Context) error {
		n, err := GetNetwork(ctx, c, networkID)
		if err != nil || n == nil {
			return err
		}
		_, subnets, _ := NetworkFacts(n)
		if !slices.Contains(subnets, prefix) {
			return nil
		}
		a, _, err := c.Network.DeleteSubnet(ctx, n, hcloud.NetworkDeleteSubnetOpts{Subnet: hcloud.NetworkSubnet{IPRange: ipNet(prefix)}})
		if err != nil {
			return deleted(what, err)
		}
		return Settle(ctx, c, a, what)
	})
}

// DeleteNetwork deletes a network; not found counts as success.
func DeleteNetwork(ctx context.Context, c *hcloud.Client, id int64) error {
	what := fmt.Sprintf("delete network %d", id)
	return Retry(ctx, what, func(ctx context.Context) error {
		_, err := c.Network.Delete(ctx, &hcloud.Network{ID: id})
		return deleted(what, err)
	})
}

// ServerPrivateIPs returns a server's private IP and alias IPs in one
// network (none when srv is nil or not attached).
func ServerPrivateIPs(srv *hcloud.Server, networkID int64) []netip.Addr {
	if srv == nil {
		return nil
	}
	var out []netip.Addr
	for _, pn := range srv.PrivateNet {
		if pn.Network != nil && pn.Network.ID == networkID {
			out = append(out, heldAddrs(pn.IP, pn.Aliases)...)
		}
	}
	return out
}
