// Package sim is the process frame of crosscloud-sim: it puts the emulated
// Hetzner Cloud API (/hcloud/v1/) and Azure Resource Manager (/azure/) behind
// one loopback address, next to the emulator's own endpoints (/_sim/), and
// owns what belongs to the process rather than to one cloud: the listener,
// the bearer token, the env file, the state file and shutdown.
//
// The clouds are passed in as constructors so that this package does not
// depend on them (and can be tested with fakes); cmd/crosscloud-sim and
// internal/sim/simtest wire the real ones.
package sim

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// Cloud is one emulated cloud API as the frame sees it. The frame routes to
// it with the cloud's prefix stripped, lists its resources for /_sim/state
// and the work it ran for /_sim/operations, and saves and restores it for
// -state-file (in a format only the cloud reads). A Cloud authenticates and
// counts its own requests (simenv.Env.Token, simenv.Env.Stats), in its own
// wire format; the frame does neither, so nothing is counted twice.
type Cloud interface {
	http.Handler
	Resources() []simenv.Resource
	Operations() []simenv.Operation
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

// CloudFunc builds a Cloud on the shared environment. The frame calls it once,
// in Start, after it listens: every Env field (BaseURL, Token, Events,
// Status) is final by then, so a Cloud may keep a copy of the Env.
type CloudFunc func(env *simenv.Env) Cloud

// DataPlane is the hook for -lab: it turns emulated resources into network
// namespaces running strongSwan. It learns about changes as a
// simenv.EventSink, answers Azure connectionStatus from the real IKE state
// as a simenv.ConnectionStatusSource, serves /_sim/lab/ (with that prefix
// stripped, e.g. GET /hosts) and tears everything down on Close.
type DataPlane interface {
	simenv.EventSink
	simenv.ConnectionStatusSource
	http.Handler
	Close() error
}

// DataPlaneFunc builds the data plane once both clouds exist, so it can read
// what it needs from them (server user_data, gateway settings).
type DataPlaneFunc func(env *simenv.Env, hcloud, azure Cloud) (DataPlane, error)

// Options configures one emulator process; cmd/crosscloud-sim fills it from
// its flags and simtest from its options.
type Options struct {
	// Addr is the loopback host:port to listen on; port 0 picks a free one.
	// Empty means "127.0.0.1:0". Non-loopback addresses are refused: the
	// emulator speaks plain HTTP and has no real authentication.
	Addr string
	// TimeScale multiplies every real-world duration; 0 means 1.0.
	TimeScale float64
	// Faults is the -faults spec (simenv.ParseFaults); empty means none.
	Faults string
	// EnvFile, when set, receives `export` lines with every setting the
	// provider needs once the emulator listens (mode 0600).
	EnvFile string
	// StateFile, when set, is loaded at start if it exists and rewritten
	// shortly after every mutating request and on Close.
	StateFile string
	// SubscriptionID and TenantID are the Azure IDs the Azure emulator
	// serves; they go into the env file (ARM_SUBSCRIPTION_ID, ARM_TENANT_ID).
	SubscriptionID string
	TenantID       string
	// Lab asks for the data plane; it needs NewDataPlane.
	Lab bool
	// NewDataPlane builds the data plane when Lab is set.
	NewDataPlane DataPlaneFunc
	// Logger receives start-up information and errors; request lines are
	// logged at Debug level (crosscloud-sim -v). Nil discards everything.
	// The token is never logged.
	Logger *slog.Logger
	// PersistDelay is how long state-file writes are debounced after a
	// mutating request; 0 means 200ms.
	PersistDelay time.Duration
}

// Sim is one running emulator: both clouds behind one HTTP server.
type Sim struct {
	opts    Options
	env     *simenv.Env
	hcloud  Cloud
	azure   Cloud
	dp      DataPlane
	log     *slog.Logger
	persist *persister
	handler http.Handler
	lab     *labSink // nil unless Options.Lab

	newHCloud, newAzure CloudFunc

	srv       *http.Server
	url       string
	served    chan struct{}
	serveErr  error
	closeOnce sync.Once
	closeErr  error
}

// New validates opts and prepares the shared environment: clock, faults,
// counters and a fresh token. It does no I/O; Start listens, builds the
// clouds and loads the state file.
func New(opts Options, newHCloud, newAzure CloudFunc) (*Sim, error) {
	if newHCloud == nil || newAzure == nil {
		return nil, errors.New("sim.New: both cloud constructors are required")
	}
	if opts.SubscriptionID == "" || opts.TenantID == "" {
		return nil, errors.New("sim.New: Options.SubscriptionID and Options.TenantID are required (use the Azure emulator's constants)")
	}
	if opts.TimeScale == 0 {
		opts.TimeScale = 1
	}
	if opts.TimeScale < 0 || math.IsNaN(opts.TimeScale) || math.IsInf(opts.TimeScale, 0) {
		return nil, fmt.Errorf("time scale %v: must be a positive number (1.0 = real cloud timings, 0.001 = a 45-minute gateway in 2.7s)", opts.TimeScale)
	}
	faults, err := simenv.ParseFaults(opts.Faults)
	if err != nil {
		return nil, fmt.Errorf("-faults: %w", err)
	}
	if opts.Lab && opts.NewDataPlane == nil {
		return nil, errors.New("-lab: lab mode is not built yet: this build has no data plane; run without -lab for the API-only emulator")
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Sim{
		opts:      opts,
		log:       logger,
		newHCloud: newHCloud,
		newAzure:  newAzure,
		env: &simenv.Env{
			Clock:  &simenv.Clock{Scale: opts.TimeScale},
			Faults: faults,
			Stats:  &simenv.Stats{},
			Token:  token,
		},
		served: make(chan struct{}),
	}
	if opts.Lab {
		s.lab = &labSink{}
		s.env.Events = s.lab
		s.env.Status = s.lab
	}
	return s, nil
}

// build constructs the clouds on the now complete Env (clouds may copy it),
// restores the state file and builds the data plane, which reads the clouds.
func (s *Sim) build() error {
	s.hcloud = s.newHCloud(s.env)
	s.azure = s.newAzure(s.env)
	if s.opts.StateFile != "" {
		if err := loadState(s.opts.StateFile, s.hcloud, s.azure); err != nil {
			return err
		}
		s.persist = newPersister(s.opts.StateFile, s.opts.PersistDelay, s.marshalState, s.log)
	}
	if s.opts.Lab {
		dp, err := s.opts.NewDataPlane(s.env, s.hcloud, s.azure)
		if err != nil {
			return fmt.Errorf("-lab: %w", err)
		}
		s.dp = dp
		s.lab.set(dp)
	}
	s.handler = s.routes()
	return nil
}

// labSink is what the clouds get as Env.Events and Env.Status in lab mode.
// The data plane can only be built after the clouds, so the clouds get this
// forwarder at construction and it starts forwarding once the data plane
// exists, before the first request.
type labSink struct{ dp atomic.Pointer[DataPlane] }

func (l *labSink) set(dp DataPlane) { l.dp.Store(&dp) }

// Changed forwards to the data plane.
func (l *labSink) Changed(ev simenv.Event) {
	if dp := l.dp.Load(); dp != nil {
		(*dp).Changed(ev)
	}
}

// ConnectionStatus asks the data plane; no data plane means no opinion.
func (l *labSink) ConnectionStatus(id string) (simenv.ConnectionStatus, bool) {
	if dp := l.dp.Load(); dp != nil {
		return (*dp).ConnectionStatus(id)
	}
	return simenv.ConnectionStatus{}, false
}

// newToken returns 32 random bytes as hex: what both emulated clouds accept
// as bearer token for this process's lifetime.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating the API token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Start listens on Options.Addr, fixes the base URL the clouds put into
// absolute links, builds the clouds, restores the state file, writes the env
// file and serves in the background until Close. ctx bounds only the
// start-up. Call it once.
func (s *Sim) Start(ctx context.Context) (err error) {
	addr := s.opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", addr, err)
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return fmt.Errorf("-addr %s: not a loopback address; the emulator serves plain HTTP and only listens on 127.0.0.1 or [::1]", addr)
	}
	defer func() {
		if err != nil {
			_ = ln.Close()
			if s.dp != nil {
				_ = s.dp.Close()
				s.dp = nil
			}
		}
	}()
	s.url = "http://" + ln.Addr().String()
	s.env.BaseURL = s.url
	if err := s.build(); err != nil {
		return err
	}
	if s.opts.EnvFile != "" {
		if err := writeEnvFile(s.opts.EnvFile, s.Env()); err != nil {
			return err
		}
	}
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.persist != nil {
		s.persist.start()
	}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
			s.log.Error("serving stopped", "err", err)
		}
	}()
	s.log.Info("crosscloud-sim listening", "url", s.url, "env_file", s.opts.EnvFile,
		"state_file", s.opts.StateFile, "time_scale", s.opts.TimeScale, "lab", s.opts.Lab)
	return nil
}

// URL is the emulator root, e.g. "http://127.0.0.1:41234"; empty before Start.
func (s *Sim) URL() string { return s.url }

// Done is closed when the server stops serving, after Close or because the
// listener failed; Err then says why.
func (s *Sim) Done() <-chan struct{} { return s.served }

// Err is the serving error once Done is closed (nil after a normal Close).
func (s *Sim) Err() error {
	select {
	case <-s.served:
		return s.serveErr
	default:
		return nil
	}
}

// Handler is the full frame (routing, /_sim/, state persistence, request
// logging) for in-process use and benchmarks; valid after Start.
func (s *Sim) Handler() http.Handler { return s.handler }

// Close stops accepting requests, lets running ones finish (up to 10s),
// writes the state file a last time and stops the data plane. It removes
// nothing else: the env file and the state file stay. Safe to call twice.
func (s *Sim) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("shutting down the HTTP server: %w", err))
				_ = s.srv.Close()
			}
			cancel()
			<-s.served
		}
		if s.persist != nil {
			errs = append(errs, s.persist.stop())
		}
		if s.dp != nil {
			if err := s.dp.Close(); err != nil {
				errs = append(errs, fmt.Errorf("stopping the lab data plane: %w", err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
