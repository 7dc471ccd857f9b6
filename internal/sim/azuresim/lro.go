package azuresim

import (
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// Operation statuses (NetworkOperationStatus in network.json).
const (
	statusInProgress = "InProgress"
	statusSucceeded  = "Succeeded"
	statusFailed     = "Failed"
)

// Operation kinds; each finishes differently (finish.go).
const (
	opPut            = "put"
	opDelete         = "delete"
	opSetSharedKey   = "setSharedKey"
	opResetSharedKey = "resetSharedKey"
	opGatewayReset   = "gatewayReset"
	opGroupDelete    = "groupDelete"
	// Settles are internal: no client polls them. They model a resource
	// that still reads Updating after its operation reported Succeeded, and
	// keep it busy (AnotherOperationInProgress) meanwhile.
	opSubnetSettle = "subnetSettle"
	opKeySettle    = "keySettle"
)

// pollInterval is what Microsoft.Network asks clients to wait between polls
// (Retry-After: 10 in the SDK test recordings), before Clock.Scale.
const pollInterval = 10 * time.Second

// opRetention is how long finished operations stay pollable.
const opRetention = time.Hour

// operation is one ARM long-running operation. Outcomes are decided when it
// starts (Faults.FailLRO) and applied when the scaled duration has passed.
type operation struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Target     string    `json:"target"`     // lower-case ID of the resource it changes
	ResourceID string    `json:"resourceId"` // the ID as ARM spells it
	Location   string    `json:"location"`   // Azure region, part of the polling URLs
	APIVersion string    `json:"apiVersion"`
	Created    bool      `json:"created,omitempty"` // a PUT that created the resource
	Start      time.Time `json:"start"`
	DoneAt     time.Time `json:"doneAt"`
	Interval   int64     `json:"intervalNanos"` // real-world poll interval
	Fail       bool      `json:"fail,omitempty"`
	Status     string    `json:"status"`
	Error      *armError `json:"error,omitempty"`
	SharedKey  string    `json:"sharedKey,omitempty"` // opSetSharedKey/opResetSharedKey: the key to apply
	// Lost: the operation runs but its polling URLs answer 404, as ARM's do
	// for some in-place updates (localgateways.go).
	Lost bool `json:"lost,omitempty"`
	// Conflict, when set, is the error the operation fails with: it was
	// accepted while a serialized sibling's was starting (conflicts.go).
	Conflict *armError `json:"conflict,omitempty"`
}

// startLocked begins an operation that takes d in the real world (times
// Clock.Scale).
func (s *Server) startLocked(r *http.Request, kind, resourceID, location string, d time.Duration) *operation {
	return s.newOpLocked(kind, resourceID, location, r.URL.Query().Get("api-version"), d)
}

// settleLocked starts an internal operation (op.Kind names what it does
// when it ends) on a resource whose client-visible operation just ended.
func (s *Server) settleLocked(kind string, of *operation, d time.Duration) {
	op := s.newOpLocked(kind, of.ResourceID, of.Location, of.APIVersion, d)
	op.Fail = false
}

func (s *Server) newOpLocked(kind, resourceID, location, apiVersion string, d time.Duration) *operation {
	now := s.now()
	op := &operation{
		ID: newGUID(), Kind: kind, Target: strings.ToLower(resourceID), ResourceID: resourceID,
		Location: strings.ToLower(strings.ReplaceAll(location, " ", "")), APIVersion: apiVersion,
		Start: now, DoneAt: now.Add(s.env.Clock.Scaled(d)), Interval: int64(min(pollInterval, d)),
		Fail: s.env.Faults.FailLRO(), Status: statusInProgress,
	}
	if op.Location == "" {
		op.Location = "global"
	}
	s.st.Ops[op.ID] = op
	s.pending[op.Target] = op.ID
	s.scheduleLocked(op)
	return op
}

// scheduleLocked completes op on time even if nobody polls, so the lab hears
// about a finished gateway promptly. Requests also complete due operations
// (advanceLocked), so a NowFunc clock works without timers.
func (s *Server) scheduleLocked(op *operation) {
	d := op.DoneAt.Sub(s.now())
	time.AfterFunc(max(d, 0)+time.Millisecond, func() { s.withLock(func() {}) })
}

// busyLocked returns the operation in flight on id, its parent VNet or (for a
// VNet) any of its subnets: Azure serialises those.
func (s *Server) busyLocked(id string) *operation {
	id = strings.ToLower(id)
	vnet := id
	if i := strings.Index(id, "/subnets/"); i >= 0 {
		vnet = id[:i]
	}
	for target, opID := range s.pending {
		if target == id || target == vnet || strings.HasPrefix(target, vnet+"/subnets/") {
			return s.st.Ops[opID]
		}
	}
	return nil
}

// advanceLocked finishes every operation whose time has come, oldest first.
func (s *Server) advanceLocked() {
	now := s.now()
	var due []*operation
	for _, id := range s.pending {
		if op := s.st.Ops[id]; op != nil && !now.Before(op.DoneAt) {
			due = append(due, op)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].DoneAt.Before(due[j].DoneAt) })
	for _, op := range due {
		if s.pending[op.Target] != op.ID {
			continue // a group delete finished it already
		}
		delete(s.pending, op.Target)
		switch {
		case op.Conflict != nil:
			op.Status, op.Error = statusFailed, op.Conflict
		case op.Fail:
			op.Status = statusFailed
			op.Error = &armError{Status: http.StatusInternalServerError, Code: "InternalServerError",
				Message: "An error occurred. (crosscloud-sim: injected by lro_failure_rate)", Details: []armError{}}
		default:
			op.Status = statusSucceeded
		}
		s.finishLocked(op)
	}
	for id, op := range s.st.Ops {
		if op.Status != statusInProgress && now.Sub(op.DoneAt) > opRetention {
			delete(s.st.Ops, id)
		}
	}
}

// Operations lists every operation the server still remembers (finished
// ones for opRetention), internal settles included, for GET
// /_sim/operations. A canceled operation (its group was deleted) counts as
// failed; its End stays the time it would have finished.
func (s *Server) Operations() []simenv.Operation {
	var out []simenv.Operation
	s.withLock(func() {
		for _, op := range s.st.Ops {
			running := op.Status == statusInProgress
			out = append(out, simenv.Operation{
				Cloud: simenv.CloudAzure, ID: op.ID, Kind: op.Kind, Target: op.ResourceID,
				Start: op.Start, End: op.DoneAt, Running: running,
				Failed: op.Status == statusFailed || running && (op.Fail || op.Conflict != nil),
			})
		}
	})
	return out
}

// retryAfter tells the client how long to wait. Retry-After is whole seconds
// (at least 1), which would make a 0.0001-scaled run crawl, so a sub-second
// scaled wait is also sent as retry-after-ms, which azcore prefers
// (shared.RetryAfter); at scale 1.0 the headers are exactly ARM's.
func (s *Server) retryAfter(h http.Header, wait time.Duration) {
	d := s.env.Clock.Scaled(wait)
	secs := int(math.Ceil(d.Seconds()))
	h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
	if d < time.Second {
		h.Set("retry-after-ms", strconv.FormatInt(max(d.Milliseconds(), 1), 10))
	}
}

func (s *Server) baseURL(r *http.Request) string {
	if s.env.BaseURL != "" {
		return strings.TrimRight(s.env.BaseURL, "/") + "/azure"
	}
	return "http://" + r.Host + "/azure"
}

// opURL is the absolute polling URL; kind is "operations" (Azure-AsyncOperation)
// or "operationResults" (Location).
func (s *Server) opURL(r *http.Request, op *operation, kind string) string {
	if op.Kind == opGroupDelete {
		return s.baseURL(r) + "/subscriptions/" + s.sub + "/operationresults/" + op.ID + "?api-version=" + op.APIVersion
	}
	return s.baseURL(r) + "/subscriptions/" + s.sub + "/providers/Microsoft.Network/locations/" + op.Location +
		"/" + kind + "/" + op.ID + "?api-version=" + op.APIVersion
}

// acceptLRO writes the polling headers of a started operation.
func (s *Server) acceptLRO(w http.ResponseWriter, r *http.Request, op *operation, location bool) {
	h := w.Header()
	if op.Kind != opGroupDelete {
		h.Set("Azure-AsyncOperation", s.opURL(r, op, "operations"))
	}
	if location {
		h.Set("Location", s.opURL(r, op, "operationResults"))
	}
	s.retryAfter(h, time.Duration(op.Interval))
}

// serveOperationStatus answers the Azure-AsyncOperation URL.
func (s *Server) serveOperationStatus(w http.ResponseWriter, r *http.Request, id string) {
	var (
		body map[string]any
		op   operation
	)
	s.withLock(func() {
		if p := s.st.Ops[id]; p != nil && !p.Lost {
			op = *p
			body = map[string]any{"name": op.ID, "status": op.Status, "startTime": op.Start.UTC().Format(time.RFC3339Nano)}
			if op.Error != nil {
				body["error"] = op.Error
			}
		}
	})
	if body == nil {
		writeError(w, &armError{Status: http.StatusNotFound, Code: "OperationNotFound", Message: "Operation " + id + " was not found."})
		return
	}
	if op.Status == statusInProgress {
		s.retryAfter(w.Header(), time.Duration(op.Interval))
	}
	writeJSON(w, http.StatusOK, body)
}

// serveOperationResult answers the Location URL: 202 while running, then the
// operation's final answer (errors keep their ARM shape).
func (s *Server) serveOperationResult(w http.ResponseWriter, r *http.Request, id string) {
	var (
		op     *operation
		result any
	)
	s.withLock(func() {
		if p := s.st.Ops[id]; p != nil && !p.Lost {
			c := *p
			op = &c
			if c.Status == statusSucceeded && c.Kind == opGatewayReset {
				if g := s.st.gateways()[c.Target]; g != nil {
					result = clone(g)
				}
			}
		}
	})
	switch {
	case op == nil:
		writeError(w, &armError{Status: http.StatusNotFound, Code: "OperationNotFound", Message: "Operation " + id + " was not found."})
	case op.Status == statusInProgress:
		w.Header().Set("Location", s.opURL(r, op, "operationResults"))
		s.retryAfter(w.Header(), time.Duration(op.Interval))
		w.WriteHeader(http.StatusAccepted)
	case op.Status == statusFailed:
		e := *op.Error
		e.Status = http.StatusInternalServerError
		writeError(w, &e)
	case result != nil:
		writeJSON(w, http.StatusOK, result)
	case op.Kind == opGroupDelete:
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}
