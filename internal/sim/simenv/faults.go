package simenv

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Fault is what the emulator does to one request instead of serving it.
type Fault int

// The faults a request can meet. FaultNone serves the request normally.
const (
	FaultNone Fault = iota
	// FaultServerError answers 500 (Hetzner: code "server_error"; ARM:
	// "InternalServerError") without touching state.
	FaultServerError
	// FaultRateLimit answers 429 with Retry-After without touching state.
	FaultRateLimit
	// FaultDrop closes the connection without an answer, before any change.
	FaultDrop
)

// Faults is a seeded, reproducible fault stream: the same spec and the same
// request order give the same faults, so a chaos run that found a bug can be
// replayed.
type Faults struct {
	ErrorRate      float64
	RateLimitRate  float64
	DropRate       float64
	LROFailureRate float64
	// ResourceUnavailableRate and PlacementErrorRate make a Hetzner server
	// create fail for lack of capacity (resource_unavailable, 412, or
	// placement_error, 422); only server creates roll for them.
	ResourceUnavailableRate float64
	PlacementErrorRate      float64
	Seed                    uint64

	mu  sync.Mutex
	rng *rand.Rand
}

// ParseFaults reads the -faults flag, e.g.
// "error_rate=0.1,rate_limit_rate=0.05,drop_rate=0.01,lro_failure_rate=0.02,seed=7"
// (also resource_unavailable_rate and placement_error_rate, for Hetzner
// server creates).
// An empty spec means no faults.
func ParseFaults(spec string) (*Faults, error) {
	f := &Faults{Seed: 1}
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return f, nil
	}
	for _, kv := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return nil, fmt.Errorf("faults: %q is not key=value", kv)
		}
		if k == "seed" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("faults: seed %q: %w", v, err)
			}
			f.Seed = n
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x > 1 {
			return nil, fmt.Errorf("faults: %s=%q must be a probability between 0 and 1", k, v)
		}
		rates := f.rates()
		i := slices.IndexFunc(rates, func(r rate) bool { return r.key == k })
		if i < 0 {
			var keys []string
			for _, r := range rates {
				keys = append(keys, r.key)
			}
			return nil, fmt.Errorf("faults: unknown key %q (%s, seed)", k, strings.Join(keys, ", "))
		}
		*rates[i].p = x
	}
	return f, nil
}

// rate is a -faults key that sets a probability, and the field it sets.
type rate struct {
	key string
	p   *float64
}

// rates are f's probabilities by key, in the order the error for an
// unknown key lists them: one list for parsing and for that message.
func (f *Faults) rates() []rate {
	return []rate{{"error_rate", &f.ErrorRate}, {"rate_limit_rate", &f.RateLimitRate}, {"drop_rate", &f.DropRate},
		{"lro_failure_rate", &f.LROFailureRate}, {"resource_unavailable_rate", &f.ResourceUnavailableRate},
		{"placement_error_rate", &f.PlacementErrorRate}}
}

func (f *Faults) roll() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rng == nil {
		f.rng = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
	return f.rng.Float64()
}

// Request decides the fault for one API request. A nil Faults never faults.
func (f *Faults) Request() Fault {
	if f == nil || f.ErrorRate+f.RateLimitRate+f.DropRate == 0 {
		return FaultNone
	}
	x := f.roll()
	switch {
	case x < f.ErrorRate:
		return FaultServerError
	case x < f.ErrorRate+f.RateLimitRate:
		return FaultRateLimit
	case x < f.ErrorRate+f.RateLimitRate+f.DropRate:
		return FaultDrop
	}
	return FaultNone
}

// FailLRO decides whether one long-running operation (ARM LRO or Hetzner
// action) ends in failure.
func (f *Faults) FailLRO() bool {
	if f == nil || f.LROFailureRate == 0 {
		return false
	}
	return f.roll() < f.LROFailureRate
}

// Capacity decides whether one Hetzner server create fails for lack of
// capacity: "resource_unavailable", "placement_error" or "" (it succeeds).
// A nil Faults, or one without capacity rates, never rolls, so enabling
// these does not change the other faults' sequence unless asked for.
func (f *Faults) Capacity() string {
	if f == nil || f.ResourceUnavailableRate+f.PlacementErrorRate == 0 {
		return ""
	}
	x := f.roll()
	switch {
	case x < f.ResourceUnavailableRate:
		return "resource_unavailable"
	case x < f.ResourceUnavailableRate+f.PlacementErrorRate:
		return "placement_error"
	}
	return ""
}
