// Package simenv holds what both emulated clouds share: scaled time, seeded
// faults, request statistics and the list of live resources. The Hetzner and
// Azure emulators each take one Env, so a single crosscloud-sim process has one
// clock, one fault stream and one set of counters, as DESIGN.md, "Contracts", requires.
package simenv

import (
	"sync"
	"sync/atomic"
	"time"
)

// Cloud names used in /_sim/state and /_sim/stats.
const (
	CloudHCloud = "hcloud"
	CloudAzure  = "azure"
)

// Clock scales the durations the real clouds take, so tests can run a 45-minute
// gateway in 45 ms while the emulator keeps the real relative timings.
type Clock struct {
	// Scale multiplies every real-world duration (1.0 = real time).
	Scale float64
	// NowFunc replaces time.Now in tests; nil means time.Now.
	NowFunc func() time.Time
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	if c == nil || c.NowFunc == nil {
		return time.Now()
	}
	return c.NowFunc()
}

// Scaled converts a real-world duration into emulator time.
func (c *Clock) Scaled(d time.Duration) time.Duration {
	if c == nil || c.Scale <= 0 {
		return d
	}
	return time.Duration(float64(d) * c.Scale)
}

// Resource is one live emulated resource, as listed by GET /_sim/state.
type Resource struct {
	Cloud string `json:"cloud"`
	Type  string `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name"`
}

// Operation is one piece of cloud-side work an emulated cloud ran, as listed
// by GET /_sim/operations: an ARM long-running operation or a Hetzner
// action, with the time it made clients wait. It exists so that the bench
// and the harness measure what the emulator did (and how long each step
// took) through the emulator's public surface, not its state file, whose
// format each cloud keeps to itself.
type Operation struct {
	Cloud string `json:"cloud"` // CloudHCloud or CloudAzure
	// ID is the cloud's own ID: the ARM operation GUID of the polling
	// URLs, or the Hetzner action ID.
	ID string `json:"id"`
	// Kind names the work: the Azure operation kind ("put", "delete",
	// "setSharedKey", ...; "subnetSettle" and "keySettle" are internal
	// ones no client polls) or the Hetzner action command ("create_server").
	Kind string `json:"kind"`
	// Target is what it changes: the ARM resource ID as ARM spells it, or
	// Hetzner's action resources as "type/id", comma-separated.
	Target string `json:"target"`
	// Start is when the cloud accepted the work; End is when it finishes
	// (in the future while it runs), both on the emulator's clock.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Running is true until End has passed and the cloud has settled it.
	Running bool `json:"running"`
	// Failed says the work fails, or failed: the emulator decides an
	// outcome when the work starts (faults' lro_failure_rate, a conflict
	// with a serialized sibling) and reports it here from the start.
	Failed bool `json:"failed"`
}

// Stats counts requests; the benchmarks and the bad-input catalogue read it
// to prove how many calls an operation made and that invalid input mutated
// nothing.
type Stats struct {
	requests    atomic.Int64
	mutations   atomic.Int64
	rateLimited atomic.Int64
	mu          sync.Mutex
	byCloud     map[string]int64
}

// StatsSnapshot is the JSON body of GET /_sim/stats.
type StatsSnapshot struct {
	RequestsTotal    int64            `json:"requests_total"`
	MutationsTotal   int64            `json:"mutations_total"`
	RequestsByCloud  map[string]int64 `json:"requests_by_cloud"`
	RateLimitedTotal int64            `json:"rate_limited_total"`
}

// Request records one request to cloud; mutating is true for anything but
// GET/HEAD that was accepted (not refused by auth, faults or validation is
// decided by the caller via Mutation).
func (s *Stats) Request(cloud string) {
	s.requests.Add(1)
	s.mu.Lock()
	if s.byCloud == nil {
		s.byCloud = map[string]int64{}
	}
	s.byCloud[cloud]++
	s.mu.Unlock()
}

// Mutation records that a request changed emulator state.
func (s *Stats) Mutation() { s.mutations.Add(1) }

// RateLimited records a 429 answer.
func (s *Stats) RateLimited() { s.rateLimited.Add(1) }

// Snapshot returns a copy of the counters.
func (s *Stats) Snapshot() StatsSnapshot {
	s.mu.Lock()
	by := map[string]int64{CloudHCloud: 0, CloudAzure: 0}
	for k, v := range s.byCloud {
		by[k] = v
	}
	s.mu.Unlock()
	return StatsSnapshot{
		RequestsTotal:    s.requests.Load(),
		MutationsTotal:   s.mutations.Load(),
		RequestsByCloud:  by,
		RateLimitedTotal: s.rateLimited.Load(),
	}
}

// Env is everything a cloud emulator gets from the process that hosts it.
type Env struct {
	Clock  *Clock
	Faults *Faults
	Stats  *Stats
	// BaseURL is the absolute URL of the emulator root (e.g.
	// "http://127.0.0.1:8080"); ARM needs absolute Azure-AsyncOperation and
	// Location URLs.
	BaseURL string
	// Token is the bearer token every request must carry (401 otherwise).
	Token string
	// Events, when set, is told about changes the data plane (the lab) acts on.
	Events EventSink
	// Status, when set, answers connection status from a real IKE daemon
	// instead of the API-only rule.
	Status ConnectionStatusSource
}

// EventSink receives emulator changes that have a data-plane meaning. The lab
// implements it; API-only mode leaves it nil. Calls are made after the change
// is committed and outside the emulator's locks.
type EventSink interface {
	Changed(ev Event)
}

// Event describes one change; Kind is e.g. "hcloud.server.created",
// "hcloud.network.updated", "azure.connection.updated", "azure.connection.deleted".
// ID is the resource ID (Hetzner numeric as decimal string, ARM ID for Azure).
type Event struct {
	Kind string
	ID   string
}

// ConnectionStatus is what Azure reports for a connection.
type ConnectionStatus struct {
	Status       string // Unknown, Connecting, Connected, NotConnected
	IngressBytes int64
	EgressBytes  int64
	// Tunnels is one entry per gateway instance, first instance first,
	// when the source knows each (the lab runs a charon per instance of an
	// active-active gateway); nil means no per-instance answer.
	Tunnels []TunnelStatus
}

// TunnelStatus is one gateway instance's tunnel of a connection.
type TunnelStatus struct {
	Status       string
	IngressBytes int64
	EgressBytes  int64
}

// ConnectionStatusSource lets the lab answer connectionStatus from strongSwan.
// ok=false means "no opinion", and the emulator falls back to its API-only rule.
type ConnectionStatusSource interface {
	ConnectionStatus(connectionID string) (st ConnectionStatus, ok bool)
}
