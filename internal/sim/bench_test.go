package sim

import (
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"
)

// getter issues authenticated GETs over one keep-alive connection, the way
// the provider's SDK clients do.
type getter struct {
	client *http.Client
	req    *http.Request
}

func newGetter(t testing.TB, s *Sim, path string) *getter {
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Env()["HCLOUD_TOKEN"])
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	t.Cleanup(tr.CloseIdleConnections)
	return &getter{client: &http.Client{Transport: tr}, req: req}
}

func (g *getter) get(t testing.TB) {
	resp, err := g.client.Do(g.req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", g.req.URL.Path, resp.StatusCode)
	}
}

// BenchmarkSimGET measures one GET through the whole frame (loopback TCP,
// routing, prefix stripping, logging and persistence hooks) to a fake cloud;
// the issue asks for 1000 GETs per second on one core:
// go test -bench SimGET -cpu 1 ./internal/sim/
func BenchmarkSimGET(b *testing.B) {
	s := startFake(b, testOptions())
	g := newGetter(b, s, "/hcloud/v1/locations")
	b.ReportAllocs()
	for b.Loop() {
		g.get(b)
	}
}

// TestSequentialGETsKeepMemoryFlat sends 5000 GETs on one core and checks
// that the heap and the goroutine count come back to where they were: a
// long demo or bench run must not grow the emulator. It logs the rate but
// asserts no timing.
func TestSequentialGETsKeepMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 5000 requests")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s := startFake(t, testOptions())
	g := newGetter(t, s, "/hcloud/v1/locations")
	for range 100 { // warm up connection, pools and lazily built state
		g.get(t)
	}
	before, goroutines := heapAfterGC(), runtime.NumGoroutine()
	const n = 5000
	start := time.Now()
	for range n {
		g.get(t)
	}
	elapsed := time.Since(start)
	after := heapAfterGC()
	t.Logf("%d GETs in %v (%.0f/s on GOMAXPROCS=1); heap %d -> %d bytes",
		n, elapsed.Round(time.Millisecond), n/elapsed.Seconds(), before, after)
	const tolerance = 8 << 20
	if after > before+tolerance {
		t.Errorf("heap grew by %d bytes over %d GETs, want < %d", after-before, n, tolerance)
	}
	if now := runtime.NumGoroutine(); now > goroutines+5 {
		t.Errorf("goroutines %d -> %d over %d GETs on one connection", goroutines, now, n)
	}
	if got := s.Stats().RequestsTotal; got != n+100 {
		t.Errorf("requests_total = %d, want %d (the frame must not count, the cloud counts once)", got, n+100)
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
