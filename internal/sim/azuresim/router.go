package azuresim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// API versions accepted. The SDK modules the provider uses send
// armnetwork/v9 v9.0.0: 2025-05-01 and armresources v1.2.0: 2021-04-01
// (grep "api-version" in the module cache); 2024-05-01 and 2025-01-01 are the
// spec and the azurerm versions named in docs/facts/arm-shapes.md.
var (
	networkAPIVersions = []string{"2024-05-01", "2025-01-01", "2025-05-01"}
	groupAPIVersions   = []string{"2021-04-01"}
)

// req is one parsed ARM request path below /subscriptions/{sub}.
type req struct {
	rg    string   // resource group name as the URL spells it
	typ   string   // canonical Microsoft.Network type segment, e.g. "virtualNetworks"
	name  string   // resource name ("" for a list)
	child []string // segments after the name, e.g. ["subnets","x"], ["sharedkey","reset"]
}

func ieq(a, b string) bool { return strings.EqualFold(a, b) }

// route dispatches a request that passed auth and faults.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(segs) < 3 || !ieq(segs[0], "subscriptions") {
		writeError(w, &armError{Status: http.StatusNotFound, Code: "NotFound", Message: "No HTTP resource was found that matches the request URI '" + r.URL.Path + "'."})
		return
	}
	if !ieq(segs[1], s.sub) {
		writeError(w, &armError{Status: http.StatusNotFound, Code: "SubscriptionNotFound", Message: fmt.Sprintf("The subscription '%s' could not be found.", segs[1])})
		return
	}
	rest := segs[2:]
	switch {
	case ieq(rest[0], "resourcegroups") && len(rest) <= 2:
		if s.apiVersionOK(w, r, groupAPIVersions, "") {
			s.serveGroups(w, r, rest[1:])
		}
	case ieq(rest[0], "providers") && len(rest) == 2:
		if s.apiVersionOK(w, r, groupAPIVersions, "") {
			s.serveProvider(w, r, rest[1])
		}
	case ieq(rest[0], "operationresults") && len(rest) == 2:
		if s.apiVersionOK(w, r, groupAPIVersions, "") {
			s.serveOperationResult(w, r, rest[1])
		}
	case ieq(rest[0], "resourcegroups") && len(rest) >= 5 && ieq(rest[2], "providers") && ieq(rest[3], "Microsoft.Network"):
		s.serveNetwork(w, r, rest[1], rest[4:])
	case ieq(rest[0], "resourcegroups") && len(rest) >= 4 && ieq(rest[2], "providers"):
		writeError(w, badRequest("InvalidResourceNamespace", "The resource namespace '%s' is invalid. crosscloud-sim serves Microsoft.Network only.", rest[3]))
	case len(rest) == 6 && ieq(rest[0], "providers") && ieq(rest[1], "Microsoft.Network") && ieq(rest[2], "locations") &&
		(ieq(rest[4], "operations") || ieq(rest[4], "operationResults")):
		if !s.apiVersionOK(w, r, networkAPIVersions, "locations/operations") {
			return
		}
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
		} else if ieq(rest[4], "operations") {
			s.serveOperationStatus(w, r, rest[5])
		} else {
			s.serveOperationResult(w, r, rest[5])
		}
	default:
		writeError(w, &armError{Status: http.StatusNotFound, Code: "NotFound", Message: "No HTTP resource was found that matches the request URI '" + r.URL.Path + "'."})
	}
}

// serveNetwork dispatches /resourceGroups/{rg}/providers/Microsoft.Network/{type}[/{name}[/...]]
// to the kind that owns {type}.
func (s *Server) serveNetwork(w http.ResponseWriter, r *http.Request, rg string, segs []string) {
	k := kindFor(segs[0])
	if k == nil {
		writeError(w, &armError{Status: http.StatusNotFound, Code: "InvalidResourceType",
			Message: fmt.Sprintf("The resource type '%s' could not be found in the namespace 'Microsoft.Network' for api version '%s'.", segs[0], r.URL.Query().Get("api-version"))})
		return
	}
	q := req{rg: rg, typ: k.seg()}
	if len(segs) > 1 {
		q.name = segs[1]
		q.child = segs[2:]
	}
	if !s.apiVersionOK(w, r, networkAPIVersions, q.typ) {
		return
	}
	k.serve(s, w, r, q)
}

// apiVersionOK refuses a missing or unsupported api-version with ARM's
// shapes: MissingApiVersionParameter, InvalidApiVersionParameter
// (Microsoft.Resources) or NoRegisteredProviderFound (resource providers);
// texts as quoted in Azure/azure-cli#28038 and #28496.
func (s *Server) apiVersionOK(w http.ResponseWriter, r *http.Request, ok []string, typ string) bool {
	v := r.URL.Query().Get("api-version")
	switch {
	case v == "":
		writeError(w, badRequest("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."))
	case slices.Contains(ok, v):
		return true
	case typ == "":
		writeError(w, badRequest("InvalidApiVersionParameter", "The api-version '%s' is invalid. The supported versions are '%s'.", v, strings.Join(ok, ",")))
	default:
		writeError(w, badRequest("NoRegisteredProviderFound",
			"No registered resource provider found for location '%s' and API version '%s' for type '%s'. The supported api-versions are '%s'.",
			"westeurope", v, typ, strings.Join(ok, ", ")))
	}
	return false
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, &armError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed",
		Message: fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method)})
}

// networkID builds a Microsoft.Network resource ID, spelling the group as it
// was created.
func (s *Server) networkID(rg, typ, name string) string {
	if g := s.group(rg); g != nil {
		rg = deref(g.Name)
	}
	return "/subscriptions/" + s.sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/" + typ + "/" + name
}

// groupPrefix is the lower-case ID prefix of everything in a group.
func (s *Server) groupPrefix(rg string) string {
	return strings.ToLower("/subscriptions/" + s.sub + "/resourceGroups/" + rg + "/providers/Microsoft.Network/")
}
