// Package labsync is the reconciler behind crosscloud-sim -lab: it watches
// the emulated Hetzner and Azure APIs and keeps the internal/sim/lab
// topology (network namespaces running real strongSwan, built from lab's
// primitives) in sync with what they describe, so that Azure's
// connectionStatus and byte counters come from a real IKE negotiation
// instead of a rule.
//
// One goroutine reconciles: events from the clouds only wake it, it reads
// the clouds' snapshots, diffs them against what it built and applies the
// difference. Serialising every namespace change on that goroutine keeps the
// lab consistent however requests interleave, and a periodic pass repairs
// anything a failed step or a dead daemon left behind.
package labsync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// DefaultPrefix starts every namespace and directory crosscloud-sim -lab
// creates. It is fixed so that the next start can sweep what a crashed
// emulator left behind.
const DefaultPrefix = "ccsim-"

// resyncEvery is how often the plane reconciles without an event: it
// notices a gateway whose charon died (and restarts it, as systemd's
// Restart=on-abnormal does for strongswan.service) and retries steps that
// failed, such as a network route added before its next hop existed.
const resyncEvery = 2 * time.Second

// Options configures a Plane.
type Options struct {
	// Prefix starts every lab object's name (lab.ValidatePrefix); "" means
	// DefaultPrefix. Tests use their own so parallel runs never sweep each
	// other.
	Prefix string
	// Logger gets one line per lab change; nil discards.
	Logger *slog.Logger
	// CacheDir holds the gateway image and the Debian mirror's cache; ""
	// means lab.CacheDir().
	CacheDir string
	// API is served to the gateways at lab.APIAddr (see HCloudAPI); nil
	// serves nothing there. New sets it to the emulator's Hetzner API.
	API http.Handler
}

// New returns the sim.DataPlaneFunc for cmd/crosscloud-sim and tests. The
// frame hands every data plane its clouds as plain sim.Clouds; this one
// needs them to serve the snapshots above, and says so if they do not.
func New(opts Options) sim.DataPlaneFunc {
	return func(env *simenv.Env, hc, az sim.Cloud) (sim.DataPlane, error) {
		h, ok := hc.(HetznerView)
		if !ok {
			return nil, fmt.Errorf("the lab reads the Hetzner emulator's snapshots (labsync.HetznerView), which %T does not serve", hc)
		}
		a, ok := az.(AzureView)
		if !ok {
			return nil, fmt.Errorf("the lab reads the Azure emulator's snapshots (labsync.AzureView), which %T does not serve", az)
		}
		if opts.API == nil {
			api, err := HCloudAPI(env.BaseURL)
			if err != nil {
				return nil, err
			}
			opts.API = api
		}
		return Start(context.Background(), h, a, opts)
	}
}

// Plane is the running data plane; it implements sim.DataPlane.
type Plane struct {
	hc     HetznerView
	az     AzureView
	prefix string
	log    *slog.Logger
	api    http.Handler // served to the gateways at lab.APIAddr (Options.API)

	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	nudges sync.WaitGroup
	// imaging is prepareImage, started once by image(); Close waits for it.
	imaging   sync.WaitGroup
	imageOnce sync.Once
	loopCtx   context.Context

	// mu guards what ConnectionStatus and ServeHTTP read while the
	// reconciler works; the reconciler holds it only to publish results.
	mu    sync.Mutex
	lab   *lab.Lab
	conns map[string]string // lower-case connection ARM ID -> connection name loaded in the lab
	// errs is the last reconcile's problems, served by GET /status.
	errs []string
	// img is the gateway image once EnsureImage has it; imgErr why not.
	img          *lab.Image
	imgErr       error
	imageStarted bool

	cacheDir string

	// Owned by the reconciler goroutine only.
	built   siteKey
	servers map[string]serverSpec
	hosted  map[string]hostedConn // connection name -> what is loaded
	lastErr string

	// owner holds the prefix while the plane runs (owner.go).
	owner *owner

	closeOnce sync.Once
	closeErr  error
}

// Start sweeps what an earlier run with the same prefix left behind and
// starts the reconciler. The lab itself is built lazily, once an Azure VPN
// gateway and a Hetzner network exist.
func Start(ctx context.Context, hc HetznerView, az AzureView, opts Options) (*Plane, error) {
	if err := Preflight(); err != nil {
		return nil, err
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := lab.ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	own, err := claim(prefix)
	if err != nil {
		return nil, err
	}
	if err := lab.Sweep(ctx, prefix); err != nil {
		own.release()
		return nil, fmt.Errorf("removing what an earlier lab (prefix %q) left behind: %w", prefix, err)
	}
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &Plane{hc: hc, az: az, prefix: prefix, log: logger.With("component", "lab"),
		kick: make(chan struct{}, 1), cancel: cancel, owner: own, done: make(chan struct{}), cacheDir: opts.CacheDir,
		conns: map[string]string{}, servers: map[string]serverSpec{}, hosted: map[string]hostedConn{}, api: opts.API}
	if p.cacheDir == "" {
		p.cacheDir = lab.CacheDir()
	}
	p.loopCtx = loopCtx
	go p.loop(loopCtx)
	p.Kick()
	return p, nil
}

// prepareImage gets the gateway image (building it on a fresh machine)
// in the background, so the APIs keep serving and the reconciler keeps
// going, then wakes the reconciler to boot gateways. It runs once, when the
// first gateway server appears: a lab without one never needs the image.
func (p *Plane) prepareImage(ctx context.Context) {
	defer p.imaging.Done()
	img, err := lab.EnsureImage(ctx, p.cacheDir, func(s string) { p.log.Info(s) })
	p.mu.Lock()
	if err == nil {
		p.img = &img
	} else {
		p.imgErr = err
	}
	p.mu.Unlock()
	if err != nil && ctx.Err() == nil {
		p.log.Error("the lab cannot boot gateway servers without their image", "err", err)
	}
	p.Kick()
}

// image returns the gateway image, or why there is none (yet), starting
// its preparation on first use.
func (p *Plane) image() (*lab.Image, error) {
	p.imageOnce.Do(func() {
		p.mu.Lock()
		p.imageStarted = true
		p.mu.Unlock()
		p.imaging.Add(1)
		go p.prepareImage(p.loopCtx)
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.img == nil && p.imgErr == nil {
		return nil, errors.New("the gateway image is still being prepared (built once per machine, about 3 minutes)")
	}
	return p.img, p.imgErr
}

// Changed wakes the reconciler; it never blocks, because the clouds call it
// from their request paths.
func (p *Plane) Changed(simenv.Event) { p.Kick() }

// Kick asks for a reconcile pass soon.
func (p *Plane) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// loop is the single reconciler goroutine.
func (p *Plane) loop(ctx context.Context) {
	defer close(p.done)
	t := time.NewTicker(resyncEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
			// Let a burst of events (a create touches several resources) settle.
			select {
			case <-time.After(30 * time.Millisecond):
			case <-ctx.Done():
				return
			}
		case <-t.C:
		}
		p.reconcile(ctx)
	}
}

// ConnectionStatus answers Azure's connectionStatus for a connection from
// the Azure gateway's charon: Connected only with an established IKE SA and
// an installed CHILD_SA. A connection the lab does not host (its gateway is
// not the lab's, or it is not loaded yet) has no tunnel: NotConnected.
func (p *Plane) ConnectionStatus(id string) (simenv.ConnectionStatus, bool) {
	p.mu.Lock()
	l, name := p.lab, p.conns[strings.ToLower(id)]
	p.mu.Unlock()
	if l == nil || name == "" {
		return simenv.ConnectionStatus{Status: "NotConnected"}, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tunnels, err := l.AzureTunnels(ctx, name)
	if err != nil {
		p.log.Warn("reading the Azure gateway's IKE state", "connection", name, "err", err)
		return simenv.ConnectionStatus{Status: "NotConnected"}, true
	}
	// The connection is as good as its best tunnel (one instance up still
	// carries the traffic; unverified how Azure words it) and counts both
	// instances' bytes.
	var best lab.SAStatus
	out := simenv.ConnectionStatus{}
	for _, st := range tunnels {
		if connRank(st) > connRank(best) {
			best = st
		}
		out.IngressBytes += st.InBytes
		out.EgressBytes += st.OutBytes
		out.Tunnels = append(out.Tunnels, simenv.TunnelStatus{Status: st.AzureConnectionStatus(), IngressBytes: st.InBytes, EgressBytes: st.OutBytes})
	}
	out.Status = best.AzureConnectionStatus()
	return out, true
}

// connRank orders instance states by Azure's status: Connected, then
// Connecting, then NotConnected.
func connRank(s lab.SAStatus) int {
	switch s.AzureConnectionStatus() {
	case "Connected":
		return 2
	case "Connecting":
		return 1
	}
	return 0
}

// Hosts lists the lab's namespaces (empty until the lab is built).
func (p *Plane) Hosts() []lab.Host {
	p.mu.Lock()
	l := p.lab
	p.mu.Unlock()
	if l == nil {
		return []lab.Host{}
	}
	return l.Hosts()
}

// Lab returns the built lab, or nil before an Azure gateway and a Hetzner
// network exist; tests and the demo use it to run commands in namespaces.
func (p *Plane) Lab() *lab.Lab {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lab
}

// ServeHTTP serves /_sim/lab/: GET /hosts lists every namespace (a gateway
// with its boot: state, cloud_init, failed_units), GET /status adds whether
// the lab is built, its gateway image and the last reconcile's problems.
func (p *Plane) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "the lab endpoints are read-only: use GET", http.StatusMethodNotAllowed)
		return
	}
	var body any
	switch r.URL.Path {
	case "/hosts":
		body = p.Hosts()
	case "/status":
		p.mu.Lock()
		img := "not needed yet"
		switch {
		case p.imageStarted && p.img == nil && p.imgErr == nil:
			img = "preparing"
		case p.img != nil:
			img = p.img.Name
		case p.imgErr != nil:
			img = "error: " + p.imgErr.Error()
		}
		body = map[string]any{"built": p.lab != nil, "prefix": p.prefix, "gateway_image": img, "errors": append([]string{}, p.errs...)}
		p.mu.Unlock()
	default:
		http.Error(w, "unknown lab endpoint "+r.URL.Path+"; use GET /_sim/lab/hosts or /_sim/lab/status", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// Close stops the reconciler and removes everything the lab made (every
// namespace and directory with the prefix). Safe to call twice.
func (p *Plane) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		<-p.done
		p.nudges.Wait()
		p.imaging.Wait()
		p.mu.Lock()
		l := p.lab
		p.lab, p.conns = nil, map[string]string{}
		p.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var errs []error
		if l != nil {
			errs = append(errs, l.Close(ctx))
		}
		errs = append(errs, lab.Sweep(ctx, p.prefix))
		p.owner.release()
		p.closeErr = errors.Join(errs...)
	})
	return p.closeErr
}
