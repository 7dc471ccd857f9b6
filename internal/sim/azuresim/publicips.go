package azuresim

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// A public IP takes about ten seconds.
var publicIPDurations = durations{create: 10 * time.Second, update: 10 * time.Second, delete: 10 * time.Second}

// servePublicIP handles publicIPAddresses[/{name}].
func (s *Server) servePublicIP(w http.ResponseWriter, r *http.Request, q req) {
	if q.name == "" {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		var list []*armnetwork.PublicIPAddress
		s.withLock(func() {
			list = listIn(s.st.PublicIPs, s.groupPrefix(q.rg)+"publicipaddresses/")
			for _, p := range list {
				s.decoratePublicIPLocked(p)
			}
		})
		writeJSON(w, http.StatusOK, armnetwork.PublicIPAddressListResult{Value: list})
		return
	}
	id := s.networkID(q.rg, q.typ, q.name)
	switch r.Method {
	case http.MethodGet:
		var (
			out *armnetwork.PublicIPAddress
			e   *armError
		)
		s.withLock(func() {
			p := s.st.PublicIPs[strings.ToLower(id)]
			if p == nil {
				e = errResourceNotFound(typePublicIP, q.name, q.rg)
				return
			}
			out = clone(p)
			s.decoratePublicIPLocked(out)
		})
		answer(w, e, out)
	case http.MethodPut:
		s.putPublicIP(w, r, q)
	case http.MethodDelete:
		var (
			op *operation
			e  *armError
		)
		s.withLock(func() {
			p := s.st.PublicIPs[strings.ToLower(id)]
			if p == nil {
				return
			}
			if e = s.writableLocked(r, q.rg, id); e != nil {
				return
			}
			if user := s.publicIPUserLocked(id); user != "" {
				e = badRequest("PublicIPAddressInUse",
					"Public IP address %s can not be deleted since it is still allocated to resource %s. In order to delete the public IP, disassociate/detach the Public IP address from the resource. To learn how to do this, see aka.ms/deletepublicip.", id, user)
				return
			}
			op = s.startDeleteLocked(r, id, deref(p.Location), &p.Properties.ProvisioningState, publicIPDurations)
		})
		if e != nil {
			writeError(w, e)
			return
		}
		s.answerDelete(w, r, op)
	default:
		methodNotAllowed(w, r)
	}
}

func (s *Server) putPublicIP(w http.ResponseWriter, r *http.Request, q req) {
	var in armnetwork.PublicIPAddress
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	var (
		op  *operation
		out *armnetwork.PublicIPAddress
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
		if in.SKU == nil || in.SKU.Name == nil {
			in.SKU = &armnetwork.PublicIPAddressSKU{Name: ptr(armnetwork.PublicIPAddressSKUNameStandard)}
		}
		if e = enumCheck("sku.name", *in.SKU.Name, armnetwork.PossiblePublicIPAddressSKUNameValues()); e != nil {
			return
		}
		if in.SKU.Tier == nil {
			in.SKU.Tier = ptr(armnetwork.PublicIPAddressSKUTierRegional)
		}
		if in.Properties == nil {
			in.Properties = &armnetwork.PublicIPAddressPropertiesFormat{}
		}
		props := in.Properties
		if props.PublicIPAllocationMethod == nil {
			props.PublicIPAllocationMethod = ptr(armnetwork.IPAllocationMethodDynamic)
			if *in.SKU.Name == armnetwork.PublicIPAddressSKUNameStandard {
				props.PublicIPAllocationMethod = ptr(armnetwork.IPAllocationMethodStatic)
			}
		}
		if e = enumCheck("properties.publicIPAllocationMethod", *props.PublicIPAllocationMethod, armnetwork.PossibleIPAllocationMethodValues()); e != nil {
			return
		}
		if *in.SKU.Name == armnetwork.PublicIPAddressSKUNameStandard && *props.PublicIPAllocationMethod != armnetwork.IPAllocationMethodStatic {
			e = badRequest("StandardSkuPublicIPAddressesMustBeStatic", // unverified code
				"Standard sku publicIp %s must have AllocationMethod set to Static. Set properties.publicIPAllocationMethod to Static.", id)
			return
		}
		old := s.st.PublicIPs[key]
		props.IPAddress = nil
		if old != nil && old.Properties.IPAddress != nil {
			props.IPAddress = old.Properties.IPAddress
		} else if *props.PublicIPAllocationMethod == armnetwork.IPAllocationMethodStatic {
			ip, err := s.allocateIPLocked()
			if err != nil {
				e = err
				return
			}
			props.IPAddress = ptr(ip)
		}
		if props.PublicIPAddressVersion == nil {
			props.PublicIPAddressVersion = ptr(armnetwork.IPVersionIPv4)
		}
		props.IPConfiguration = nil
		props.ProvisioningState = ptr(armnetwork.ProvisioningStateUpdating)
		props.ResourceGUID = ptr(newGUID())
		d := publicIPDurations.create
		if old != nil {
			props.ResourceGUID = old.Properties.ResourceGUID
			d = publicIPDurations.update
		}
		p := &armnetwork.PublicIPAddress{ID: ptr(id), Name: ptr(q.name), Type: ptr(typePublicIP), Location: in.Location,
			Tags: in.Tags, SKU: in.SKU, Zones: in.Zones, Etag: etag(), Properties: props}
		s.st.PublicIPs[key] = p
		op = s.startLocked(r, opPut, id, deref(in.Location), d)
		op.Created = old == nil
		out = clone(p)
		s.decoratePublicIPLocked(out)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerPut(w, r, op, out)
}

// allocateIPLocked hands out the next free address of 198.51.100.0/24
// (TEST-NET-2, never routed), so emulated gateways never collide with real hosts.
func (s *Server) allocateIPLocked() (string, *armError) {
	used := map[string]bool{}
	for _, p := range s.st.PublicIPs {
		used[deref(p.Properties.IPAddress)] = true
	}
	for i := range 254 {
		n := (s.st.NextIP+i)%254 + 1
		ip := fmt.Sprintf("198.51.100.%d", n)
		if !used[ip] {
			s.st.NextIP = n
			return ip, nil
		}
	}
	return "", badRequest("PublicIPCountLimitReached", "crosscloud-sim has no free public IP left in 198.51.100.0/24; delete unused public IP addresses.")
}

// publicIPUserLocked returns the gateway IP configuration using a public IP.
func (s *Server) publicIPUserLocked(pipID string) string {
	for _, g := range s.st.Gateways {
		for _, ipc := range g.Properties.IPConfigurations {
			if ipc.Properties != nil && ipc.Properties.PublicIPAddress != nil && ieq(deref(ipc.Properties.PublicIPAddress.ID), pipID) {
				return deref(ipc.ID)
			}
		}
	}
	return ""
}

// decoratePublicIPLocked shows which IP configuration holds the address.
func (s *Server) decoratePublicIPLocked(p *armnetwork.PublicIPAddress) {
	if user := s.publicIPUserLocked(deref(p.ID)); user != "" {
		p.Properties.IPConfiguration = &armnetwork.IPConfiguration{ID: ptr(user)}
	}
}
