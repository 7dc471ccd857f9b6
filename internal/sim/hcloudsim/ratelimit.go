package hcloudsim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Hetzner's documented budget: "3600 requests per hour and per Project. The
// number of remaining requests increases gradually ... by 1 every second."
const (
	rateLimitBudget = 3600
	rateLimitRefill = time.Second
)

// rateLimiter is the project's token bucket. It refills by one request per
// second of clock time, NOT scaled by Clock.Scale: -time-scale shortens how
// long clouds take to build things, not how fast a client may talk to the
// API, so a provider that is too chatty still runs into 429 in the emulator
// exactly as it would against api.hetzner.cloud. Time comes from Env.Clock.Now
// so tests can drive it with a fake clock.
type rateLimiter struct {
	mu        sync.Mutex
	limit     int
	remaining int
	last      time.Time // when remaining was last brought up to date
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{limit: rateLimitBudget, remaining: rateLimitBudget}
}

// take spends one request. It reports the budget left after this request,
// the moment the bucket is full again, and whether the request may go on.
func (l *rateLimiter) take(now time.Time) (remaining int, reset time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last.IsZero() {
		l.last = now
	}
	if gained := int(now.Sub(l.last) / rateLimitRefill); gained > 0 {
		l.remaining = min(l.limit, l.remaining+gained)
		l.last = l.last.Add(time.Duration(gained) * rateLimitRefill)
	}
	if l.remaining == l.limit {
		l.last = now
	}
	if l.remaining > 0 {
		l.remaining--
		ok = true
	}
	missing := l.limit - l.remaining
	reset = l.last.Add(time.Duration(missing) * rateLimitRefill)
	return l.remaining, reset, ok
}

func (l *rateLimiter) setHeaders(h http.Header, remaining int, reset time.Time) {
	h.Set("RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
}
