package azuresim

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// A VNet or subnet change takes a few seconds in real Azure.
var vnetDurations = durations{create: 5 * time.Second, update: 5 * time.Second, delete: 10 * time.Second}

// serveVNet handles virtualNetworks and virtualNetworks/{name}.
func (s *Server) serveVNet(w http.ResponseWriter, r *http.Request, q req) {
	if q.name == "" {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		var list []*armnetwork.VirtualNetwork
		s.withLock(func() {
			list = listIn(s.st.VNets, s.groupPrefix(q.rg)+"virtualnetworks/")
			for _, v := range list {
				s.decorateVNetLocked(v)
			}
		})
		writeJSON(w, http.StatusOK, armnetwork.VirtualNetworkListResult{Value: list})
		return
	}
	switch r.Method {
	case http.MethodGet:
		var (
			out *armnetwork.VirtualNetwork
			e   *armError
		)
		s.withLock(func() {
			v := s.st.VNets[strings.ToLower(s.networkID(q.rg, q.typ, q.name))]
			if v == nil {
				e = errResourceNotFound(typeVNet, q.name, q.rg)
				return
			}
			out = clone(v)
			s.decorateVNetLocked(out)
		})
		answer(w, e, out)
	case http.MethodPut:
		s.putVNet(w, r, q)
	case http.MethodDelete:
		s.deleteVNet(w, r, q)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putVNet(w http.ResponseWriter, r *http.Request, q req) {
	var in armnetwork.VirtualNetwork
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	var (
		op  *operation
		out *armnetwork.VirtualNetwork
		e   *armError
	)
	s.withLock(func() {
		id := s.networkID(q.rg, q.typ, q.name)
		key := strings.ToLower(id)
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		if deref(in.Location) == "" {
			e = badRequest("LocationRequired", "The location property is required for this definition.")
			return
		}
		if in.Properties == nil || in.Properties.AddressSpace == nil || len(in.Properties.AddressSpace.AddressPrefixes) == 0 {
			e = badRequest("InvalidAddressSpace", "Virtual network %s needs properties.addressSpace.addressPrefixes with at least one CIDR.", id) // unverified code
			return
		}
		old := s.st.VNets[key]
		for _, sn := range in.Properties.Subnets {
			if sn == nil || deref(sn.Name) == "" {
				e = badRequest("InvalidRequestFormat", "Cannot parse the request: every subnet of properties.subnets needs a name.")
				return
			}
			s.fillSubnet(sn, id, subnetIn(old, strings.ToLower(id+"/subnets/"+deref(sn.Name))))
		}
		if e = checkSubnets(q.name, derefAll(in.Properties.AddressSpace.AddressPrefixes), in.Properties.Subnets, id); e != nil {
			return
		}
		if old != nil {
			for _, sn := range old.Properties.Subnets {
				if subnetIn(&in, strings.ToLower(deref(sn.ID))) == nil {
					if e = s.subnetFreeLocked(sn); e != nil {
						return
					}
				}
			}
		}
		v := &armnetwork.VirtualNetwork{
			ID: ptr(id), Name: ptr(q.name), Type: ptr(typeVNet), Location: in.Location, Tags: in.Tags, Etag: etag(),
			Properties: &armnetwork.VirtualNetworkPropertiesFormat{
				AddressSpace: in.Properties.AddressSpace, Subnets: in.Properties.Subnets, DhcpOptions: in.Properties.DhcpOptions,
				ProvisioningState: ptr(armnetwork.ProvisioningStateUpdating), ResourceGUID: ptr(newGUID()),
			},
		}
		d := vnetDurations.create
		if old != nil {
			v.Properties.ResourceGUID = old.Properties.ResourceGUID
			d = vnetDurations.update
		}
		s.st.VNets[key] = v
		op = s.startLocked(r, opPut, id, deref(in.Location), d)
		op.Created = old == nil
		out = clone(v)
		s.decorateVNetLocked(out)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerPut(w, r, op, out)
}

func (s *Server) deleteVNet(w http.ResponseWriter, r *http.Request, q req) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() {
		id := s.networkID(q.rg, q.typ, q.name)
		v := s.st.VNets[strings.ToLower(id)]
		if v == nil {
			return
		}
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		for _, sn := range v.Properties.Subnets {
			if e = s.subnetFreeLocked(sn); e != nil {
				return
			}
		}
		op = s.startDeleteLocked(r, id, deref(v.Location), &v.Properties.ProvisioningState, vnetDurations)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerDelete(w, r, op)
}

// fillSubnet sets the read-only fields of a subnet being written.
func (s *Server) fillSubnet(sn *armnetwork.Subnet, vnetID string, old *armnetwork.Subnet) {
	sn.ID = ptr(vnetID + "/subnets/" + deref(sn.Name))
	sn.Type = ptr(typeSubnet)
	sn.Etag = etag()
	if sn.Properties == nil {
		sn.Properties = &armnetwork.SubnetPropertiesFormat{}
	}
	sn.Properties.IPConfigurations = nil
	sn.Properties.ProvisioningState = ptr(armnetwork.ProvisioningStateSucceeded)
	if old == nil || !slices.Equal(subnetPrefixes(old), subnetPrefixes(sn)) {
		sn.Properties.ProvisioningState = ptr(armnetwork.ProvisioningStateUpdating)
	}
}

// subnetUsersLocked lists the gateway IP configurations placed in a subnet.
func (s *Server) subnetUsersLocked(subnetID string) []string {
	var out []string
	for _, g := range s.st.Gateways {
		for _, ipc := range g.Properties.IPConfigurations {
			if ipc.Properties != nil && ipc.Properties.Subnet != nil && ieq(deref(ipc.Properties.Subnet.ID), subnetID) {
				out = append(out, deref(ipc.ID))
			}
		}
	}
	return out
}

// subnetFreeLocked refuses to remove a subnet a gateway sits in (real code
// and text, aka.ms/deletesubnet).
func (s *Server) subnetFreeLocked(sn *armnetwork.Subnet) *armError {
	if users := s.subnetUsersLocked(deref(sn.ID)); len(users) > 0 {
		return badRequest("InUseSubnetCannotBeDeleted",
			"Subnet %s is in use by %s and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.",
			deref(sn.Name), strings.Join(users, ", "))
	}
	return nil
}

// decorateVNetLocked fills the computed back-references ARM shows on subnets.
func (s *Server) decorateVNetLocked(v *armnetwork.VirtualNetwork) {
	for _, sn := range v.Properties.Subnets {
		s.decorateSubnetLocked(sn)
	}
}

func (s *Server) decorateSubnetLocked(sn *armnetwork.Subnet) {
	users := s.subnetUsersLocked(deref(sn.ID))
	if len(users) == 0 {
		return
	}
	sn.Properties.IPConfigurations = nil
	for _, u := range users {
		sn.Properties.IPConfigurations = append(sn.Properties.IPConfigurations, &armnetwork.IPConfiguration{ID: ptr(u)})
	}
}

func derefAll(ps []*string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, deref(p))
	}
	return out
}
