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
		typ := s.setProvisioningLocked(op.Target, final)
		if !ok {
			return
		}
		switch typ {
		case typeGateway:
			if op.Created {
				s.emit("azure.gateway.created", op.ResourceID)
			}
		case typeLocalGateway:
			s.emit("azure.localgateway.updated", op.ResourceID)
		case typeConnection:
			if op.Created {
				s.emit("azure.connection.created", op.ResourceID)
			} else {
				s.emit("azure.connection.updated", op.ResourceID)
			}
		}
	case opDelete:
		if ok {
			s.removeLocked(op.Target, op.ResourceID)
		} else {
			s.setProvisioningLocked(op.Target, final)
		}
	case opSetSharedKey, opResetSharedKey:
		c := s.st.Connections[op.Target]
		if c == nil {
			return
		}
		c.Properties.ProvisioningState = ptr(final)
		if ok {
			c.Properties.SharedKey = ptr(op.SharedKey)
			s.emit("azure.connection.updated", op.ResourceID)
		}
	case opGatewayReset:
		s.setProvisioningLocked(op.Target, final)
	case opGroupDelete:
		g := s.st.Groups[op.Target]
		if g == nil {
			return
		}
		if !ok {
			g.Properties.ProvisioningState = ptr("Succeeded")
			return
		}
		s.removeGroupLocked(op.Target)
	}
}

// setProvisioningLocked sets the provisioningState of the resource with the
// lower-case id and returns its type ("" when it is gone).
func (s *Server) setProvisioningLocked(id string, ps armnetwork.ProvisioningState) string {
	if v := s.st.VNets[id]; v != nil {
		v.Properties.ProvisioningState = ptr(ps)
		for _, sn := range v.Properties.Subnets { // inline subnets finish with their VNet
			if deref(sn.Properties.ProvisioningState) == armnetwork.ProvisioningStateUpdating {
				sn.Properties.ProvisioningState = ptr(ps)
			}
		}
		return typeVNet
	}
	if i := strings.Index(id, "/subnets/"); i >= 0 {
		if sn := subnetIn(s.st.VNets[id[:i]], id); sn != nil {
			sn.Properties.ProvisioningState = ptr(ps)
			return typeSubnet
		}
		return ""
	}
	if p := s.st.PublicIPs[id]; p != nil {
		p.Properties.ProvisioningState = ptr(ps)
		return typePublicIP
	}
	if g := s.st.Gateways[id]; g != nil {
		g.Properties.ProvisioningState = ptr(ps)
		return typeGateway
	}
	if l := s.st.LocalGateways[id]; l != nil {
		l.Properties.ProvisioningState = ptr(ps)
		return typeLocalGateway
	}
	if c := s.st.Connections[id]; c != nil {
		c.Properties.ProvisioningState = ptr(ps)
		return typeConnection
	}
	return ""
}

// removeLocked deletes the resource with the lower-case id.
func (s *Server) removeLocked(id, armID string) {
	switch {
	case s.st.VNets[id] != nil:
		delete(s.st.VNets, id)
	case strings.Contains(id, "/subnets/"):
		v := s.st.VNets[id[:strings.Index(id, "/subnets/")]]
		if v == nil {
			return
		}
		kept := v.Properties.Subnets[:0]
		for _, sn := range v.Properties.Subnets {
			if strings.ToLower(deref(sn.ID)) != id {
				kept = append(kept, sn)
			}
		}
		v.Properties.Subnets = kept
	case s.st.PublicIPs[id] != nil:
		delete(s.st.PublicIPs, id)
	case s.st.Gateways[id] != nil:
		delete(s.st.Gateways, id)
		s.emit("azure.gateway.deleted", armID)
	case s.st.LocalGateways[id] != nil:
		delete(s.st.LocalGateways, id)
	case s.st.Connections[id] != nil:
		delete(s.st.Connections, id)
		s.emit("azure.connection.deleted", armID)
	}
}

// removeGroupLocked deletes a resource group and everything in it, as ARM
// does; connections go first so the lab tears tunnels down before gateways.
func (s *Server) removeGroupLocked(rg string) {
	prefix := "/subscriptions/" + strings.ToLower(s.sub) + "/resourcegroups/" + rg + "/"
	for id, c := range s.st.Connections {
		if strings.HasPrefix(id, prefix) {
			s.removeLocked(id, deref(c.ID))
		}
	}
	for id, g := range s.st.Gateways {
		if strings.HasPrefix(id, prefix) {
			s.removeLocked(id, deref(g.ID))
		}
	}
	for id := range s.st.VNets {
		if strings.HasPrefix(id, prefix) {
			delete(s.st.VNets, id)
		}
	}
	for id := range s.st.PublicIPs {
		if strings.HasPrefix(id, prefix) {
			delete(s.st.PublicIPs, id)
		}
	}
	for id := range s.st.LocalGateways {
		if strings.HasPrefix(id, prefix) {
			delete(s.st.LocalGateways, id)
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
func clone[T any](v *T) *T {
	out := new(T)
	b, err := json.Marshal(v)
	if err == nil {
		_ = json.Unmarshal(b, out)
	}
	return out
}

// convert moves an SDK model into another with the same JSON shape (a
// connection into a list entity).
func convert[T any](v any) *T {
	out := new(T)
	b, err := json.Marshal(v)
	if err == nil {
		_ = json.Unmarshal(b, out)
	}
	return out
}
