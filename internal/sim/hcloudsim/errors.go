package hcloudsim

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// apiError is an error answer in Hetzner's shape:
// {"error":{"code","message","details"}}. Handlers return it before they
// change any state, so a refused request never leaves a half-applied change.
type apiError struct {
	Status  int
	Code    string
	Message string
	Details any
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// statusByCode maps Hetzner error codes to the HTTP status the real API uses
// (Hetzner Cloud API reference, "Errors"). Resource-specific codes that the
// reference lists without a status (ip_not_available, networks_overlap, ...)
// are answered with 409 or 422 here; hcloud-go only looks at the code.
var statusByCode = map[string]int{
	"invalid_input":           http.StatusBadRequest,
	"json_error":              http.StatusBadRequest,
	"unauthorized":            http.StatusUnauthorized,
	"forbidden":               http.StatusForbidden,
	"protected":               http.StatusForbidden,
	"resource_limit_exceeded": http.StatusForbidden,
	"not_found":               http.StatusNotFound,
	"method_not_allowed":      http.StatusMethodNotAllowed,
	"conflict":                http.StatusConflict,
	"uniqueness_error":        http.StatusConflict,
	"locked":                  http.StatusLocked,
	"rate_limit_exceeded":     http.StatusTooManyRequests,
	"server_error":            http.StatusInternalServerError,
	"service_error":           http.StatusUnprocessableEntity,
	"ip_not_available":        http.StatusConflict,
	"no_subnet_available":     http.StatusConflict,
	"networks_overlap":        http.StatusConflict,
	"server_already_attached": http.StatusConflict,
	"server_not_stopped":      http.StatusConflict,
	"server_has_ipv4":         http.StatusConflict,
	"server_has_ipv6":         http.StatusConflict,
	// The create-server error table of the API reference (glama
	// the-real-hetzner-mcp hcloud_create_server): primary_ip_assigned,
	// _datacenter_mismatch ("different location") 422, _version_mismatch 412.
	"primary_ip_assigned":            http.StatusUnprocessableEntity,
	"primary_ip_already_assigned":    http.StatusConflict,
	"primary_ip_datacenter_mismatch": http.StatusUnprocessableEntity,
	"primary_ip_version_mismatch":    http.StatusPreconditionFailed,
	"firewall_already_applied":       http.StatusConflict,
	"firewall_already_removed":       http.StatusConflict,
	"firewall_resource_not_found":    http.StatusNotFound,
	// resource_in_use is 422 in the reference ("Firewall must not be in use
	// to be deleted", glama the-real-hetzner-mcp hcloud_delete_firewall).
	"resource_in_use": http.StatusUnprocessableEntity,
	// The capacity codes (capacity.go): 412 as in
	// jenkinsci/hetzner-cloud-plugin#21, 422 per the create-server table.
	"resource_unavailable":    http.StatusPreconditionFailed,
	"placement_error":         http.StatusUnprocessableEntity,
	"private_net_only_server": http.StatusUnprocessableEntity,
}

func errf(code, format string, args ...any) *apiError {
	st, ok := statusByCode[code]
	if !ok {
		st = http.StatusUnprocessableEntity
	}
	return &apiError{Status: st, Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalidField answers invalid_input with details.fields naming the request
// field, as the real API does, so clients can point users at the attribute.
func invalidField(field, format string, args ...any) *apiError {
	msg := fmt.Sprintf(format, args...)
	e := errf("invalid_input", "invalid input in field '%s': %s", field, msg)
	e.Details = fieldDetails{Fields: []fieldMessages{{Name: field, Messages: []string{msg}}}}
	return e
}

// fieldDetails mirrors schema.ErrorDetailsInvalidInput, whose anonymous
// element type cannot be built outside the schema package.
type fieldDetails struct {
	Fields []fieldMessages `json:"fields"`
}

type fieldMessages struct {
	Name     string   `json:"name"`
	Messages []string `json:"messages"`
}

func notFound(kind string, id int64) *apiError {
	return errf("not_found", "%s with ID %d not found", kind, id)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if body == nil {
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

func writeError(w http.ResponseWriter, e *apiError) {
	details, _ := json.Marshal(e.Details)
	if e.Details == nil {
		details = []byte("{}")
	}
	writeJSON(w, e.Status, schema.ErrorResponse{Error: schema.Error{
		Code: e.Code, Message: e.Message, DetailsRaw: details,
	}})
}
