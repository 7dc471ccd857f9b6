package hetzner

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// SubnetLabel is the label key on a network that names the link which
// created its subnet prefix, e.g. crosscloud.dev/subnet-10.0.1.0-24.
// Hetzner subnets have no labels of their own (hcloud.NetworkSubnet has
// none), so the ownership of a subnet a link added to someone else's
// network lives on that network: Terraform state alone loses it when a run
// is killed after add_subnet or the state file is lost, and a re-run would
// then take the subnet for the user's and leave it behind on destroy.
// The name part ("10.0.1.0-24") fits Hetzner's label syntax: alphanumeric
// at both ends, dots and dashes between, at most 63 characters.
func SubnetLabel(prefix netip.Prefix) string {
	return "crosscloud.dev/subnet-" + prefix.Addr().String() + "-" + strconv.Itoa(prefix.Bits())
}

// EnsureOwnedSubnet is EnsureSubnet for a network that is not the link's
// own. Before the subnet is added, the network is labelled
// SubnetLabel(prefix)=link, so a run killed right after add_subnet leaves
// the ownership recorded; owned is true when this call added the subnet or
// the label names link (an earlier run of the same link added it). A
// label without a subnet (killed in between) only means this run adds it.
// An empty link records nothing and is plain EnsureSubnet.
func EnsureOwnedSubnet(ctx context.Context, c *hcloud.Client, networkID int64, zone string, prefix netip.Prefix, link string) (owned bool, err error) {
	if link == "" {
		return EnsureSubnet(ctx, c, networkID, zone, prefix)
	}
	n, err := GetNetwork(ctx, c, networkID)
	if err != nil {
		return false, err
	}
	if n == nil {
		return false, fmt.Errorf("network %d does not exist", networkID)
	}
	key := SubnetLabel(prefix)
	if _, subnets, _ := NetworkFacts(n); !slices.Contains(subnets, prefix) && n.Labels[key] != link {
		if err := setNetworkLabel(ctx, c, networkID, key, link); err != nil {
			return false, err
		}
	}
	created, err := EnsureSubnet(ctx, c, networkID, zone, prefix)
	if err != nil || created {
		return created, err
	}
	if n, err = GetNetwork(ctx, c, networkID); err != nil || n == nil {
		return false, err
	}
	return n.Labels[key] == link, nil
}

// DeleteOwnedSubnet removes a subnet the link added to someone else's
// network, then the network's SubnetLabel while it still names link. A
// missing network or subnet counts as success.
func DeleteOwnedSubnet(ctx context.Context, c *hcloud.Client, networkID int64, prefix netip.Prefix, link string) error {
	if err := DeleteSubnet(ctx, c, networkID, prefix); err != nil {
		return err
	}
	n, err := GetNetwork(ctx, c, networkID)
	if err != nil || n == nil || link == "" || n.Labels[SubnetLabel(prefix)] != link {
		return err
	}
	return setNetworkLabel(ctx, c, networkID, SubnetLabel(prefix), "")
}

// setNetworkLabel sets one label of a network (value "": removes it) and
// keeps the others: Hetzner's update replaces the whole label set, so the
// current labels are read first.
func setNetworkLabel(ctx context.Context, c *hcloud.Client, networkID int64, key, value string) error {
	what := fmt.Sprintf("network %d: label %s", networkID, key)
	return Retry(ctx, what, func(ctx context.Context) error {
		n, _, err := c.Network.GetByID(ctx, networkID)
		if err != nil || n == nil {
			return err
		}
		labels := maps.Clone(n.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		if value == "" {
			delete(labels, key)
		} else {
			labels[key] = value
		}
		_, _, err = c.Network.Update(ctx, n, hcloud.NetworkUpdateOpts{Labels: labels})
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}
