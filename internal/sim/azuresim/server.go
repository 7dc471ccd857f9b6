// Package azuresim emulates the slice of Azure Resource Manager that crosscloud
// uses: resource groups, virtual networks and subnets, public IPs, VPN
// gateways, local network gateways and connections, with ARM's wire format
// (armnetwork/armresources JSON), error shape, long-running operations and the
// VPN gateway rules a real subscription enforces. The provider's acceptance
// tests run against it when no Azure account is configured, so every
// behaviour here is something the provider must cope with in real Azure.
package azuresim

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// SubscriptionID and TenantID are the emulator's defaults; the env file the
// emulator writes hands them to the provider as ARM_SUBSCRIPTION_ID and
// ARM_TENANT_ID.
const (
	SubscriptionID = "00000000-0000-0000-0000-000000000001"
	TenantID       = "00000000-0000-0000-0000-000000000002"
)

// DefaultGatewayCreate is how long a VPN gateway takes to provision in real
// Azure ("45 minutes or more"), before Clock.Scale.
const DefaultGatewayCreate = 45 * time.Minute

// Option changes a Server's defaults.
type Option func(*Server)

// WithSubscription serves another subscription ID (requests for others get
// SubscriptionNotFound), for tests that mimic a user's real subscription.
func WithSubscription(id string) Option { return func(s *Server) { s.sub = id } }

// WithTenant sets the tenant named in 401 challenges.
func WithTenant(id string) Option { return func(s *Server) { s.tenant = id } }

// WithGatewayCreateDuration overrides the 45-minute real-world gateway
// provisioning time (still multiplied by Clock.Scale), for demos that want a
// shorter wait without scaling everything else.
func WithGatewayCreateDuration(d time.Duration) Option {
	return func(s *Server) { s.gatewayCreate = d }
}

// Server is the ARM half of crosscloud-sim. It is safe for concurrent use.
type Server struct {
	env           *simenv.Env
	sub, tenant   string
	gatewayCreate time.Duration

	mu      sync.Mutex
	st      *state
	pending map[string]string // lower target ID -> op ID of the operation in flight
	outbox  []simenv.Event

	drainMu sync.Mutex
}

// New returns an emulator bound to env's clock, faults, stats, token and sinks.
func New(env *simenv.Env, opts ...Option) *Server {
	if env == nil {
		env = &simenv.Env{}
	}
	if env.Stats == nil {
		env.Stats = &simenv.Stats{}
	}
	s := &Server{env: env, sub: SubscriptionID, tenant: TenantID, gatewayCreate: DefaultGatewayCreate}
	for _, o := range opts {
		o(s)
	}
	s.st = newState()
	s.pending = map[string]string{}
	return s
}

// Subscription returns the subscription ID the server answers for.
func (s *Server) Subscription() string { return s.sub }

func (s *Server) now() time.Time { return s.env.Clock.Now() }

// withLock runs fn with the state locked and due operations completed, then
// hands the events fn (or the completions) produced to the sink, outside the
// lock, in commit order.
func (s *Server) withLock(fn func()) {
	s.mu.Lock()
	s.advanceLocked()
	fn()
	s.mu.Unlock()
	s.flush()
}

// emit queues an event; call with s.mu held.
func (s *Server) emit(kind, id string) {
	if s.env.Events != nil {
		s.outbox = append(s.outbox, simenv.Event{Kind: kind, ID: id})
	}
}

// flush delivers queued events. One goroutine drains at a time so the sink
// sees events in commit order; a sink that calls back into the server only
// queues more events, which the same drain loop delivers.
func (s *Server) flush() {
	if s.env.Events == nil {
		return
	}
	for {
		if !s.drainMu.TryLock() {
			return
		}
		for {
			s.mu.Lock()
			evs := s.outbox
			s.outbox = nil
			s.mu.Unlock()
			if len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				s.env.Events.Changed(ev)
			}
		}
		s.drainMu.Unlock()
		s.mu.Lock()
		empty := len(s.outbox) == 0
		s.mu.Unlock()
		if empty {
			return
		}
	}
}

// ServeHTTP answers one ARM request. The process frame mounts it with
// http.StripPrefix("/azure", ...).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.env.Stats.Request(simenv.CloudAzure)
	w.Header().Set("x-ms-request-id", newGUID())
	if !s.authorized(w, r) {
		return
	}
	switch s.env.Faults.Request() {
	case simenv.FaultServerError:
		s.retryAfter(w.Header(), 10*time.Second)
		writeError(w, errInternal())
		return
	case simenv.FaultRateLimit:
		s.env.Stats.RateLimited()
		s.retryAfter(w.Header(), 5*time.Second)
		writeError(w, &armError{Status: http.StatusTooManyRequests, Code: "TooManyRequests",
			Message: "The request is being throttled as the limit has been reached for operation type - Write_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits"})
		return
	case simenv.FaultDrop:
		dropConnection(w)
		return
	}
	s.route(w, r)
}

// authorized enforces the bearer token; it answers 401 itself when it fails.
// The challenge carries no "claims" parameter, so azcore's CAE handling does
// not loop on it.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.env.Token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if ok && tok == s.env.Token {
		return true
	}
	e := &armError{Status: http.StatusUnauthorized, Code: "AuthenticationFailed",
		Message: "Authentication failed. The 'Authorization' header is missing."}
	desc := "The authentication failed because of missing 'Authorization' header."
	if h != "" && !ok {
		e.Message = "Authentication failed. The 'Authorization' header is not a Bearer token."
		desc = "The authentication failed because the 'Authorization' header is not a Bearer token."
	} else if h != "" {
		e.Code, e.Message = "InvalidAuthenticationToken", "The access token is invalid."
		desc = "The access token is invalid."
	}
	w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.microsoftonline.com/`+s.tenant+
		`", error="invalid_token", error_description="`+desc+`"`)
	writeError(w, e)
	return false
}

// Resources lists every live ARM resource for GET /_sim/state.
func (s *Server) Resources() []simenv.Resource {
	var out []simenv.Resource
	add := func(typ string, id, name *string) {
		out = append(out, simenv.Resource{Cloud: simenv.CloudAzure, Type: typ, ID: deref(id), Name: deref(name)})
	}
	s.withLock(func() {
		for _, g := range s.st.Groups {
			add("Microsoft.Resources/resourceGroups", g.ID, g.Name)
		}
		for _, k := range kinds {
			k.resources(s.st, add)
		}
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// group returns the resource group by name (case-insensitive); s.mu held.
func (s *Server) group(name string) *armresources.ResourceGroup {
	return s.st.Groups[strings.ToLower(name)]
}
