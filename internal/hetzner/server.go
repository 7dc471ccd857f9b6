package hetzner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// ServerSpec is the strongSwan gateway server. Its public IPv4 is the
// pre-created primary IP (so Azure already knows it) and its private IP is
// pinned, because the network route to Azure points at it. PrimaryIPID 0
// lets Hetzner assign a public IPv4 that goes with the server: the standby
// of an HA pair, which Azure knows only through the Floating IP.
type ServerSpec struct {
	Name, ServerType, Image, Location  string
	SSHKeyIDs                          []int64
	UserData                           string
	PrimaryIPID, FirewallID, NetworkID int64
	PrivateIP                          netip.Addr
	Labels                             map[string]string
	// PlacementGroupID is the spread placement group the server is created
	// in (0: none), so the two servers of an HA pair never share a physical
	// host (placementgroup.go). It only acts on a create: an adopted server
	// is not moved, since that needs it powered off (PlacementGroupDrift
	// reports it); a replaced server is created in the group again.
	PlacementGroupID int64
}

// EnsureServer returns the server named spec.Name, attached to the network
// with spec.PrivateIP and protected by the firewall. It creates the server
// when absent (public IPv4 = the primary IP, no IPv6, started) and adopts it
// when it carries our labels. Labels of an adopted server are left as they
// are: callers compare them (e.g. a config hash) to decide on ReplaceServer.
func EnsureServer(ctx context.Context, c *hcloud.Client, spec ServerSpec) (*hcloud.Server, error) {
	what := fmt.Sprintf("server %q", spec.Name)
	if spec.PlacementGroupID < 0 {
		return nil, fmt.Errorf("%s: placement group ID %d is not an ID (0 means none)", what, spec.PlacementGroupID)
	}
	srv, err := ensureByName(ctx, what, spec.Name, byName[hcloud.Server]{
		lookup: c.Server.GetByName,
		adopt: func(_ context.Context, srv *hcloud.Server) error {
			return adopt("server", spec.Name, srv.ID, spec.Labels, srv.Labels)
		},
		create: func(ctx context.Context) (*hcloud.Server, error) {
			res, _, err := c.Server.Create(ctx, serverCreateOpts(spec))
			if err != nil {
				return nil, err
			}
			// The create action first, then the ones it queued (NextActions).
			return res.Server, settleAll(ctx, c, append([]*hcloud.Action{res.Action}, res.NextActions...), what+": create")
		},
		also: []RetryOn{capacityRetry(spec)},
	})
	if err != nil {
		return nil, err
	}
	if err := attach(ctx, c, srv.ID, spec, what); err != nil {
		return nil, err
	}
	if err := applyFirewall(ctx, c, srv.ID, spec.FirewallID, what); err != nil {
		return nil, err
	}
	return GetServer(ctx, c, srv.ID)
}

// capacityBudget bounds how long a server create waits for Hetzner to find
// room: resource_unavailable (412, "error during placement") and
// placement_error (422) are what the API answers when a location has no
// capacity for a type right now (jenkinsci/hetzner-cloud-plugin#21,
// terraform-provider-hcloud#531, hcloud-go error.go); neither hcloud-go nor
// the API retries them. Shortages last minutes to hours, so the create keeps
// trying for a while, with backoff up to capacityMaxWait, and then says so.
var (
	capacityBudget  = 20 * time.Minute
	capacityMaxWait = time.Minute
)

func capacityRetry(spec ServerSpec) RetryOn {
	return RetryOn{
		Codes:   []hcloud.ErrorCode{hcloud.ErrorCodeResourceUnavailable, hcloud.ErrorCodePlacementError},
		Budget:  capacityBudget,
		MaxWait: capacityMaxWait,
		Why:     fmt.Sprintf("Hetzner has no capacity for server type %s in %s right now", spec.ServerType, spec.Location),
	}
}

func serverCreateOpts(spec ServerSpec) hcloud.ServerCreateOpts {
	keys := make([]*hcloud.SSHKey, 0, len(spec.SSHKeyIDs))
	for _, id := range spec.SSHKeyIDs {
		keys = append(keys, &hcloud.SSHKey{ID: id})
	}
	opts := hcloud.ServerCreateOpts{
		Name: spec.Name, ServerType: &hcloud.ServerType{Name: spec.ServerType}, Image: &hcloud.Image{Name: spec.Image},
		Location: &hcloud.Location{Name: spec.Location}, SSHKeys: keys, UserData: spec.UserData,
		StartAfterCreate: new(true), Labels: spec.Labels,
		PublicNet: &hcloud.ServerCreatePublicNet{EnableIPv4: true, EnableIPv6: false},
	}
	if spec.PrimaryIPID != 0 {
		opts.PublicNet.IPv4 = &hcloud.PrimaryIP{ID: spec.PrimaryIPID}
	}
	if spec.PlacementGroupID != 0 {
		opts.PlacementGroup = &hcloud.PlacementGroup{ID: spec.PlacementGroupID}
	}
	if spec.FirewallID != 0 {
		opts.Firewalls = []*hcloud.ServerCreateFirewall{{Firewall: hcloud.Firewall{ID: spec.FirewallID}}}
	}
	return opts
}

// attach makes the server hold spec.PrivateIP in spec.NetworkID, moving it
// (detach, attach) when it holds another IP there.
func attach(ctx context.Context, c *hcloud.Client, id int64, spec ServerSpec, what string) error {
	if spec.NetworkID == 0 {
		return nil
	}
	return RetryWith(ctx, what+": attach to network", []RetryOn{{
		// Both clear once Hetzner's network backend has caught up: a subnet
		// just added by add_subnet takes no servers for a while
		// (terraform-provider-hcloud retries attach on no_subnet_available,
		// commit faa15532), and a deleted server's private IP is released
		// late (terraform-provider-hcloud#586). checkAttachConflict turns
		// the lasting cases into errors at once.
		Codes:  []hcloud.ErrorCode{hcloud.ErrorCodeNoSubnetAvailable, hcloud.ErrorCodeIPNotAvailable},
		Budget: propagationBudget,
		Why:    "Hetzner's network backend has not caught up yet (a new subnet or a just-released IP)",
	}}, func(ctx context.Context) error {
		srv, _, err := c.Server.GetByID(ctx, id)
		if err != nil {
			return err
		}
		if srv == nil {
			return fmt.Errorf("%s: server %d disappeared", what, id)
		}
		ips := ServerPrivateIPs(srv, spec.NetworkID)
		if len(ips) > 0 && (!spec.PrivateIP.IsValid() || ips[0] == spec.PrivateIP) {
			return nil
		}
		network := &hcloud.Network{ID: spec.NetworkID}
		if len(ips) > 0 {
			a, _, err := c.Server.DetachFromNetwork(ctx, srv, hcloud.ServerDetachFromNetworkOpts{Network: network})
			if err != nil {
				return fmt.Errorf("%s: detach_from_network %d (holds %s, want %s): %w", what, spec.NetworkID, ips[0], spec.PrivateIP, err)
			}
			if err := Settle(ctx, c, a, what+": detach_from_network"); err != nil {
				return err
			}
		}
		opts := hcloud.ServerAttachToNetworkOpts{Network: network}
		if spec.PrivateIP.IsValid() {
			opts.IP = net.IP(spec.PrivateIP.AsSlice())
		}
		a, _, err := c.Server.AttachToNetwork(ctx, srv, opts)
		if err != nil {
			if cerr := checkAttachConflict(ctx, c, err, spec, id); cerr != nil {
				return cerr
			}
			return fmt.Errorf("%s: attach_to_network %d with IP %s: %w", what, spec.NetworkID, spec.PrivateIP, err)
		}
		return Settle(ctx, c, a, what+": attach_to_network")
	})
}

// applyFirewall makes sure an adopted server is still behind the firewall.
func applyFirewall(ctx context.Context, c *hcloud.Client, id, firewallID int64, what string) error {
	if firewallID == 0 {
		return nil
	}
	return Retry(ctx, what+": apply firewall", func(ctx context.Context) error {
		srv, _, err := c.Server.GetByID(ctx, id)
		if err != nil || srv == nil {
			return err
		}
		if slices.ContainsFunc(srv.PublicNet.Firewalls, func(f *hcloud.ServerFirewallStatus) bool { return f.Firewall.ID == firewallID }) {
			return nil
		}
		res := []hcloud.FirewallResource{{Type: hcloud.FirewallResourceTypeServer, Server: &hcloud.FirewallResourceServer{ID: id}}}
		actions, _, err := c.Firewall.ApplyResources(ctx, &hcloud.Firewall{ID: firewallID}, res)
		if err != nil {
			return fmt.Errorf("%s: apply firewall %d: %w", what, firewallID, err)
		}
		return settleAll(ctx, c, actions, what+": apply_to_resources")
	})
}

// ReplaceServer deletes the server old and creates it again from spec. The
// primary IP survives (auto_delete=false) and the private IP is released by
// the delete (late: attach retries ip_not_available), so the new server
// keeps both addresses and neither Azure nor the network route notices the
// swap.
//
// The old server must go first (it holds the primary IP and the name), so a
// create that then fails leaves the link without a gateway. Before deleting
// anything, ReplaceServer therefore checks with reads that the new server
// can be ordered (CheckOrderable: type offered, available and not
// deprecated in the location, image present); a refusal leaves the old
// server running. Capacity errors on the create are retried (capacityRetry);
// if the create still fails, the error is a *NoGatewayError. The new server
// joins spec.PlacementGroupID like the old one did; the old one leaves the
// group when it is deleted, so a full group (10 servers) is no obstacle.
func ReplaceServer(ctx context.Context, c *hcloud.Client, old int64, spec ServerSpec) (*hcloud.Server, error) {
	if _, err := CheckOrderable(ctx, c, spec.Location, spec.ServerType, spec.Image); err != nil {
		return nil, fmt.Errorf("replace server %q: nothing was deleted, the current gateway server %d keeps running: %w", spec.Name, old, err)
	}
	if err := DeleteServer(ctx, c, old); err != nil {
		return nil, fmt.Errorf("replace server %q: %w", spec.Name, err)
	}
	srv, err := EnsureServer(ctx, c, spec)
	if err != nil {
		return nil, &NoGatewayError{Name: spec.Name, Old: old, PrimaryIPID: spec.PrimaryIPID, PrivateIP: spec.PrivateIP, Err: err}
	}
	return srv, nil
}

// NoGatewayError says that a replacement deleted the old gateway server but
// could not create the new one: until an apply succeeds, nothing answers
// IKE on the link's public IP and nothing receives the network route's
// traffic. The addresses are kept for the next attempt.
type NoGatewayError struct {
	Name        string
	Old         int64
	PrimaryIPID int64
	PrivateIP   netip.Addr
	Err         error
}

func (e *NoGatewayError) Error() string {
	return fmt.Sprintf("the link has no gateway server right now: server %d was deleted to be replaced, and creating %q failed: %v. "+
		"The primary IP %d and the private IP %s are kept for it, so Azure's configuration and the network route stay valid; "+
		"the next `terraform apply` creates the server again (set hetzner.server_type or hetzner.location to one that can be ordered if this persists)",
		e.Old, e.Name, e.Err, e.PrimaryIPID, e.PrivateIP)
}

func (e *NoGatewayError) Unwrap() error { return e.Err }

// GetServer reads a server; (nil, nil) means it is gone.
func GetServer(ctx context.Context, c *hcloud.Client, id int64) (*hcloud.Server, error) {
	return get(ctx, fmt.Sprintf("read server %d", id), c.Server.GetByID, id)
}

// DeleteServer deletes a server and waits until it is gone; not found counts
// as success.
func DeleteServer(ctx context.Context, c *hcloud.Client, id int64) error {
	what := fmt.Sprintf("delete server %d", id)
	return Retry(ctx, what, func(ctx context.Context) error {
		res, _, err := c.Server.DeleteWithResult(ctx, &hcloud.Server{ID: id})
		if err != nil {
			return deleted(what, err)
		}
		return Settle(ctx, c, res.Action, what)
	})
}

// WaitServerLabel waits until server id carries the label key=value,
// reading it every interval for at most budget. It is how a rolling apply
// learns that a gateway of an HA pair finished booting (the server labels
// itself, cloudinit.ReadyLabel): Hetzner reports a server running long
// before its cloud-init is done.
func WaitServerLabel(parent context.Context, c *hcloud.Client, id int64, key, value string, budget, interval time.Duration) error {
	gone := false
	err := pollEvery(parent, budget, interval, func(ctx context.Context) (bool, error) {
		srv, err := GetServer(ctx, c, id)
		if err != nil {
			return false, err
		}
		gone = srv == nil
		return gone || srv.Labels[key] == value, nil
	})
	switch {
	case errors.Is(err, errBudget):
		return fmt.Errorf("server %d has no label %s=%s after %s", id, key, value, budget)
	case err == nil && gone:
		return fmt.Errorf("server %d is gone", id)
	}
	return err
}
