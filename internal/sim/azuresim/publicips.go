package azuresim

import (
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// A public IP takes about ten seconds.
var publicIPDurations = durations{create: 10 * time.Second, update: 10 * time.Second, delete: 10 * time.Second}

// publicIPKind: publicIPAddresses.
var publicIPKind = &kindOf[armnetwork.PublicIPAddress]{
	segment: "publicIPAddresses", armType: typePublicIP,
	times: fixed(publicIPDurations),
	meta: func(p *armnetwork.PublicIPAddress) meta {
		return meta{&p.ID, &p.Name, &p.Type, &p.Etag, &p.Location, &p.Properties.ResourceGUID, &p.Properties.ProvisioningState}
	},
	check: (*Server).checkPublicIPLocked,
	view:  (*Server).decoratePublicIPLocked,
	inUse: func(s *Server, _ *armnetwork.PublicIPAddress, id string) *armError {
		if user := s.publicIPUserLocked(id); user != "" {
			// Code and text as in field logs (azurerm#688, packer's azure-arm
			// builder: "StatusCode=400 ... Code=\"PublicIPAddressCannotBeDeleted\"").
			return badRequest("PublicIPAddressCannotBeDeleted",
				"Public IP address %s can not be deleted since it is still allocated to resource %s. In order to delete the public IP, disassociate/detach the Public IP address from the resource. To learn how to do this, see aka.ms/deletepublicip.", id, user)
		}
		return nil
	},
}

func (st *state) publicIPs() map[string]*armnetwork.PublicIPAddress {
	return table[armnetwork.PublicIPAddress](st, "publicIPAddresses")
}

// checkPublicIPLocked fills the SKU, allocation and version defaults and
// assigns a Standard address at creation, as ARM does.
func (s *Server) checkPublicIPLocked(in, old *armnetwork.PublicIPAddress, id string) *armError {
	if e := checkLocation(&in.Location, typePublicIP); e != nil {
		return e
	}
	if e := checkZones(in.Zones, *in.Location, id[strings.LastIndex(id, "/")+1:]); e != nil {
		return e
	}
	if in.SKU == nil || in.SKU.Name == nil {
		in.SKU = &armnetwork.PublicIPAddressSKU{Name: new(armnetwork.PublicIPAddressSKUNameStandard)}
	}
	if e := enumCheck("sku.name", *in.SKU.Name, armnetwork.PossiblePublicIPAddressSKUNameValues()); e != nil {
		return e
	}
	if in.SKU.Tier == nil {
		in.SKU.Tier = new(armnetwork.PublicIPAddressSKUTierRegional)
	}
	if in.Properties == nil {
		in.Properties = &armnetwork.PublicIPAddressPropertiesFormat{}
	}
	props := in.Properties
	if props.PublicIPAllocationMethod == nil {
		props.PublicIPAllocationMethod = new(armnetwork.IPAllocationMethodDynamic)
		if *in.SKU.Name == armnetwork.PublicIPAddressSKUNameStandard {
			props.PublicIPAllocationMethod = new(armnetwork.IPAllocationMethodStatic)
		}
	}
	if e := enumCheck("properties.publicIPAllocationMethod", *props.PublicIPAllocationMethod, armnetwork.PossibleIPAllocationMethodValues()); e != nil {
		return e
	}
	if *in.SKU.Name == armnetwork.PublicIPAddressSKUNameStandard && *props.PublicIPAllocationMethod != armnetwork.IPAllocationMethodStatic {
		return badRequest("StandardSkuPublicIPAddressesMustBeStatic", // unverified code
			"Standard sku publicIp %s must have AllocationMethod set to Static. Set properties.publicIPAllocationMethod to Static.", id)
	}
	props.IPAddress = nil
	if old != nil && old.Properties.IPAddress != nil {
		props.IPAddress = old.Properties.IPAddress
	} else if *props.PublicIPAllocationMethod == armnetwork.IPAllocationMethodStatic {
		ip, err := s.allocateIPLocked()
		if err != nil {
			return err
		}
		props.IPAddress = new(ip)
	}
	if props.PublicIPAddressVersion == nil {
		props.PublicIPAddressVersion = new(armnetwork.IPVersionIPv4)
	}
	props.IPConfiguration = nil
	*in = armnetwork.PublicIPAddress{Location: in.Location, Tags: in.Tags, SKU: in.SKU, Zones: in.Zones, Properties: props}
	return nil
}

// allocateIPLocked hands out the next free address of 198.51.100.0/24
// (TEST-NET-2, never routed), so emulated gateways never collide with real hosts.
func (s *Server) allocateIPLocked() (string, *armError) {
	used := map[string]bool{}
	for _, p := range s.st.publicIPs() {
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
	for _, g := range s.st.gateways() {
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
		p.Properties.IPConfiguration = &armnetwork.IPConfiguration{ID: new(user)}
	}
}
