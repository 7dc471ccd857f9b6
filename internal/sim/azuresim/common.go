package azuresim

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// writableLocked checks what every Microsoft.Network write needs: the group
// exists and is not being deleted, and no other operation runs on id (or, for
// VNets and subnets, on the VNet family).
func (s *Server) writableLocked(r *http.Request, rg, id string) *armError {
	g := s.group(rg)
	if g == nil {
		return errGroupNotFound(rg)
	}
	if deref(g.Properties.ProvisioningState) == "Deleting" {
		return errGroupDeleting(deref(g.Name))
	}
	if op := s.busyLocked(id); op != nil {
		return errBusy(s.opURL(r, op, "operations"))
	}
	return nil
}

// answerPut writes the answer of an accepted PUT: 201 on create, 200 on
// update, the body with its non-terminal provisioningState, and the polling
// headers (Azure-AsyncOperation, Retry-After).
func (s *Server) answerPut(w http.ResponseWriter, r *http.Request, op *operation, body any) {
	s.env.Stats.Mutation()
	s.acceptLRO(w, r, op, false)
	status := http.StatusOK
	if op.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, body)
}

// answerDelete writes 202 with Location and Azure-AsyncOperation, or 204 when
// there was nothing to delete (ARM deletes are idempotent).
func (s *Server) answerDelete(w http.ResponseWriter, r *http.Request, op *operation) {
	if op == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.env.Stats.Mutation()
	s.acceptLRO(w, r, op, true)
	w.WriteHeader(http.StatusAccepted)
}

// answer writes either the error or the value.
func answer(w http.ResponseWriter, e *armError, v any) {
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// listIn returns deep copies of the values whose key starts with prefix,
// ordered by ID, as ARM list calls return one page ({"value": [...]}).
func listIn[T any](m map[string]*T, prefix string) []*T {
	keys := make([]string, 0, len(m))
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]*T, 0, len(keys))
	for _, k := range keys {
		out = append(out, clone(m[k]))
	}
	return out
}

// startDeleteLocked marks a resource Deleting and starts its delete.
func (s *Server) startDeleteLocked(r *http.Request, id, location string, ps **armnetwork.ProvisioningState, d durations) *operation {
	*ps = new(armnetwork.ProvisioningStateDeleting)
	return s.startLocked(r, opDelete, id, location, d.delete)
}

// durations are the real-world times of one resource type's operations.
type durations struct{ create, update, delete time.Duration }

func etag() *string { return new(`W/"` + newGUID() + `"`) }

// isSucceeded reports a terminal, usable provisioning state.
func isSucceeded(ps *armnetwork.ProvisioningState) bool {
	return ps != nil && *ps == armnetwork.ProvisioningStateSucceeded
}

// refOK checks that a referenced resource exists (InvalidResourceReference)
// and has finished provisioning (ReferencedResourceNotProvisioned); lastOp
// names its kind's PUT operation for the message.
func refOK(exists bool, ps *armnetwork.ProvisioningState, ref, by, lastOp string) *armError {
	if !exists {
		return errInvalidReference(ref, by)
	}
	if !isSucceeded(ps) {
		return errNotProvisioned(ref, by, fmtState(ps), lastOp)
	}
	return nil
}

// Operation names in ReferencedResourceNotProvisioned messages. The subnet,
// public IP and NIC names appear in field reports (see errNotProvisioned);
// the others follow their pattern and are unverified.
const (
	putOpVNet         = "PutVirtualNetworkOperation"
	putOpSubnet       = "PutSubnetOperation"
	putOpPublicIP     = "PutPublicIpAddressOperation"
	putOpGateway      = "PutVirtualNetworkGatewayOperation"
	putOpLocalGateway = "PutLocalNetworkGatewayOperation"
	putOpConnection   = "PutVirtualNetworkGatewayConnectionOperation"
)
