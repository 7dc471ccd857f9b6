package azuresim

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// armError is ARM's CloudError: {"error":{"code","message","target","details"}}.
// Codes marked "unverified" in the handlers were not found in public sources;
// the ones quoted in docs/facts/arm-shapes.md are real.
type armError struct {
	Status  int        `json:"-"`
	Code    string     `json:"code"`
	Message string     `json:"message"`
	Target  string     `json:"target,omitempty"`
	Details []armError `json:"details"`
}

func (e *armError) Error() string { return e.Code + ": " + e.Message }

func writeError(w http.ResponseWriter, e *armError) {
	if e.Details == nil {
		e.Details = []armError{}
	}
	w.Header().Set("x-ms-failure-cause", "gateway")
	writeJSON(w, e.Status, map[string]*armError{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// dropConnection closes the TCP connection without an answer (FaultDrop).
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func badRequest(code, format string, args ...any) *armError {
	return &armError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func errInternal() *armError {
	return &armError{Status: http.StatusInternalServerError, Code: "InternalServerError",
		Message: "Encountered internal server error. The tracking Id is '" + newGUID() + "'. (crosscloud-sim: injected by error_rate)"}
}

// errResourceNotFound is ARM's answer for a missing top-level resource.
func errResourceNotFound(typ, name, rg string) *armError {
	return &armError{Status: http.StatusNotFound, Code: "ResourceNotFound",
		Message: fmt.Sprintf("The Resource '%s/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", typ, name, rg)}
}

// errNotFoundID is Microsoft.Network's answer for a missing child resource.
func errNotFoundID(id string) *armError {
	return &armError{Status: http.StatusNotFound, Code: "NotFound", Message: fmt.Sprintf("Resource %s not found.", id)}
}

func errGroupNotFound(rg string) *armError {
	return &armError{Status: http.StatusNotFound, Code: "ResourceGroupNotFound",
		Message: fmt.Sprintf("Resource group '%s' could not be found.", rg)}
}

// errInvalidReference: a referenced resource does not exist (real text, see
// mspnp/reference-architectures#225).
func errInvalidReference(ref, by string) *armError {
	return badRequest("InvalidResourceReference",
		"Resource %s referenced by resource %s was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.", ref, by)
}

// errNotProvisioned: a referenced resource is still Updating/Deleting/Failed.
// HTTP 400, as field reports log it ("SubnetsClient#CreateOrUpdate: ...
// StatusCode=400 -- Original Error: Code=\"ReferencedResourceNotProvisioned\"",
// also for virtual network peerings); text as in Azure-Samples/azuresandbox#25
// and microsoft/AzureTRE#3671, which names the operation (PutSubnetOperation,
// PutPublicIpAddressOperation, PutNicOperation).
func errNotProvisioned(ref, by, state, lastOp string) *armError {
	return &armError{Status: http.StatusBadRequest, Code: "ReferencedResourceNotProvisioned",
		Message: fmt.Sprintf("Cannot proceed with operation because resource %s used by resource %s is not in Succeeded state. Resource is in %s state and the last operation that updated/is updating the resource is %s.", ref, by, state, lastOp)}
}

// errBusy: another LRO runs on the resource or its parent (real code and
// text; real Network RP sometimes reports it through the async operation).
func errBusy(statusURL string) *armError {
	return &armError{Status: http.StatusConflict, Code: "AnotherOperationInProgress",
		Message: "Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: " + statusURL + "."}
}

func errBody(err error) *armError {
	return badRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: '%v'.", err)
}

func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
