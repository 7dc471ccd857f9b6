package lab

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDebian counts requests per path and answers If-Modified-Since.
type fakeDebian struct {
	hits    map[string]*atomic.Int64
	release atomic.Value // string: the InRelease body
	changed atomic.Value // time.Time: when InRelease last changed
	down    atomic.Bool
}

func newFakeDebian() *fakeDebian {
	f := &fakeDebian{hits: map[string]*atomic.Int64{}}
	for _, p := range []string{"/debian/dists/bookworm/InRelease", "/debian/pool/main/s/strongswan/charon-systemd_5.9.8-5_amd64.deb",
		"/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/abc"} {
		f.hits[p] = &atomic.Int64{}
	}
	f.release.Store("release 1")
	f.changed.Store(time.Now().Add(-3 * releaseTTL))
	return f
}

func (f *fakeDebian) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	n, ok := f.hits[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	n.Add(1)
	if strings.HasSuffix(r.URL.Path, "InRelease") {
		http.ServeContent(w, r, "InRelease", f.changed.Load().(time.Time), strings.NewReader(f.release.Load().(string)))
		return
	}
	_, _ = io.WriteString(w, "content of "+r.URL.Path)
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// The mirror must make later boots download nothing: pool files and
// by-hash indexes are fetched once, ever; release files are asked about
// again only after releaseTTL, and a stale one is served when Debian cannot
// be reached. It serves nothing but Debian's archive.
func TestMirror(t *testing.T) {
	up := newFakeDebian()
	srv := httptest.NewServer(up)
	defer srv.Close()
	dir := t.TempDir()
	m := NewMirror(dir, srv.URL, nil)

	deb := "/debian/pool/main/s/strongswan/charon-systemd_5.9.8-5_amd64.deb"
	idx := "/debian/dists/bookworm/main/binary-amd64/by-hash/SHA256/abc"
	rel := "/debian/dists/bookworm/InRelease"
	for i := 0; i < 3; i++ {
		for _, p := range []string{deb, idx, rel} {
			if code, body := get(t, m, p); code != http.StatusOK || (p != rel && body != "content of "+p) {
				t.Fatalf("GET %s = %d %q", p, code, body)
			}
		}
	}
	for _, p := range []string{deb, idx, rel} {
		if n := up.hits[p].Load(); n != 1 {
			t.Errorf("%s fetched %d times from upstream, want once", p, n)
		}
	}
	if m.Downloads() != 3 {
		t.Errorf("Downloads() = %d, want 3", m.Downloads())
	}
	// A second mirror on the same cache (another process) downloads nothing.
	m2 := NewMirror(dir, srv.URL, nil)
	get(t, m2, deb)
	get(t, m2, rel)
	if m2.Downloads() != 0 || up.hits[deb].Load() != 1 {
		t.Errorf("a warm cache downloaded %d files", m2.Downloads())
	}

	// An old release file: unchanged upstream (304) keeps the copy.
	cached := filepath.Join(dir, "debian/dists/bookworm/InRelease")
	old := time.Now().Add(-2 * releaseTTL)
	if err := os.Chtimes(cached, old, old); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, m, rel); code != http.StatusOK || body != "release 1" || up.hits[rel].Load() != 2 || m.Downloads() != 3 {
		t.Errorf("revalidating: %d %q, upstream hits %d, downloads %d", code, body, up.hits[rel].Load(), m.Downloads())
	}
	// Changed upstream: the new one replaces it.
	if err := os.Chtimes(cached, old, old); err != nil {
		t.Fatal(err)
	}
	up.release.Store("release 2")
	up.changed.Store(time.Now())
	if _, body := get(t, m, rel); body != "release 2" {
		t.Errorf("after an upstream change the mirror serves %q", body)
	}
	// Upstream down: the stale copy is served.
	if err := os.Chtimes(cached, old, old); err != nil {
		t.Fatal(err)
	}
	up.down.Store(true)
	if code, body := get(t, m, rel); code != http.StatusOK || body != "release 2" {
		t.Errorf("with Debian unreachable: %d %q, want the stale copy", code, body)
	}
	if code, _ := get(t, m, "/debian/pool/main/n/nothing.deb"); code != http.StatusBadGateway {
		t.Errorf("an uncached file with Debian down: %d, want 502", code)
	}
	up.down.Store(false)
	if code, _ := get(t, m, "/debian/pool/main/n/nothing.deb"); code != http.StatusNotFound {
		t.Errorf("a file Debian does not have: %d, want 404", code)
	}

	for _, p := range []string{"/", "/etc/passwd", "/debian/../etc/passwd", "/debian/pool/../../x", "/ubuntu/dists/jammy/InRelease", "/debian/project/trace/master"} {
		if code, _ := get(t, m, p); code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404: the mirror serves Debian's dists and pool only", p, code)
		}
	}
	rec := httptest.NewRecorder()
	m.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, deb, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d, want 405", rec.Code)
	}
}
