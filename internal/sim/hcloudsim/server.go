// Package hcloudsim emulates the part of the Hetzner Cloud API that the
// crosscloud provider and its users' other tooling use: networks, servers,
// primary IPs, Floating IPs, firewalls, placement groups, SSH keys, the
// read-only catalogue and actions. It speaks hcloud-go's schema types on the
// wire, answers in Hetzner's error shape and enforces the validation rules of
// docs/facts/hcloud-rules.md, so the provider's acceptance tests exercise the
// same failure paths as against the real API.
package hcloudsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// maxBody bounds request bodies; the largest legitimate one is a server create
// with 32 KiB of user_data.
const maxBody = 1 << 20

// Server is the emulated Hetzner Cloud API. Mount it with
// http.StripPrefix("/hcloud/v1", s). All state sits behind one mutex, so
// parallel creates from a provider cannot lose updates.
type Server struct {
	env     simenv.Env
	limiter *rateLimiter

	mu sync.Mutex
	st *state
	// running indexes the actions of st that are still running, so that
	// settling and lock checks cost O(running), not O(all actions ever).
	running map[int64]*actionRec
	// capacity is what Hetzner can place right now (capacity.go).
	capacity capacity
	// answered counts the error codes handlers answered, so tests can tell
	// that a client really met a rule (say, a propagation delay) and got past
	// it.
	answered map[string]int
	// realTimeFailover is WithRealTimeFailover (realtime.go).
	realTimeFailover bool
	// queued are events of effects settle applied, sent by flushEvents.
	queued []simenv.Event
}

// New returns an empty Hetzner project that uses env's clock, faults,
// statistics, token and event sink.
func New(env *simenv.Env, opts ...Option) *Server {
	s := &Server{limiter: newRateLimiter(), st: newState(), running: map[int64]*actionRec{}}
	for _, o := range opts {
		o(s)
	}
	if env != nil {
		s.env = *env
	}
	if s.env.Clock == nil {
		s.env.Clock = &simenv.Clock{Scale: 1}
	}
	if s.env.Stats == nil {
		s.env.Stats = &simenv.Stats{}
	}
	return s
}

// call carries one request through a handler. Handlers run with s.mu held;
// they queue events instead of sending them so that the sink is called after
// the lock is released.
type call struct {
	s      *Server
	r      *http.Request
	body   []byte
	now    time.Time
	events []simenv.Event
}

// handlerFunc serves one route: the status and body to send, or an error.
type handlerFunc func(c *call) (int, any, *apiError)

func (c *call) decode(v any) *apiError {
	if len(c.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, v); err != nil {
		return errf("json_error", "request body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

func (c *call) emit(kind string, id int64) {
	c.events = append(c.events, simenv.Event{Kind: kind, ID: strconv.FormatInt(id, 10)})
}

// ServeHTTP answers one API request: token, rate limit and injected faults
// first, then the resource handler under the state lock.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.env.Stats.Request(simenv.CloudHCloud)
	if !s.authorized(r) {
		writeError(w, errf("unauthorized", "unable to authenticate: send the project's API token as 'Authorization: Bearer <token>'"))
		return
	}
	now := s.env.Clock.Now()
	remaining, reset, ok := s.limiter.take(now)
	s.limiter.setHeaders(w.Header(), remaining, reset)
	if !ok {
		s.env.Stats.RateLimited()
		w.Header().Set("Retry-After", "1")
		writeError(w, errf("rate_limit_exceeded", "limit of %d requests per hour reached; one request is added back every second", s.limiter.limit))
		return
	}
	switch s.env.Faults.Request() {
	case simenv.FaultServerError:
		writeError(w, errf("server_error", "injected fault: error within the API backend, please retry"))
		return
	case simenv.FaultRateLimit:
		s.env.Stats.RateLimited()
		w.Header().Set("Retry-After", "1")
		writeError(w, errf("rate_limit_exceeded", "injected fault: rate limit exceeded, retry after 1 second"))
		return
	case simenv.FaultDrop:
		dropConnection(w)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, errf("json_error", "request body unreadable or larger than %d bytes: %v", maxBody, err))
		return
	}
	h, herr := s.route(r.Method, r.URL.Path)
	if herr != nil {
		writeError(w, herr)
		return
	}
	c := &call{s: s, r: r, body: body, now: now}
	s.mu.Lock()
	s.settle(now)
	status, out, aerr := h(c)
	if aerr != nil {
		if s.answered == nil {
			s.answered = map[string]int{}
		}
		s.answered[aerr.Code]++
	}
	s.mu.Unlock()
	s.flushEvents()
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.env.Stats.Mutation()
	}
	if s.env.Events != nil {
		for _, ev := range c.events {
			s.env.Events.Changed(ev)
		}
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return false
	}
	// An Env without a token (unit tests of other packages) accepts any one.
	return s.env.Token == "" || tok == s.env.Token
}

// dropConnection closes the TCP connection without an answer, the way a
// load balancer reset looks to a client.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// Answered reports how many requests the handlers refused with code (after
// authentication, rate limiting and injected request faults).
func (s *Server) Answered(code string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.answered[code]
}
