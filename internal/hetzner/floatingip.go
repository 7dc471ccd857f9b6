package hetzner

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// Floating IPs are the public endpoint of a gateway pair (issue 15): Azure
// knows one address, the active gateway holds it. Terraform creates it and
// decides where it starts; afterwards the gateways' own failover agent moves
// it, so Observe reports the holder rather than treating a move as drift.

// FloatingIPSpec is the pair's public IPv4.
type FloatingIPSpec struct {
	Name string
	// HomeLocation is where Hetzner routes the address best ("it is advised
	// to use the Floating IP in the same Location it was created in",
	// docs/facts/hetzner.md); the primary gateway's location. It cannot be
	// changed after the create.
	HomeLocation string
	Labels       map[string]string
}

// HomeLocationError says an adopted Floating IP lives elsewhere than the
// spec asks. Hetzner cannot move a Floating IP's home, so the user either
// keeps the old location or lets the link replace the address (which
// changes the Azure side's peer address too).
type HomeLocationError struct {
	Name, Have, Want string
	ID               int64
}

func (e *HomeLocationError) Error() string {
	return fmt.Sprintf("Floating IP %q (id %d) has home location %s, not %s: Hetzner cannot change a Floating IP's home location; "+
		"keep %s or replace the Floating IP", e.Name, e.ID, e.Have, e.Want, e.Have)
}

// EnsureFloatingIP returns the IPv4 Floating IP named spec.Name, creating it
// unassigned in spec.HomeLocation when absent and adopting it when it
// carries our labels. It is created unassigned on purpose: AssignFloatingIP
// says where it goes, so a retried create never assigns it twice.
func EnsureFloatingIP(ctx context.Context, c *hcloud.Client, spec FloatingIPSpec) (*hcloud.FloatingIP, error) {
	what := fmt.Sprintf("Floating IP %q", spec.Name)
	return ensureByName(ctx, what, spec.Name, byName[hcloud.FloatingIP]{
		lookup: c.FloatingIP.GetByName,
		adopt: func(_ context.Context, f *hcloud.FloatingIP) error {
			if err := adopt("Floating IP", spec.Name, f.ID, spec.Labels, f.Labels); err != nil {
				return err
			}
			if f.HomeLocation != nil && f.HomeLocation.Name != spec.HomeLocation {
				return &HomeLocationError{Name: spec.Name, ID: f.ID, Have: f.HomeLocation.Name, Want: spec.HomeLocation}
			}
			return nil
		},
		create: func(ctx context.Context) (*hcloud.FloatingIP, error) {
			res, _, err := c.FloatingIP.Create(ctx, hcloud.FloatingIPCreateOpts{
				Type: hcloud.FloatingIPTypeIPv4, HomeLocation: &hcloud.Location{Name: spec.HomeLocation},
				Name: new(spec.Name), Labels: spec.Labels,
			})
			if err != nil {
				return nil, err
			}
			return res.FloatingIP, Settle(ctx, c, res.Action, what+": create")
		},
	})
}

// FloatingIPState is what Observe reports: the address and who holds it.
type FloatingIPState struct {
	ID   int64
	IP   netip.Addr
	Name string
	// ServerID is the holder; 0 when unassigned.
	ServerID     int64
	HomeLocation string
	Labels       map[string]string
}

// GetFloatingIP reads a Floating IP; (nil, nil) means it is gone.
func GetFloatingIP(ctx context.Context, c *hcloud.Client, id int64) (*FloatingIPState, error) {
	f, err := get(ctx, fmt.Sprintf("read Floating IP %d", id), c.FloatingIP.GetByID, id)
	if err != nil || f == nil {
		return nil, err
	}
	return floatingIPState(f), nil
}

// WaitFloatingIPHolder waits until server holds Floating IP id, reading it
// every interval for at most budget, and returns the holder it last saw
// (0: unassigned). Running out of budget is not an error: the caller
// decides what a failover that did not happen means. It is how a rolling
// apply lets the surviving gateway's agent finish taking over after the
// active server was deleted, instead of racing it (Hetzner unassigns the
// address of a deleted server, docs/facts/hetzner.md).
func WaitFloatingIPHolder(parent context.Context, c *hcloud.Client, id, server int64, budget, interval time.Duration) (int64, error) {
	var holder int64
	gone := false
	err := pollEvery(parent, budget, interval, func(ctx context.Context) (bool, error) {
		st, err := GetFloatingIP(ctx, c, id)
		if err != nil {
			return false, err
		}
		if gone = st == nil; gone {
			return true, nil
		}
		holder = st.ServerID
		return holder == server, nil
	})
	switch {
	case errors.Is(err, errBudget):
		return holder, nil
	case err == nil && gone:
		return 0, fmt.Errorf("Floating IP %d is gone", id)
	}
	return holder, err
}

func floatingIPState(f *hcloud.FloatingIP) *FloatingIPState {
	st := &FloatingIPState{ID: f.ID, Name: f.Name, Labels: f.Labels}
	if a, ok := addrOf(f.IP); ok {
		st.IP = a
	}
	if f.Server != nil {
		st.ServerID = f.Server.ID
	}
	if f.HomeLocation != nil {
		st.HomeLocation = f.HomeLocation.Name
	}
	return st
}

// AssignFloatingIP points the Floating IP at serverID and waits for the
// action. Nothing happens when serverID already holds it, so the step can
// be repeated; from another holder it moves in one call, as the failover
// scripts do (docs/facts/hetzner.md). Each attempt re-reads the holder, so
// an `assign` whose answer was lost is not sent twice.
func AssignFloatingIP(ctx context.Context, c *hcloud.Client, id, serverID int64) error {
	what := fmt.Sprintf("assign Floating IP %d to server %d", id, serverID)
	return Retry(ctx, what, func(ctx context.Context) error {
		f, _, err := c.FloatingIP.GetByID(ctx, id)
		if err != nil {
			return err
		}
		if f == nil {
			return fmt.Errorf("%s: the Floating IP does not exist", what)
		}
		if f.Server != nil && f.Server.ID == serverID {
			return nil
		}
		a, _, err := c.FloatingIP.Assign(ctx, f, &hcloud.Server{ID: serverID})
		if hcloud.IsError(err, hcloud.ErrorCode("floating_ip_assigned")) {
			// Either a concurrent assign to serverID won (then the
			// re-read above ends the next attempt), or Hetzner wants it
			// unassigned first (unverified, hcloud-fip-controller#36).
			if again, _, gerr := c.FloatingIP.GetByID(ctx, id); gerr == nil && again != nil && again.Server != nil && again.Server.ID == serverID {
				return nil
			}
			if err := unassign(ctx, c, f, what); err != nil {
				return err
			}
			a, _, err = c.FloatingIP.Assign(ctx, f, &hcloud.Server{ID: serverID})
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return Settle(ctx, c, a, what)
	})
}

func unassign(ctx context.Context, c *hcloud.Client, f *hcloud.FloatingIP, what string) error {
	a, _, err := c.FloatingIP.Unassign(ctx, f)
	if err != nil {
		return fmt.Errorf("%s: unassign: %w", what, err)
	}
	return Settle(ctx, c, a, what+": unassign")
}

// DeleteFloatingIP unassigns the Floating IP and deletes it; a missing one
// counts as success. Since 2026-05-01 Hetzner refuses to delete an assigned
// Floating IP (`must_be_unassigned`, docs/facts/hetzner.md), so the
// unassign comes first and is repeated when a failover agent reassigned the
// address in between.
func DeleteFloatingIP(ctx context.Context, c *hcloud.Client, id int64) error {
	what := fmt.Sprintf("delete Floating IP %d", id)
	return RetryWith(ctx, what, []RetryOn{{Codes: []hcloud.ErrorCode{"must_be_unassigned"}, Budget: 2 * time.Minute,
		Why: "a gateway's failover agent reassigned it; unassigning again"}}, func(ctx context.Context) error {
		f, _, err := c.FloatingIP.GetByID(ctx, id)
		if err != nil || f == nil {
			return err
		}
		if f.Server != nil {
			if err := unassign(ctx, c, f, what); err != nil {
				return err
			}
		}
		_, err = c.FloatingIP.Delete(ctx, f)
		return deleted(what, err)
	})
}

// MoveRoutes points every destination's network route at gw, one after the
// other (a network action locks the network): EnsureRoute per destination,
// which is delete_route then add_route when the route points elsewhere and
// nothing when it already points at gw. It is the API side of a planned
// switchover; the gateways' failover agent does the same from the server.
func MoveRoutes(ctx context.Context, c *hcloud.Client, networkID int64, dests []netip.Prefix, gw netip.Addr) error {
	for _, d := range dests {
		if err := EnsureRoute(ctx, c, networkID, d, gw); err != nil {
			return err
		}
	}
	return nil
}
