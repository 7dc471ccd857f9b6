package azuresim

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// Real-world durations of the operations this file starts.
const (
	groupDeleteBase     = 30 * time.Second
	groupDeleteGateways = 20 * time.Minute
)

// decode reads an ARM request body into v through the SDK model's own
// UnmarshalJSON.
func decode(r *http.Request, v any) *armError {
	b, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		return errBody(err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return badRequest("InvalidRequestContent", "The request content was invalid and could not be deserialized: 'the request body is empty'.")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errBody(err)
	}
	return nil
}

// serveGroups handles /subscriptions/{sub}/resourcegroups[/{rg}].
func (s *Server) serveGroups(w http.ResponseWriter, r *http.Request, rest []string) {
	if len(rest) == 0 {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		var list []*armresources.ResourceGroup
		s.withLock(func() {
			for _, g := range s.st.Groups {
				list = append(list, clone(g))
			}
		})
		sort.Slice(list, func(i, j int) bool { return deref(list[i].Name) < deref(list[j].Name) })
		writeJSON(w, http.StatusOK, armresources.ResourceGroupListResult{Value: list})
		return
	}
	name := rest[0]
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		var g *armresources.ResourceGroup
		s.withLock(func() {
			if p := s.group(name); p != nil {
				g = clone(p)
			}
		})
		switch {
		case r.Method == http.MethodHead && g == nil:
			w.WriteHeader(http.StatusNotFound)
		case r.Method == http.MethodHead:
			w.WriteHeader(http.StatusNoContent)
		case g == nil:
			writeError(w, errGroupNotFound(name))
		default:
			writeJSON(w, http.StatusOK, g)
		}
	case http.MethodPut:
		s.putGroup(w, r, name)
	case http.MethodDelete:
		s.deleteGroup(w, r, name)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putGroup(w http.ResponseWriter, r *http.Request, name string) {
	var in armresources.ResourceGroup
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if deref(in.Location) == "" {
		writeError(w, badRequest("LocationRequired", "The location property is required for this definition."))
		return
	}
	r0, known := regionOf(*in.Location)
	if !known {
		writeError(w, badRequest("LocationNotAvailableForResourceGroup",
			"The provided location '%s' is not available for resource group. List of available regions is '%s'.", *in.Location, regionNames()))
		return
	}
	in.Location = new(r0.name)
	var (
		out    *armresources.ResourceGroup
		status = http.StatusOK
		e      *armError
	)
	s.withLock(func() {
		old := s.group(name)
		if old != nil && deref(old.Properties.ProvisioningState) == "Deleting" {
			e = errGroupDeleting(name)
			return
		}
		if old != nil && !ieq(deref(old.Location), deref(in.Location)) {
			e = badRequest("InvalidResourceGroupLocation", "Invalid resource group location '%s'. The Resource group already exists in location '%s'.", deref(in.Location), deref(old.Location))
			return
		}
		g := &armresources.ResourceGroup{
			ID: new("/subscriptions/" + s.sub + "/resourceGroups/" + name), Name: new(name),
			Type: new("Microsoft.Resources/resourceGroups"), Location: in.Location, Tags: in.Tags,
			Properties: &armresources.ResourceGroupProperties{ProvisioningState: new("Succeeded")},
		}
		if old != nil {
			g.ID, g.Name = old.ID, old.Name
		} else {
			status = http.StatusCreated
		}
		s.st.Groups[strings.ToLower(name)] = g
		out = clone(g)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.env.Stats.Mutation()
	writeJSON(w, status, out)
}

// deleteGroup starts ARM's cascading delete: everything in the group goes.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request, name string) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() {
		g := s.group(name)
		if g == nil {
			e = errGroupNotFound(name)
			return
		}
		key := strings.ToLower(name)
		if id, ok := s.pending[key]; ok {
			op = s.st.Ops[id]
			return
		}
		d := groupDeleteBase
		prefix := s.groupPrefix(name)
		for id := range s.st.gateways() {
			if strings.HasPrefix(id, prefix) {
				d = groupDeleteGateways
			}
		}
		g.Properties.ProvisioningState = new("Deleting")
		op = s.startLocked(r, opGroupDelete, key, deref(g.Location), d) // groups are keyed by lower-case name
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.env.Stats.Mutation()
	s.acceptLRO(w, r, op, true)
	w.WriteHeader(http.StatusAccepted)
}

// errGroupDeleting is ARM's answer for a write into a group being deleted.
func errGroupDeleting(rg string) *armError {
	return &armError{Status: http.StatusConflict, Code: "ResourceGroupBeingDeleted",
		Message: "The resource group '" + rg + "' is in deprovisioning state and cannot perform this operation."}
}
