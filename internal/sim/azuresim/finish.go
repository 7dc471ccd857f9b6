package azuresim

import (
	"encoding/json"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// finishLocked applies a finished operation to the state and queues the
// events the lab acts on.
func (s *Server) finishLocked(op *operation) {
	ok := op.Status == statusSucceeded
	final := armnetwork.ProvisioningStateSucceeded
	if !ok {
		final = armnetwork.ProvisioningStateFailed
	}
	switch op.Kind {
	case opPut:
		if ok && s.settleSubnetLocked(op) {
			return
		}
		k := s.setProvisioningLocked(op.Target, final)
		if ok && k != nil {
			k.putDone(s, op)
		}
	case opDelete:
		if ok {
			s.removeLocked(op.Target, op.ResourceID)
		} else {
			s.setProvisioningLocked(op.Target, final)
		}
	case opSetSharedKey, opResetSharedKey:
		s.keySetLocked(op, final)
	case opKeySettle:
		s.keySettledLocked(op)
	case opGatewayReset:
		s.setProvisioningLocked(op.Target, final)
	case opSubnetSettle:
		s.subnetSettledLocked(op.Target)
	case opGroupDelete:
		g := s.st.Groups[op.Target]
		if g == nil {
			return
		}
		if !ok {
			g.Properties.ProvisioningState = new("Succeeded")
			return
		}
		s.removeGroupLocked(op.Target)
	}
}

// setProvisioningLocked sets the provisioningState of the resource with the
// lower-case id and returns its kind (nil when it is gone).
func (s *Server) setProvisioningLocked(id string, ps armnetwork.ProvisioningState) kind {
	for _, k := range kinds {
		if k.setState(s, id, ps) {
			return k
		}
	}
	return nil
}

// removeLocked deletes the resource with the lower-case id.
func (s *Server) removeLocked(id, armID string) {
	for _, k := range kinds {
		if k.remove(s, id, armID) {
			return
		}
	}
}

// removeGroupLocked deletes a resource group and everything in it, as ARM
// does, kind by kind in teardown order (connections first, so the lab tears
// tunnels down before gateways), and cancels the operations in flight there.
func (s *Server) removeGroupLocked(rg string) {
	prefix := "/subscriptions/" + strings.ToLower(s.sub) + "/resourcegroups/" + rg + "/"
	for _, k := range kinds {
		for key, armID := range k.keys(s.st, prefix) {
			s.removeLocked(key, armID)
		}
	}
	for target, opID := range s.pending {
		if strings.HasPrefix(target, prefix) {
			delete(s.pending, target)
			if op := s.st.Ops[opID]; op != nil {
				op.Status = statusFailed
				op.Error = &armError{Code: "Canceled", Message: "The operation was canceled because resource group '" + rg + "' was deleted.", Details: []armError{}}
			}
		}
	}
	delete(s.st.Groups, rg)
}

// subnetIn finds a subnet of v by lower-case ID.
func subnetIn(v *armnetwork.VirtualNetwork, id string) *armnetwork.Subnet {
	if v == nil || v.Properties == nil {
		return nil
	}
	for _, sn := range v.Properties.Subnets {
		if strings.ToLower(deref(sn.ID)) == id {
			return sn
		}
	}
	return nil
}

// clone deep-copies an SDK model through its own JSON, so responses and
// snapshots never alias the state.
func clone[T any](v *T) *T { return convert[T](v) }

// convert moves an SDK model into another with the same JSON shape (a
// connection into a list entity); clone is convert into the same type.
func convert[T any](v any) *T {
	out := new(T)
	b, err := json.Marshal(v)
	if err == nil {
		_ = json.Unmarshal(b, out)
	}
	return out
}
