package azuresim

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// serveSubnet handles virtualNetworks/{vnet}/subnets[/{name}].
func (s *Server) serveSubnet(w http.ResponseWriter, r *http.Request, q req) {
	vnetID := s.networkID(q.rg, q.typ, q.name)
	var name string
	if len(q.child) == 2 {
		name = q.child[1]
	}
	switch {
	case name == "" && r.Method == http.MethodGet:
		var (
			list []*armnetwork.Subnet
			e    *armError
		)
		s.withLock(func() {
			v := s.st.vnets()[strings.ToLower(vnetID)]
			if v == nil {
				e = errResourceNotFound(typeVNet, q.name, q.rg)
				return
			}
			c := clone(v)
			s.decorateVNetLocked(c)
			list = c.Properties.Subnets
		})
		answer(w, e, armnetwork.SubnetListResult{Value: list})
	case name == "":
		methodNotAllowed(w, r)
	case r.Method == http.MethodGet:
		var (
			out *armnetwork.Subnet
			e   *armError
		)
		s.withLock(func() {
			id := vnetID + "/subnets/" + name
			v := s.st.vnets()[strings.ToLower(vnetID)]
			sn := subnetIn(v, strings.ToLower(id))
			switch {
			case v == nil:
				e = errResourceNotFound(typeVNet, q.name, q.rg)
			case sn == nil:
				e = errNotFoundID(id)
			default:
				out = clone(sn)
				s.decorateSubnetLocked(out)
			}
		})
		answer(w, e, out)
	case r.Method == http.MethodPut:
		s.putSubnet(w, r, q, vnetID, name)
	case r.Method == http.MethodDelete:
		s.deleteSubnet(w, r, q, vnetID, name)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putSubnet(w http.ResponseWriter, r *http.Request, q req, vnetID, name string) {
	var in armnetwork.Subnet
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	var (
		op  *operation
		out *armnetwork.Subnet
		e   *armError
	)
	s.withLock(func() {
		id := vnetID + "/subnets/" + name
		v := s.st.vnets()[strings.ToLower(vnetID)]
		if v == nil {
			e = errResourceNotFound(typeVNet, q.name, q.rg)
			return
		}
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		old := subnetIn(v, strings.ToLower(id))
		in.Name = new(name)
		s.fillSubnet(&in, deref(v.ID), old)
		in.Properties.ProvisioningState = new(armnetwork.ProvisioningStateUpdating)
		if old != nil && !slices.Equal(subnetPrefixes(old), subnetPrefixes(&in)) && len(s.subnetUsersLocked(id)) > 0 {
			e = badRequest("InUseSubnetCannotBeUpdated", "Subnet %s is in use by %s and its address prefix cannot be changed.", name, strings.Join(s.subnetUsersLocked(id), ", ")) // unverified code
			return
		}
		subnets := slices.DeleteFunc(slices.Clone(v.Properties.Subnets), func(sn *armnetwork.Subnet) bool { return sn == old })
		subnets = append(subnets, &in)
		if e = checkSubnets(deref(v.Name), derefAll(v.Properties.AddressSpace.AddressPrefixes), subnets, deref(v.ID)); e != nil {
			return
		}
		if old != nil {
			*old = in
		} else {
			v.Properties.Subnets = append(v.Properties.Subnets, &in)
		}
		v.Properties.ProvisioningState = new(armnetwork.ProvisioningStateUpdating) // a subnet write updates its VNet
		d := vnetDurations.update
		if old == nil {
			d = vnetDurations.create
		}
		op = s.startLocked(r, opPut, deref(in.ID), deref(v.Location), d)
		op.Created = old == nil
		out = clone(&in)
		s.decorateSubnetLocked(out)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerPut(w, r, op, out)
}

func (s *Server) deleteSubnet(w http.ResponseWriter, r *http.Request, q req, vnetID, name string) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() {
		id := vnetID + "/subnets/" + name
		v := s.st.vnets()[strings.ToLower(vnetID)]
		sn := subnetIn(v, strings.ToLower(id))
		if sn == nil {
			return
		}
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		if e = s.subnetFreeLocked(sn); e != nil {
			return
		}
		op = s.startDeleteLocked(r, deref(sn.ID), deref(v.Location), &sn.Properties.ProvisioningState, vnetDurations)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerDelete(w, r, op)
}

// subnetSettle is how long a subnet and its VNet still read Updating after
// the subnet PUT's operation reported Succeeded. Real Azure does this:
// azurerm polls GET until both the subnet and the VNet are Succeeded after
// every subnet create/update (subnet_resource.go,
// custompollers/virtual_network_and_subnet_provisioning_state_poller.go;
// azurerm#13105, PR #13294; #30197 "Subnet creation completed, but the
// resource is still in Updating state"), and a gateway placed in a fresh
// subnet can be refused with ReferencedResourceNotProvisioned naming
// PutSubnetOperation (microsoft/AzureTRE#3671). How long it lasts is not
// documented: 10 s is a guess.
const subnetSettle = 10 * time.Second

// settleSubnetLocked keeps a subnet whose PUT just succeeded, and its VNet,
// Updating for subnetSettle; false when op is not a subnet's.
func (s *Server) settleSubnetLocked(op *operation) bool {
	i := strings.Index(op.Target, "/subnets/")
	if i < 0 {
		return false
	}
	v := s.st.vnets()[op.Target[:i]]
	if subnetIn(v, op.Target) == nil {
		return false
	}
	v.Properties.ProvisioningState = new(armnetwork.ProvisioningStateUpdating)
	s.settleLocked(opSubnetSettle, op, subnetSettle)
	return true
}

// subnetSettledLocked ends the lag: subnet and VNet read Succeeded.
func (s *Server) subnetSettledLocked(id string) {
	v := s.st.vnets()[id[:max(strings.Index(id, "/subnets/"), 0)]]
	if sn := subnetIn(v, id); sn != nil {
		sn.Properties.ProvisioningState = new(armnetwork.ProvisioningStateSucceeded)
		v.Properties.ProvisioningState = new(armnetwork.ProvisioningStateSucceeded)
	}
}
