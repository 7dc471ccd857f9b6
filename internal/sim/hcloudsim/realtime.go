package hcloudsim

import (
	"slices"
	"strconv"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// Option configures a Server at New.
type Option func(*Server)

// WithRealTimeFailover makes the actions a gateway failover waits for
// (failoverCommands) take their real-world durations, unscaled, while
// everything else stays on the -time-scale clock, and makes their effect
// land when the action finishes, not when it is requested. A failover
// measured against the scaled emulator is otherwise too optimistic by
// exactly the API's share of it (issue 15: `make bench`'s
// failover_seconds). That the effect of an action shows only once it has
// finished is what hcloud-go's `WaitFor` and every failover script assume;
// the real API's exact moment within the action is not documented
// (docs/facts/hetzner.md, "Floating IP failover", unverified).
func WithRealTimeFailover() Option { return func(s *Server) { s.realTimeFailover = true } }

// failoverCommands are the actions a failover agent makes: moving the
// Floating IP and the network routes to the new active gateway.
var failoverCommands = []string{"assign_floating_ip", "unassign_floating_ip", "add_route", "delete_route"}

// FailoverCommands are the actions WithRealTimeFailover runs at real-world
// speed, for tools that report how long each took in real-world terms.
func FailoverCommands() []string { return slices.Clone(failoverCommands) }

// realTime reports whether command runs at real-world speed with a
// deferred effect.
func (s *Server) realTime(command string) bool {
	return s.realTimeFailover && slices.Contains(failoverCommands, command)
}

// effectRec is the change a real-time action makes when it finishes. It is
// plain data, saved with the action, so a restarted emulator still applies
// it.
type effectRec struct {
	// FloatingIP is the address whose holder becomes Server (nil: none).
	FloatingIP int64  `json:"floating_ip,omitempty"`
	Server     *int64 `json:"server,omitempty"`
	// Network is the network whose routes become Routes. The action locks
	// the network, so nothing else changes its routes in between.
	Network int64                 `json:"network,omitempty"`
	Routes  []schema.NetworkRoute `json:"routes,omitempty"`
}

// deferEffect records e as a's effect and arranges for it to land at a's finish
// even if no client asks (a failover script does not wait for its assign).
func (c *call) deferEffect(a *actionRec, e effectRec) {
	a.Effect = &e
	c.s.wakeAt(a.FinishAt)
}

// wakeAt settles the project once the clock has reached t and tells the
// event sink what changed: the lab moves the Floating IP's traffic then.
func (s *Server) wakeAt(t time.Time) {
	d := max(t.Sub(s.env.Clock.Now()), 0) + time.Millisecond
	time.AfterFunc(d, func() {
		s.mu.Lock()
		s.settle(s.env.Clock.Now())
		s.mu.Unlock()
		s.flushEvents()
	})
}

// applyEffect makes a finished real-time action's change, queueing the
// events its immediate counterpart emits. Resources deleted in between are
// skipped: there is nothing left to change.
func (s *Server) applyEffect(e *effectRec) {
	emit := func(kind string, id int64) {
		s.queued = append(s.queued, simenv.Event{Kind: kind, ID: strconv.FormatInt(id, 10)})
	}
	if f, ok := s.st.FloatingIPs[e.FloatingIP]; ok && e.FloatingIP != 0 {
		if e.Server != nil {
			if _, ok := s.st.Servers[*e.Server]; !ok {
				return
			}
		}
		if f.Server != nil {
			emit("hcloud.server.updated", *f.Server)
		}
		f.Server = e.Server
		emit("hcloud.floating_ip.updated", f.ID)
		if e.Server != nil {
			emit("hcloud.server.updated", *e.Server)
		}
	}
	if n, ok := s.st.Networks[e.Network]; ok && e.Network != 0 {
		n.Routes = slices.Clone(e.Routes)
		emit("hcloud.network.updated", n.ID)
	}
}

// flushEvents sends the events settle queued, outside s.mu as EventSink
// requires.
func (s *Server) flushEvents() {
	s.mu.Lock()
	evs := s.queued
	s.queued = nil
	s.mu.Unlock()
	if s.env.Events == nil {
		return
	}
	for _, ev := range evs {
		s.env.Events.Changed(ev)
	}
}
