package hcloudsim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

const testToken = "test-token"

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// recorder is an EventSink that remembers events.
type recorder struct {
	mu     sync.Mutex
	events []simenv.Event
}

func (r *recorder) Changed(ev simenv.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Kind+":"+e.ID)
	}
	return out
}

type fixture struct {
	sim    *Server
	env    *simenv.Env
	client *hcloud.Client
	url    string
	events *recorder
}

type option func(*simenv.Env)

func withClock(fc *fakeClock) option {
	return func(e *simenv.Env) { e.Clock.NowFunc = fc.now }
}

func withFaults(spec string) option {
	return func(e *simenv.Env) {
		f, err := simenv.ParseFaults(spec)
		if err != nil {
			panic(err)
		}
		e.Faults = f
	}
}

// newFixture mounts the emulator the way crosscloud-sim does and returns a
// real hcloud-go client for it, polling every millisecond and never retrying.
func newFixture(t testing.TB, opts ...option) *fixture {
	t.Helper()
	rec := &recorder{}
	env := &simenv.Env{Clock: &simenv.Clock{Scale: 0.0001}, Stats: &simenv.Stats{}, Token: testToken, Events: rec}
	for _, o := range opts {
		o(env)
	}
	sim := New(env)
	mux := http.NewServeMux()
	mux.Handle("/hcloud/v1/", http.StripPrefix("/hcloud/v1", sim))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	url := ts.URL + "/hcloud/v1"
	return &fixture{sim: sim, env: env, url: url, events: rec, client: newClient(url, testToken)}
}

func newClient(url, token string) *hcloud.Client {
	return hcloud.NewClient(
		hcloud.WithEndpoint(url), hcloud.WithToken(token),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(time.Millisecond)}),
		hcloud.WithRetryOpts(hcloud.RetryOpts{MaxRetries: 0}),
	)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func cidr(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

// mustNetwork creates a network with one cloud subnet per given range in
// eu-central.
func (f *fixture) mustNetwork(t testing.TB, name, rng string, subnets ...string) *hcloud.Network {
	t.Helper()
	opts := hcloud.NetworkCreateOpts{Name: name, IPRange: cidr(rng)}
	for _, s := range subnets {
		opts.Subnets = append(opts.Subnets, hcloud.NetworkSubnet{Type: hcloud.NetworkSubnetTypeCloud, IPRange: cidr(s), NetworkZone: hcloud.NetworkZoneEUCentral})
	}
	n, _, err := f.client.Network.Create(ctx(t), opts)
	if err != nil {
		t.Fatalf("create network %s: %v", name, err)
	}
	return n
}

// mustServer creates a server in nbg1 and waits for its create action.
func (f *fixture) mustServer(t testing.TB, opts hcloud.ServerCreateOpts) *hcloud.Server {
	t.Helper()
	if opts.ServerType == nil {
		opts.ServerType = &hcloud.ServerType{Name: "cx23"}
	}
	if opts.Image == nil {
		opts.Image = &hcloud.Image{Name: "debian-12"}
	}
	if opts.Location == nil {
		opts.Location = &hcloud.Location{Name: "nbg1"}
	}
	res, _, err := f.client.Server.Create(ctx(t), opts)
	if err != nil {
		t.Fatalf("create server %s: %v", opts.Name, err)
	}
	if err := f.client.Action.WaitFor(ctx(t), append([]*hcloud.Action{res.Action}, res.NextActions...)...); err != nil {
		t.Fatalf("server %s create action: %v", opts.Name, err)
	}
	s, _, err := f.client.Server.GetByID(ctx(t), res.Server.ID)
	if err != nil || s == nil {
		t.Fatalf("get server %d: %v", res.Server.ID, err)
	}
	return s
}

// wantCode fails unless err is an hcloud API error with that code.
func wantCode(t testing.TB, err error, code hcloud.ErrorCode) hcloud.Error {
	t.Helper()
	var he hcloud.Error
	if !errors.As(err, &he) || he.Code != code {
		t.Fatalf("want API error %q, got %v", code, err)
	}
	return he
}

// wantField fails unless err is invalid_input naming field.
func wantField(t testing.TB, err error, field string) {
	t.Helper()
	he := wantCode(t, err, hcloud.ErrorCodeInvalidInput)
	d, ok := he.Details.(hcloud.ErrorDetailsInvalidInput)
	if !ok || len(d.Fields) == 0 {
		t.Fatalf("invalid_input without details.fields: %v", err)
	}
	if d.Fields[0].Name != field {
		t.Fatalf("invalid_input names field %q, want %q (%v)", d.Fields[0].Name, field, err)
	}
}

func snapshotNetwork(t testing.TB, s *Server, id int64) schema.Network {
	t.Helper()
	n, ok := s.Network(id)
	if !ok {
		t.Fatalf("network %d missing", id)
	}
	return n
}

// waited is the outcome of a request that answers with an action: the
// request's error, else the action's once it has finished.
func (f *fixture) waited(t testing.TB, a *hcloud.Action, err error) error {
	if err != nil {
		return err
	}
	return f.client.Action.WaitFor(ctx(t), a)
}

// mustWait fails unless such a request and its action both succeeded.
func (f *fixture) mustWait(t testing.TB, what string, a *hcloud.Action, err error) {
	t.Helper()
	if err := f.waited(t, a, err); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// codeCase is a request that must be refused with code.
type codeCase struct {
	name string
	err  func() error
	code hcloud.ErrorCode
}

// wantCodes runs each case as a subtest (wantCode).
func wantCodes(t *testing.T, cases []codeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.err(), tc.code) })
	}
}

// restore loads the project saved from src into f's emulator, as a restart
// with -state-file does.
func (f *fixture) restore(t testing.TB, src *Server) {
	t.Helper()
	data, err := src.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sim.UnmarshalState(data); err != nil {
		t.Fatal(err)
	}
}

// startServer creates a server in nbg1 and returns at once, for tests that
// move a fake clock past its actions themselves.
func (f *fixture) startServer(t testing.TB, name string) hcloud.ServerCreateResult {
	t.Helper()
	res, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: name, ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
