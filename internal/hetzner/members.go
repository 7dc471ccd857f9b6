package hetzner

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// propagationBudget bounds how long an attach waits for Hetzner's network
// backend to catch up (a new subnet, a just-released private IP). The delay
// is not published; terraform-provider-hcloud retries attach up to its
// default retry count with backoff, i.e. about as long.
var propagationBudget = 5 * time.Minute

// member is one holder of addresses in a network.
type member struct {
	kind string
	id   int64
	ips  []netip.Addr
}

// members lists who holds addresses in the network: servers (IP and alias
// IPs) and load balancers, in one paged call (GET /networks/{id}/members,
// hcloud-go v2.49). A missing network has no members.
func members(ctx context.Context, c *hcloud.Client, networkID int64) ([]member, error) {
	var list []*hcloud.NetworkMember
	err := Retry(ctx, fmt.Sprintf("list members of network %d", networkID), func(ctx context.Context) error {
		var err error
		list, err = c.Network.AllMembers(ctx, &hcloud.Network{ID: networkID})
		if hcloud.IsError(err, hcloud.ErrorCodeNotFound) {
			list, err = nil, nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list members of network %d: %w", networkID, err)
	}
	out := make([]member, 0, len(list))
	for _, m := range list {
		out = append(out, member{kind: string(m.Type), id: m.ID, ips: heldAddrs(m.IP, m.AliasIPs)})
	}
	return out, nil
}

// heldAddrs is what one holder (a member, a server's private net) holds in
// a network: its IP, then its alias IPs, leaving out the unset ones.
func heldAddrs(ip net.IP, aliases []net.IP) []netip.Addr {
	var out []netip.Addr
	for _, a := range append([]net.IP{ip}, aliases...) {
		if a, ok := addrOf(a); ok {
			out = append(out, a)
		}
	}
	return out
}

// UsedPrivateIPs lists every private IP taken in the network: the IPs and
// alias IPs of its servers and the IPs of its load balancers. A default
// gateway IP must skip all of them, not only the servers' (a load balancer
// in gateway_subnet would otherwise make the attach fail with
// ip_not_available), and the route resource warns when none of them is its
// gateway.
func UsedPrivateIPs(ctx context.Context, c *hcloud.Client, networkID int64) ([]netip.Addr, error) {
	ms, err := members(ctx, c, networkID)
	if err != nil {
		return nil, err
	}
	var used []netip.Addr
	for _, m := range ms {
		used = append(used, m.ips...)
	}
	return used, nil
}

// checkAttachConflict tells a lasting attach failure from one that only
// waits for Hetzner's backend. ip_not_available while another member holds
// the IP, or no_subnet_available while no subnet of the network contains the
// IP, will not clear by waiting: it returns an error that is not retried
// (it does not wrap the API error, whose code the attach step retries).
// nil means the failure may be propagation, worth retrying.
func checkAttachConflict(ctx context.Context, c *hcloud.Client, err error, spec ServerSpec, self int64) error {
	switch {
	case hcloud.IsError(err, hcloud.ErrorCodeIPNotAvailable) && spec.PrivateIP.IsValid():
		ms, lerr := members(ctx, c, spec.NetworkID)
		if lerr != nil {
			return nil
		}
		for _, m := range ms {
			if (m.kind != string(hcloud.NetworkMemberTypeServer) || m.id != self) && slices.Contains(m.ips, spec.PrivateIP) {
				return fmt.Errorf("attach server %q to network %d: private IP %s is held by %s %d (%v); "+
					"set hetzner.gateway_ip to a free address of the gateway subnet, or remove that %s from the network",
					spec.Name, spec.NetworkID, spec.PrivateIP, m.kind, m.id, err, m.kind)
			}
		}
	case hcloud.IsError(err, hcloud.ErrorCodeNoSubnetAvailable):
		n, gerr := GetNetwork(ctx, c, spec.NetworkID)
		if gerr != nil || n == nil {
			return nil
		}
		_, subnets, _ := NetworkFacts(n)
		if !slices.ContainsFunc(subnets, func(p netip.Prefix) bool {
			return !spec.PrivateIP.IsValid() || p.Contains(spec.PrivateIP)
		}) {
			return fmt.Errorf("attach server %q to network %d: no subnet of the network contains %v (%v); add the gateway subnet first",
				spec.Name, spec.NetworkID, spec.PrivateIP, err)
		}
	}
	return nil
}
