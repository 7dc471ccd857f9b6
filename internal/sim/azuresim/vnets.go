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

// vnetKind: virtualNetworks, with their subnets inside (subnets.go).
var vnetKind = &kindOf[armnetwork.VirtualNetwork]{
	segment: "virtualNetworks", armType: typeVNet,
	times: fixed(vnetDurations),
	meta: func(v *armnetwork.VirtualNetwork) meta {
		return meta{&v.ID, &v.Name, &v.Type, &v.Etag, &v.Location, &v.Properties.ResourceGUID, &v.Properties.ProvisioningState}
	},
	check: (*Server).checkVNetLocked,
	tags:  func(v *armnetwork.VirtualNetwork) *map[string]*string { return &v.Tags },
	view:  (*Server).decorateVNetLocked,
	inUse: func(s *Server, v *armnetwork.VirtualNetwork, _ string) *armError {
		for _, sn := range v.Properties.Subnets {
			if e := s.subnetFreeLocked(sn); e != nil {
				return e
			}
		}
		return nil
	},
	sub: func(_ *kindOf[armnetwork.VirtualNetwork], s *Server, w http.ResponseWriter, r *http.Request, q req) {
		if !ieq(q.child[0], "subnets") || len(q.child) > 2 {
			writeError(w, errNoRoute(r))
			return
		}
		s.serveSubnet(w, r, q)
	},
	// Inline subnets finish with their VNet.
	onState: func(v *armnetwork.VirtualNetwork, ps armnetwork.ProvisioningState) {
		for _, sn := range v.Properties.Subnets {
			if deref(sn.Properties.ProvisioningState) == armnetwork.ProvisioningStateUpdating {
				sn.Properties.ProvisioningState = new(ps)
			}
		}
	},
	child: &childKind[armnetwork.VirtualNetwork]{
		segment: "subnets", armType: typeSubnet,
		state: func(v *armnetwork.VirtualNetwork, id string) **armnetwork.ProvisioningState {
			if sn := subnetIn(v, id); sn != nil {
				return &sn.Properties.ProvisioningState
			}
			return nil
		},
		remove: func(v *armnetwork.VirtualNetwork, id string) {
			v.Properties.Subnets = slices.DeleteFunc(v.Properties.Subnets, func(sn *armnetwork.Subnet) bool { return strings.ToLower(deref(sn.ID)) == id })
		},
		each: func(v *armnetwork.VirtualNetwork, add func(typ string, id, name *string)) {
			for _, sn := range v.Properties.Subnets {
				add(typeSubnet, sn.ID, sn.Name)
			}
		},
	},
}

func (st *state) vnets() map[string]*armnetwork.VirtualNetwork {
	return table[armnetwork.VirtualNetwork](st, "virtualNetworks")
}

// checkVNetLocked keeps what a VNet PUT may set (address space, subnets,
// DHCP options), fills the subnets' read-only fields, checks them against
// the address space, and refuses to drop a subnet that is in use.
func (s *Server) checkVNetLocked(in, old *armnetwork.VirtualNetwork, id string) *armError {
	if e := checkLocation(&in.Location, typeVNet); e != nil {
		return e
	}
	if in.Properties == nil || in.Properties.AddressSpace == nil || len(in.Properties.AddressSpace.AddressPrefixes) == 0 {
		return badRequest("InvalidAddressSpace", "Virtual network %s needs properties.addressSpace.addressPrefixes with at least one CIDR.", id) // unverified code
	}
	for _, sn := range in.Properties.Subnets {
		if sn == nil || deref(sn.Name) == "" {
			return badRequest("InvalidRequestFormat", "Cannot parse the request: every subnet of properties.subnets needs a name.")
		}
		s.fillSubnet(sn, id, subnetIn(old, strings.ToLower(id+"/subnets/"+deref(sn.Name))))
	}
	name := id[strings.LastIndex(id, "/")+1:]
	if e := checkSubnets(name, derefAll(in.Properties.AddressSpace.AddressPrefixes), in.Properties.Subnets, id); e != nil {
		return e
	}
	if old != nil {
		for _, sn := range old.Properties.Subnets {
			if subnetIn(in, strings.ToLower(deref(sn.ID))) == nil {
				if e := s.subnetFreeLocked(sn); e != nil {
					return e
				}
			}
		}
	}
	*in = armnetwork.VirtualNetwork{Location: in.Location, Tags: in.Tags,
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: in.Properties.AddressSpace, Subnets: in.Properties.Subnets, DhcpOptions: in.Properties.DhcpOptions,
		}}
	return nil
}

// fillSubnet sets the read-only fields of a subnet being written.
func (s *Server) fillSubnet(sn *armnetwork.Subnet, vnetID string, old *armnetwork.Subnet) {
	sn.ID = new(vnetID + "/subnets/" + deref(sn.Name))
	sn.Type = new(typeSubnet)
	sn.Etag = etag()
	if sn.Properties == nil {
		sn.Properties = &armnetwork.SubnetPropertiesFormat{}
	}
	sn.Properties.IPConfigurations = nil
	sn.Properties.ProvisioningState = new(armnetwork.ProvisioningStateSucceeded)
	if old == nil || !slices.Equal(subnetPrefixes(old), subnetPrefixes(sn)) {
		sn.Properties.ProvisioningState = new(armnetwork.ProvisioningStateUpdating)
	}
}

// subnetUsersLocked lists the gateway IP configurations placed in a subnet.
func (s *Server) subnetUsersLocked(subnetID string) []string {
	var out []string
	for _, g := range s.st.gateways() {
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
		sn.Properties.IPConfigurations = append(sn.Properties.IPConfigurations, &armnetwork.IPConfiguration{ID: new(u)})
	}
}

func derefAll(ps []*string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, deref(p))
	}
	return out
}
