package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// fakeCloud stands in for hcloudsim/azuresim: it authenticates and counts
// its own requests like they must, echoes what path it received, and keeps
// named "thing" resources that POST /things?name=N creates. Like hcloudsim
// it keeps a copy of the Env, so the frame must complete the Env first.
type fakeCloud struct {
	name string
	env  simenv.Env

	mu     sync.Mutex
	things map[string]bool
	ops    []simenv.Operation // one "create" per POST /things, lasting 1s
	// release, when set, blocks GET /slow until closed.
	release chan struct{}
	entered chan struct{}
	// badState makes UnmarshalState fail.
	badState bool
}

type echo struct {
	Cloud string `json:"cloud"`
	Path  string `json:"path"`
	Base  string `json:"base"`
}

func newFake(name string) CloudFunc {
	return func(env *simenv.Env) Cloud { return makeFake(name, env) }
}

func makeFake(name string, env *simenv.Env) *fakeCloud {
	return &fakeCloud{name: name, env: *env, things: map[string]bool{}}
}

func (f *fakeCloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.env.Stats.Request(f.name)
	if r.Header.Get("Authorization") != "Bearer "+f.env.Token {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/things":
		f.mu.Lock()
		f.things[r.URL.Query().Get("name")] = true
		now := f.env.Clock.Now()
		f.ops = append(f.ops, simenv.Operation{Cloud: f.name, ID: strconv.Itoa(len(f.ops) + 1), Kind: "create",
			Target: "thing/" + r.URL.Query().Get("name"), Start: now, End: now.Add(time.Second), Running: true})
		f.mu.Unlock()
		f.env.Stats.Mutation()
		if f.env.Events != nil {
			f.env.Events.Changed(simenv.Event{Kind: f.name + ".thing.created", ID: r.URL.Query().Get("name")})
		}
		w.WriteHeader(http.StatusCreated)
	case r.URL.Path == "/drop": // like azuresim's FaultDrop
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		conn.Close()
	case r.URL.Path == "/slow":
		close(f.entered)
		<-f.release
		writeJSON(w, http.StatusOK, echo{Cloud: f.name, Path: r.URL.Path})
	default:
		writeJSON(w, http.StatusOK, echo{Cloud: f.name, Path: r.URL.Path, Base: f.env.BaseURL})
	}
}

func (f *fakeCloud) Resources() []simenv.Resource {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []simenv.Resource
	for n := range f.things {
		out = append(out, simenv.Resource{Cloud: f.name, Type: "thing", ID: f.name + "/" + n, Name: n})
	}
	return out
}

func (f *fakeCloud) Operations() []simenv.Operation {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ops)
}

func (f *fakeCloud) MarshalState() ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := make([]string, 0, len(f.things))
	for n := range f.things {
		names = append(names, n)
	}
	sort.Strings(names)
	return json.Marshal(names)
}

func (f *fakeCloud) UnmarshalState(b []byte) error {
	if f.badState {
		return errors.New("unsupported state version")
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range names {
		f.things[n] = true
	}
	return nil
}

// testOptions are valid Options with fake Azure IDs.
func testOptions() Options {
	return Options{SubscriptionID: "00000000-0000-0000-0000-000000000001", TenantID: "00000000-0000-0000-0000-000000000002"}
}

// startFake starts a frame with two fake clouds on a free loopback port.
func startFake(t testing.TB, opts Options) *Sim {
	t.Helper()
	s, err := New(opts, newFake(simenv.CloudHCloud), newFake(simenv.CloudAzure))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// do sends one request to the running sim, with the token when auth is set,
// and returns status and body.
func do(t testing.TB, s *Sim, method, path string, auth bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+s.Env()["HCLOUD_TOKEN"])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}
