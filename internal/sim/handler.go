package sim

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// URL prefixes of the two emulated APIs. The provider's endpoints are the
// emulator URL plus these (HCLOUD_ENDPOINT, ARM_RESOURCE_MANAGER_ENDPOINT).
const (
	HCloudPrefix = "/hcloud/v1"
	AzurePrefix  = "/azure"
)

// routes builds the frame: each cloud under its prefix, /_sim/ for the
// emulator itself, JSON 404s elsewhere, then the persistence hook and
// request logging around all of it.
//
// /_sim/ needs no token: the listener is loopback-only, its answers hold
// resource names and counters but no secret, and test and bench scripts
// read it with a bare curl.
func (s *Sim) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(HCloudPrefix+"/", http.StripPrefix(HCloudPrefix, s.hcloud))
	mux.Handle(AzurePrefix+"/", http.StripPrefix(AzurePrefix, s.azure))
	mux.HandleFunc("/_sim/state", getOnly(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, StateResponse{Resources: s.Resources()})
	}))
	mux.HandleFunc("/_sim/stats", getOnly(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.env.Stats.Snapshot())
	}))
	mux.HandleFunc("/_sim/operations", getOnly(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, OperationsResponse{Operations: s.Operations()})
	}))
	if s.dp != nil {
		mux.Handle("/_sim/lab/", http.StripPrefix("/_sim/lab", s.dp))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf(
			"no emulated API at %s; the emulator serves %s/, %s/ and /_sim/state, /_sim/stats, /_sim/operations",
			r.URL.Path, HCloudPrefix, AzurePrefix))
	})
	var h http.Handler = mux
	if s.persist != nil {
		h = s.persistAfterWrites(h)
	}
	return s.logRequests(h)
}

// StateResponse is the body of GET /_sim/state.
type StateResponse struct {
	Resources []simenv.Resource `json:"resources"`
}

// Resources lists every live resource of both clouds in a stable order
// (cloud, type, name, id), so that two reads of an unchanged emulator are
// byte-identical and tests can compare them. Valid after Start.
func (s *Sim) Resources() []simenv.Resource {
	return merged(s.hcloud.Resources(), s.azure.Resources(), func(a, b simenv.Resource) int {
		return cmp.Or(cmp.Compare(a.Cloud, b.Cloud), cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
}

// OperationsResponse is the body of GET /_sim/operations.
type OperationsResponse struct {
	Operations []simenv.Operation `json:"operations"`
}

// Operations lists the work both clouds ran (ARM long-running operations,
// Hetzner actions), oldest first, for measuring how long each step of an
// apply made the provider wait. Ties are broken by cloud and ID, so two reads
// of an unchanged emulator are byte-identical. Valid after Start.
func (s *Sim) Operations() []simenv.Operation {
	return merged(s.hcloud.Operations(), s.azure.Operations(), func(a, b simenv.Operation) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Cloud, b.Cloud), cmp.Compare(a.ID, b.ID))
	})
}

// merged is the two clouds' lists as one in order, empty rather than nil
// so that the /_sim endpoints answer JSON [] rather than null.
func merged[T any](hcloud, azure []T, order func(a, b T) int) []T {
	all := slices.Concat(hcloud, azure)
	if all == nil {
		all = []T{}
	}
	slices.SortFunc(all, order)
	return all
}

// Stats is the request counters of both clouds (GET /_sim/stats).
func (s *Sim) Stats() simenv.StatsSnapshot { return s.env.Stats.Snapshot() }

// getOnly answers anything but GET/HEAD with a JSON 405.
func getOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
				fmt.Sprintf("%s %s: only GET is supported", r.Method, r.URL.Path))
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorBody is the frame's own error shape, used only outside the clouds'
// prefixes (each cloud answers in its own error format).
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, msg
	writeJSON(w, status, b)
}

// persistAfterWrites schedules a (debounced) state-file write after every
// request that may have changed state; reads never do.
func (s *Sim) persistAfterWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.persist.trigger()
		}
	})
}

// logRequests logs one line per request at Debug level: method, path,
// status, duration. Headers (and so the token) are never logged. When Debug
// is off the handler is called directly, keeping the hot path free.
func (s *Sim) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "duration", time.Since(start).Round(time.Microsecond))
		}()
		next.ServeHTTP(rec, r)
	})
}

// statusRecorder remembers the status code for the request log. It keeps
// the writer's optional abilities (flush, hijack for dropped-connection
// faults) available both by type assertion and via http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (r *statusRecorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Hijack forwards to the underlying writer; a dropped connection is logged
// with status 0.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.status, r.wroteHeader = 0, true
	return http.NewResponseController(r.ResponseWriter).Hijack()
}
