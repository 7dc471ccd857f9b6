package azuresim

import (
	"net/http"
	"time"
)

// A VPN gateway serializes writes to its connections: a write to one
// connection while another connection of the same gateway is being written
// is refused with 409 AnotherOperationInProgress ("Azure ER gateways
// serialize connection operations internally, so the second concurrent
// write returns 409 Conflict, AnotherOperationInProgress",
// Azure/Azure-Landing-Zones#4134, 2026; azurerm#10582 for several
// azurerm_virtual_network_gateway_connection on one gateway).
//
// The same conflict also comes back inside a Failed long-running operation
// (pulumi/pulumi-azure-native#699 and #1024; autorest logs "StatusCode=0 …
// Code=AnotherOperationInProgress"): the request was accepted and the
// operation failed afterwards. When ARM answers which way is not
// documented. The emulator's model: a write arriving within conflictRace of
// the sibling's acceptance (both passed the front door before the gateway
// noticed) is accepted and its operation fails after conflictReport; a later
// write is refused at once. Both durations are guesses (unverified).
const (
	conflictRace   = 10 * time.Second
	conflictReport = time.Second
)

// siblingConflictLocked checks the writes in flight on siblings (keys):
// sync is the 409 to answer now; async is the error the new operation must
// fail with (doomLocked).
func (s *Server) siblingConflictLocked(r *http.Request, siblings []string) (sync, async *armError) {
	now := s.now()
	for _, key := range siblings {
		op := s.st.Ops[s.pending[key]]
		if op == nil {
			continue
		}
		e := errBusy(s.opURL(r, op, "operations"))
		if now.Sub(op.Start) < s.env.Clock.Scaled(conflictRace) {
			return nil, e
		}
		return e, nil
	}
	return nil, nil
}

// doomLocked makes op fail with e after conflictReport.
func (s *Server) doomLocked(op *operation, e *armError) {
	if e == nil {
		return
	}
	op.Conflict = e
	if at := s.now().Add(s.env.Clock.Scaled(conflictReport)); at.Before(op.DoneAt) {
		op.DoneAt = at
		op.Interval = int64(min(time.Duration(op.Interval), conflictReport))
		s.scheduleLocked(op)
	}
}
