package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// The lab's Debian mirror. Hetzner's Debian images point apt at Hetzner's
// own mirror (mirror.hetzner.com), so a gateway's first boot installs its
// packages from a mirror next to it; the lab's image does the same with a
// caching mirror the emulator serves inside the lab's "internet" namespace.
// That keeps every package a real Debian package, signed and checked by apt
// as usual, while nothing inside the lab has a route anywhere else: the
// emulator fetches what is not cached yet from Debian and keeps it in the
// cache directory, so later boots download nothing.

// MirrorAddr is where the lab's Debian mirror listens inside the internet
// namespace (TEST-NET-1, RFC 5737, so it can never be a real host). The
// image's apt sources name it, so it is part of the image recipe.
const MirrorAddr = "192.0.2.1"

// DefaultUpstream is Debian's mirror network, the only place outside the
// lab the emulator talks to (CROSSCLOUD_LAB_DEBIAN_MIRROR overrides it).
const DefaultUpstream = "http://deb.debian.org"

// releaseTTL is how long a cached release file (InRelease and friends) is
// served before the mirror asks upstream whether it changed. Everything
// else is immutable: pool files are versioned and apt fetches indexes by
// hash, so only the release files ever change under one name. A day keeps
// bookworm-security's Valid-Until (about a week) satisfied without making
// every boot ask Debian.
const releaseTTL = 24 * time.Hour

// mirrorPath is what the mirror serves: Debian's two archives, their
// release directories and package pool, nothing else.
var mirrorPath = regexp.MustCompile(`^/(debian|debian-security)/(dists|pool)/[A-Za-z0-9._+~/-]+$`)

// Mirror is an http.Handler serving Debian archive files from a cache
// directory, filling it from upstream on a miss.
type Mirror struct {
	dir      string
	upstream string
	client   *http.Client
	log      *slog.Logger
	group    singleflight.Group
	fetched  atomic.Int64
}

// NewMirror returns a mirror caching under dir and fetching from upstream
// ("" = CROSSCLOUD_LAB_DEBIAN_MIRROR or DefaultUpstream).
func NewMirror(dir, upstream string, logger *slog.Logger) *Mirror {
	if upstream == "" {
		upstream = os.Getenv("CROSSCLOUD_LAB_DEBIAN_MIRROR")
	}
	if upstream == "" {
		upstream = DefaultUpstream
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Mirror{dir: dir, upstream: strings.TrimRight(upstream, "/"), log: logger,
		client: &http.Client{Timeout: 5 * time.Minute}}
}

// Downloads counts the files fetched from upstream since NewMirror; a
// warm cache keeps it at zero.
func (m *Mirror) Downloads() int64 { return m.fetched.Load() }

// volatile says whether p can change upstream under the same name.
func volatile(p string) bool {
	return strings.Contains(p, "/dists/") && !strings.Contains(p, "/by-hash/")
}

// ServeHTTP answers GET and HEAD for archive paths from the cache.
func (m *Mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the lab's Debian mirror is read-only", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !mirrorPath.MatchString(p) || path.Clean(p) != p {
		http.Error(w, "the lab's Debian mirror serves only /debian/ and /debian-security/ dists and pool files", http.StatusNotFound)
		return
	}
	file, err := m.cached(r.Context(), p)
	if errors.Is(err, errNotUpstream) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		m.log.Warn("lab mirror: cannot serve", "path", p, "err", err)
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	f, err := os.Open(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, path.Base(p), fi.ModTime(), f)
}

var errNotUpstream = errors.New("not found upstream")

// cached returns the cache file for p, fetching it first when it is
// missing or (for release files) older than releaseTTL. One fetch per path
// runs at a time in this process; other processes sharing the cache write
// through a temporary file and a rename, so a reader never sees half a file.
func (m *Mirror) cached(ctx context.Context, p string) (string, error) {
	file := filepath.Join(m.dir, filepath.FromSlash(p))
	fi, err := os.Stat(file)
	if err == nil && (!volatile(p) || time.Since(fi.ModTime()) < releaseTTL) {
		return file, nil
	}
	_, ferr, _ := m.group.Do(p, func() (any, error) {
		return nil, m.fetch(context.WithoutCancel(ctx), p, file, fi)
	})
	if ferr != nil {
		if fi != nil && !errors.Is(ferr, errNotUpstream) {
			// Offline or upstream trouble: a stale release file is what
			// a mirror that could not sync serves too.
			m.log.Warn("lab mirror: serving a stale copy", "path", p, "err", ferr)
			return file, nil
		}
		return "", ferr
	}
	return file, nil
}

// fetch downloads p into file. With a stale copy (old != nil) it asks
// If-Modified-Since and only renews the copy's time on 304.
func (m *Mirror) fetch(ctx context.Context, p, file string, old os.FileInfo) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.upstream+p, nil)
	if err != nil {
		return err
	}
	if old != nil {
		req.Header.Set("If-Modified-Since", old.ModTime().UTC().Format(http.TimeFormat))
	}
	resp, err := m.client.Do(req)
	if err != nil {
		return fmt.Errorf("fetching %s: %w", m.upstream+p, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && old != nil:
		now := time.Now()
		return os.Chtimes(file, now, now)
	case resp.StatusCode == http.StatusNotFound:
		return errNotUpstream
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("fetching %s: %s", m.upstream+p, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".part-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("short read: %d of %d bytes", n, resp.ContentLength)
	}
	if err != nil {
		return fmt.Errorf("fetching %s: %w", m.upstream+p, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	m.fetched.Add(1)
	m.log.Debug("lab mirror: fetched", "path", p, "bytes", n)
	return nil
}

// startMirror serves the Debian mirror on MirrorAddr:80 inside the
// internet namespace, the only service there. Gateways reach it over their
// public interface; no lab namespace has a route to anything outside, and
// the emulator itself fetches cache misses from Debian.
func (l *Lab) startMirror(ctx context.Context, logger *slog.Logger) (err error) {
	l.mirror = NewMirror(filepath.Join(l.cacheDir, "mirror"), "", logger)
	l.mirrorSrv, err = l.serveInternet(ctx, MirrorAddr, "the lab's Debian mirror", l.mirror)
	return err
}

// Mirror is the lab's Debian mirror (nil before Build).
func (l *Lab) Mirror() *Mirror { return l.mirror }
