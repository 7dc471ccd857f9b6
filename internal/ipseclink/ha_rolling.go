package ipseclink

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// Rolling replacement of an HA pair. A change baked into the servers
// (policy, key, server_type, image, SSH keys, token version) replaces
// both. Replaced together, the link would be down as long as with one
// server; so the passive server (the one not holding the Floating IP) is
// replaced first, and the active one only once the new passive server has
// reported ready (cloudinit.ReadyLabel: keepalived runs, it can take
// over). Deleting the active server then is the failover: the other's
// keepalived misses three adverts and claims the address and the routes,
// and the apply waits for that claim (haRoutes) rather than racing it.
// The tunnel is down for one failover. When neither holds the address
// there is no tunnel to keep, and both are replaced at once.

// Roles of the pair's servers, an index into pairRoll.
const (
	rolePrimary = iota
	roleStandby
)

// Bounds of the wait for the replaced passive server. A real boot installs
// strongSwan and keepalived first: minutes (the lab boots in about a
// minute from a local mirror, docs/facts/strongswan-and-lab.md).
// readyBudget is atomic because tests shorten it while other links run.
var (
	readyBudget   atomic.Int64 // a time.Duration
	readyInterval = 2 * time.Second
)

func init() { readyBudget.Store(int64(15 * time.Minute)) }

// pairRoll orders a roll: each role's ensureGateway reports its outcome
// once, whatever it was; the active server waits for the other's. The
// Azure connection takes a new policy or key after the new passive server
// is ready and before the active one goes, so the tunnel is down for
// Azure's update and one failover, not for the passive server's boot too.
// All waits end when the graph's context is cancelled, which errgroup does
// on any step's failure.
type pairRoll struct {
	done [2]chan struct{}
	// settled closes when both roles are done; passiveReady when the
	// active one found the new passive server ready; connDone when the
	// connection step returned.
	settled, passiveReady, connDone chan struct{}
	readyOnce, connOnce             sync.Once

	mu  sync.Mutex
	id  [2]int64
	err [2]error
	// takeover is the server expected to claim the Floating IP: set when
	// the active server is about to be deleted (beforeReplace).
	takeover int64
}

// takeoverID is the server that is taking over from the deleted active
// one, or 0 when this apply deleted no active server (pr may be nil).
func (pr *pairRoll) takeoverID() int64 {
	if pr == nil {
		return 0
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.takeover
}

func newPairRoll() *pairRoll {
	return &pairRoll{done: [2]chan struct{}{make(chan struct{}), make(chan struct{})},
		settled: make(chan struct{}), passiveReady: make(chan struct{}), connDone: make(chan struct{})}
}

// beforeConnection holds the connection step until the roll allows it:
// the new passive server is ready, or the servers need no roll.
func (pr *pairRoll) beforeConnection(ctx context.Context) error {
	select {
	case <-pr.passiveReady:
	case <-pr.settled:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// connectionDone lets the active server go.
func (pr *pairRoll) connectionDone() { pr.connOnce.Do(func() { close(pr.connDone) }) }

// finish records a role's outcome; only the first call counts.
func (pr *pairRoll) finish(role int, id int64, err error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	select {
	case <-pr.done[role]:
		return
	default:
	}
	pr.id[role], pr.err[role] = id, err
	close(pr.done[role])
	select {
	case <-pr.done[1-role]:
		close(pr.settled)
	default:
	}
}

// wait returns the role's outcome once it has one.
func (pr *pairRoll) wait(ctx context.Context, role int) (int64, error) {
	select {
	case <-pr.done[role]:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return pr.id[role], pr.err[role]
}

// beforeReplace runs before a pair's server is replaced: the passive one
// goes at once; the active one waits until the other server is rebuilt
// (if it had to be) and ready to take over. On any doubt it refuses, so
// the tunnel stays up on the old configuration and the next apply tries
// again.
func (r *linkRun) beforeReplace(ctx context.Context, g gatewayRole, id int64) error {
	if r.s.Hetzner.HA == nil || r.fip == nil || r.roll == nil {
		return nil
	}
	st, err := hetzner.GetFloatingIP(ctx, r.c.hc, r.fip.ID)
	if err != nil {
		return err
	}
	if st == nil || st.ServerID != id {
		return nil
	}
	other := 1 - g.role
	tflog.Info(ctx, "rolling the HA pair: the active server waits for the other one", map[string]any{"active_server": id})
	otherID, err := r.roll.wait(ctx, other)
	if err != nil {
		return fmt.Errorf("server %q (%d) holds the Floating IP and was not replaced, so the tunnel stays up on the old configuration: the other server failed: %w", g.name, id, err)
	}
	if otherID == 0 {
		return fmt.Errorf("server %q (%d) holds the Floating IP and was not replaced: the other server does not exist", g.name, id)
	}
	tflog.Info(ctx, "rolling the HA pair: waiting for the other server to report ready", map[string]any{"server": otherID, "label": cloudinit.ReadyLabel})
	if err := hetzner.WaitServerLabel(ctx, r.c.hc, otherID, cloudinit.ReadyLabel, "true", time.Duration(readyBudget.Load()), readyInterval); err != nil {
		return fmt.Errorf("server %q (%d) holds the Floating IP and was not replaced, so the tunnel stays up on the old configuration: "+
			"the other gateway server has not reported ready (%w). Look at its cloud-init and keepalived (journalctl -t crosscloud-failover), then apply again",
			g.name, id, err)
	}
	r.roll.readyOnce.Do(func() { close(r.roll.passiveReady) })
	tflog.Info(ctx, "rolling the HA pair: waiting for the Azure connection to take the new configuration", map[string]any{"active_server": id})
	select {
	case <-r.roll.connDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	r.roll.mu.Lock()
	r.roll.takeover = otherID
	r.roll.mu.Unlock()
	return nil
}
