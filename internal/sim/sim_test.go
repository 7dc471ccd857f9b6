package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

func TestRouting(t *testing.T) {
	s := startFake(t, testOptions())
	tests := []struct {
		name, method, path string
		auth               bool
		wantStatus         int
		wantCloud          string // "" = the frame answered
		wantPath           string // path the cloud saw
		wantCode           string // frame error code
	}{
		{"hcloud strips prefix", "GET", "/hcloud/v1/locations", true, 200, "hcloud", "/locations", ""},
		{"azure strips prefix", "GET", "/azure/subscriptions/s/resourceGroups?api-version=2021-04-01", true, 200, "azure", "/subscriptions/s/resourceGroups", ""},
		{"cloud checks its own token", "GET", "/hcloud/v1/locations", false, 401, "", "", ""},
		{"azure checks its own token", "GET", "/azure/subscriptions", false, 401, "", "", ""},
		{"unknown root path", "GET", "/v1/locations", true, 404, "", "", "not_found"},
		{"unknown sim path", "GET", "/_sim/nope", false, 404, "", "", "not_found"},
		{"prefix look-alike", "GET", "/hcloud/v2/locations", true, 404, "", "", "not_found"},
		{"sim state is read-only", "POST", "/_sim/state", false, 405, "", "", "method_not_allowed"},
		{"sim stats is read-only", "DELETE", "/_sim/stats", false, 405, "", "", "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, s, tt.method, tt.path, tt.auth)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", status, tt.wantStatus, body)
			}
			if tt.wantCloud != "" {
				var e echo
				if err := json.Unmarshal([]byte(body), &e); err != nil {
					t.Fatalf("body %q: %v", body, err)
				}
				if e.Cloud != tt.wantCloud || e.Path != tt.wantPath {
					t.Errorf("served by %s with path %q, want %s with %q", e.Cloud, e.Path, tt.wantCloud, tt.wantPath)
				}
				if e.Base != s.URL() {
					t.Errorf("cloud saw BaseURL %q, want %q", e.Base, s.URL())
				}
			}
			if tt.wantCode != "" {
				var e errorBody
				if err := json.Unmarshal([]byte(body), &e); err != nil {
					t.Fatalf("frame error is not JSON: %q: %v", body, err)
				}
				if e.Error.Code != tt.wantCode || e.Error.Message == "" {
					t.Errorf("error = %+v, want code %q with a message", e.Error, tt.wantCode)
				}
			}
		})
	}
}

func TestSimEndpoints(t *testing.T) {
	s := startFake(t, testOptions())
	for _, p := range []string{"/azure/things?name=vnet", "/hcloud/v1/things?name=net-b", "/hcloud/v1/things?name=net-a"} {
		if status, body := do(t, s, "POST", p, true); status != 201 {
			t.Fatalf("POST %s = %d %s", p, status, body)
		}
	}
	do(t, s, "GET", "/hcloud/v1/locations", false) // 401, still a request

	// Both endpoints answer without a token (loopback-only listener).
	status, body := do(t, s, "GET", "/_sim/state", false)
	if status != 200 {
		t.Fatalf("GET /_sim/state = %d %s", status, body)
	}
	var st StateResponse
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range st.Resources {
		got = append(got, r.Cloud+":"+r.Name)
	}
	want := "azure:vnet hcloud:net-a hcloud:net-b"
	if strings.Join(got, " ") != want {
		t.Errorf("state resources = %v, want sorted %q", got, want)
	}
	_, again := do(t, s, "GET", "/_sim/state", false)
	if again != body {
		t.Errorf("two reads of an unchanged state differ:\n%s\n%s", body, again)
	}

	status, body = do(t, s, "GET", "/_sim/stats", false)
	if status != 200 {
		t.Fatalf("GET /_sim/stats = %d %s", status, body)
	}
	var stats simenv.StatsSnapshot
	if err := json.Unmarshal([]byte(body), &stats); err != nil {
		t.Fatal(err)
	}
	// 4 cloud requests; the /_sim reads and the frame itself count nothing.
	if stats.RequestsTotal != 4 || stats.RequestsByCloud["hcloud"] != 3 || stats.RequestsByCloud["azure"] != 1 || stats.MutationsTotal != 3 {
		t.Errorf("stats = %+v, want 4 requests (hcloud 3, azure 1), 3 mutations", stats)
	}
}

func TestEmptyStateIsAList(t *testing.T) {
	s := startFake(t, testOptions())
	_, body := do(t, s, "GET", "/_sim/state", false)
	if body != `{"resources":[]}` {
		t.Errorf("empty state = %s, want {\"resources\":[]}", body)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"fault rate above 1", func(o *Options) { o.Faults = "error_rate=2" }, "-faults: faults: error_rate"},
		{"unknown fault", func(o *Options) { o.Faults = "boom=0.1" }, `unknown key "boom"`},
		{"fault without value", func(o *Options) { o.Faults = "seed" }, "not key=value"},
		{"negative time scale", func(o *Options) { o.TimeScale = -1 }, "time scale -1: must be a positive number"},
		{"lab without data plane", func(o *Options) { o.Lab = true }, "lab mode is not built yet"},
		{"no subscription", func(o *Options) { o.SubscriptionID = "" }, "SubscriptionID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions()
			tt.mutate(&o)
			_, err := New(o, newFake("hcloud"), newFake("azure"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	o := testOptions()
	o.Addr = "0.0.0.0:0"
	s, err := New(o, newFake("hcloud"), newFake("azure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "loopback") {
		_ = s.Close()
		t.Fatalf("Start on 0.0.0.0 = %v, want a loopback error", err)
	}
}

func TestCloseWaitsForRunningRequests(t *testing.T) {
	var hc *fakeCloud
	slow := func(env *simenv.Env) Cloud {
		hc = makeFake("hcloud", env)
		hc.release, hc.entered = make(chan struct{}), make(chan struct{})
		return hc
	}
	s, err := New(testOptions(), slow, newFake("azure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var status int
	var reqErr error
	wg.Go(func() {
		req, _ := http.NewRequest("GET", s.URL()+"/hcloud/v1/slow", nil)
		req.Header.Set("Authorization", "Bearer "+s.Env()["HCLOUD_TOKEN"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			reqErr = err
			return
		}
		status = resp.StatusCode
		resp.Body.Close()
	})
	<-hc.entered

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a request was still running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(hc.release)
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	if reqErr != nil || status != 200 {
		t.Errorf("in-flight request got %d, %v; want 200", status, reqErr)
	}
	if _, err := http.Get(s.URL() + "/_sim/stats"); err == nil {
		t.Error("the emulator still answers after Close")
	}
	<-s.Done()
	if s.Err() != nil || s.Close() != nil {
		t.Errorf("Err() = %v, second Close = %v; want both nil", s.Err(), s.Close())
	}
}

// fakeLab records events and serves /_sim/lab/.
type fakeLab struct {
	mu     sync.Mutex
	events []simenv.Event
	closed bool
}

func (l *fakeLab) Changed(ev simenv.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *fakeLab) ConnectionStatus(string) (simenv.ConnectionStatus, bool) {
	return simenv.ConnectionStatus{}, false
}

func (l *fakeLab) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, []map[string]string{{"name": "hc-gw", "path": r.URL.Path}})
}

func (l *fakeLab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	return nil
}

func TestLabDataPlaneHook(t *testing.T) {
	lab := &fakeLab{}
	o := testOptions()
	o.Lab = true
	o.NewDataPlane = func(env *simenv.Env, hcloud, azure Cloud) (DataPlane, error) {
		if hcloud == nil || azure == nil || env.Token == "" {
			t.Error("data plane built before the clouds or the token")
		}
		return lab, nil
	}
	s := startFake(t, o)
	do(t, s, "POST", "/hcloud/v1/things?name=gw", true)
	if status, body := do(t, s, "GET", "/_sim/lab/hosts", false); status != 200 || !strings.Contains(body, `"path":"/hosts"`) {
		t.Errorf("GET /_sim/lab/hosts = %d %s, want the data plane's answer for /hosts", status, body)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lab.mu.Lock()
	defer lab.mu.Unlock()
	if len(lab.events) != 1 || lab.events[0].Kind != "hcloud.thing.created" {
		t.Errorf("data plane events = %+v, want one hcloud.thing.created", lab.events)
	}
	if !lab.closed {
		t.Error("Close did not stop the data plane")
	}
}

func TestLoggingNeverShowsToken(t *testing.T) {
	tests := []struct {
		level       slog.Level
		wantRequest bool
	}{{slog.LevelInfo, false}, {slog.LevelDebug, true}}
	for _, tt := range tests {
		t.Run(tt.level.String(), func(t *testing.T) {
			var buf bytes.Buffer
			var mu sync.Mutex
			o := testOptions()
			o.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: tt.level}))
			s := startFake(t, o)
			do(t, s, "GET", "/hcloud/v1/locations?page=2", true)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			out := buf.String()
			mu.Unlock()
			if !strings.Contains(out, s.URL()) {
				t.Errorf("start-up log lacks the URL:\n%s", out)
			}
			if got := strings.Contains(out, "path=/hcloud/v1/locations status=200"); got != tt.wantRequest {
				t.Errorf("request line logged = %v, want %v:\n%s", got, tt.wantRequest, out)
			}
			if strings.Contains(out, s.Env()["HCLOUD_TOKEN"]) {
				t.Errorf("log contains the token:\n%s", out)
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// A cloud that drops the connection (FaultDrop) hijacks the writer by type
// assertion; the request logger of -v must not take that ability away.
func TestDroppedConnectionWithRequestLog(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	o := testOptions()
	o.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := startFake(t, o)
	req, _ := http.NewRequest("GET", s.URL()+"/azure/drop", nil)
	req.Header.Set("Authorization", "Bearer "+s.Env()["ARM_ACCESS_TOKEN"])
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got %s, want the connection dropped", resp.Status)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The handler logs once it returns, which can be after the client has
	// seen the connection close: a hijacked connection is no longer the
	// server's, so Close does not wait for its handler. Allow it a moment.
	logged := func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(buf.String(), "path=/azure/drop status=0"), buf.String()
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ok, log := logged()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dropped request not logged with status 0:\n%s", log)
		}
	}
}
