package azuresim

import (
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Gateway timings besides the configurable create (45 min): updates and
// resets are unverified guesses; so is delete (about 20 minutes; docs/facts/arm-shapes.md).
const (
	gatewayUpdate = 10 * time.Minute
	gatewayDelete = 20 * time.Minute
	gatewayReset  = 2 * time.Minute
)

type gatewayKindOf = kindOf[armnetwork.VirtualNetworkGateway]

// gatewayKind: virtualNetworkGateways, with the connections list and reset.
var gatewayKind = &kindOf[armnetwork.VirtualNetworkGateway]{
	segment: "virtualNetworkGateways", armType: typeGateway,
	times: func(s *Server) durations {
		return durations{create: s.gatewayCreate, update: gatewayUpdate, delete: gatewayDelete}
	},
	meta: func(g *armnetwork.VirtualNetworkGateway) meta {
		return meta{&g.ID, &g.Name, &g.Type, &g.Etag, &g.Location, &g.Properties.ResourceGUID, &g.Properties.ProvisioningState}
	},
	check: func(s *Server, in, old *armnetwork.VirtualNetworkGateway, id string) *armError {
		return s.checkGatewayLocked(in, id, old == nil)
	},
	inUse: func(s *Server, _ *armnetwork.VirtualNetworkGateway, id string) *armError {
		if users := s.connectionsUsingLocked(strings.ToLower(id)); len(users) > 0 {
			// Code as field labs quote it ("Deleting the gateway then failed with
			// VirtualNetworkGatewayCannotBeDeleted"); the text is ours.
			return badRequest("VirtualNetworkGatewayCannotBeDeleted",
				"Virtual network gateway %s cannot be deleted because it is in use by connection(s) %s. Delete the connections first.", id, strings.Join(users, ", "))
		}
		return nil
	},
	sub: func(k *gatewayKindOf, s *Server, w http.ResponseWriter, r *http.Request, q req) {
		switch {
		case len(q.child) > 1:
			writeError(w, errNoRoute(r))
		case ieq(q.child[0], "connections") && r.Method == http.MethodGet:
			s.listGatewayConnections(k, w, q)
		case ieq(q.child[0], "reset") && r.Method == http.MethodPost:
			s.resetGateway(k, w, r, q)
		default:
			methodNotAllowed(w, r)
		}
	},
	onPut: func(s *Server, op *operation) {
		if op.Created {
			s.emit("azure.gateway.created", op.ResourceID)
		}
	},
	onRemove: func(s *Server, armID string) { s.emit("azure.gateway.deleted", armID) },
}

func (st *state) gateways() map[string]*armnetwork.VirtualNetworkGateway {
	return table[armnetwork.VirtualNetworkGateway](st, "virtualNetworkGateways")
}

// checkGatewayLocked applies docs/facts/arm-shapes.md, "Constraints and error codes", to a gateway PUT and fills the
// defaults and read-only fields ARM adds. Codes marked unverified were not
// found in public sources.
func (s *Server) checkGatewayLocked(g *armnetwork.VirtualNetworkGateway, id string, create bool) *armError {
	if e := checkLocation(&g.Location, typeGateway); e != nil {
		return e
	}
	p := g.Properties
	if p == nil || p.SKU == nil || p.SKU.Name == nil {
		return badRequest("InvalidRequestFormat", "Cannot parse the request: virtual network gateway %s needs properties.sku.name (for example VpnGw1AZ).", id)
	}
	if p.GatewayType == nil {
		p.GatewayType = new(armnetwork.VirtualNetworkGatewayTypeVPN)
	}
	if p.VPNType == nil {
		p.VPNType = new(armnetwork.VPNTypeRouteBased)
	}
	sku := *p.SKU.Name
	if e := firstBadEnum(
		enumCheck("properties.gatewayType", *p.GatewayType, armnetwork.PossibleVirtualNetworkGatewayTypeValues()),
		enumCheck("properties.vpnType", *p.VPNType, armnetwork.PossibleVPNTypeValues()),
		enumCheck("properties.sku.name", sku, armnetwork.PossibleVirtualNetworkGatewaySKUNameValues()),
	); e != nil {
		return e
	}
	p.SKU.Tier = new(armnetwork.VirtualNetworkGatewaySKUTier(sku))
	if e := checkGeneration(p); e != nil {
		return e
	}
	if create && isNonAZVpnGw(sku) {
		return badRequest("NonAzSkusNotAllowedForVPNGateway", // unverified code
			"Virtual network gateway SKU %s can no longer be used to create a gateway: since 2025-01-01 new VPN gateways need an AZ SKU. Use %sAZ.", sku, sku)
	}
	if e := checkInstanceCount(p, id); e != nil {
		return e
	}
	for i, ipc := range p.IPConfigurations {
		if e := s.checkGatewayIPConfigLocked(g, id, i, ipc); e != nil {
			return e
		}
	}
	return s.checkInstancesLocked(g, id) // activeactive.go
}

func (s *Server) checkGatewayIPConfigLocked(g *armnetwork.VirtualNetworkGateway, id string, i int, ipc *armnetwork.VirtualNetworkGatewayIPConfiguration) *armError {
	if ipc == nil || deref(ipc.Name) == "" || ipc.Properties == nil || ipc.Properties.Subnet == nil || deref(ipc.Properties.Subnet.ID) == "" {
		return badRequest("InvalidRequestFormat", "Cannot parse the request: properties.ipConfigurations[%d] of %s needs a name and properties.subnet.id.", i, id)
	}
	ipcID := id + "/ipConfigurations/" + deref(ipc.Name)
	subnetID := deref(ipc.Properties.Subnet.ID)
	lower := strings.ToLower(subnetID)
	var vnet *armnetwork.VirtualNetwork
	if j := strings.Index(lower, "/subnets/"); j >= 0 {
		vnet = s.st.vnets()[lower[:j]]
	}
	sn := subnetIn(vnet, lower)
	if sn == nil {
		return errInvalidReference(subnetID, id)
	}
	if e := refOK(true, sn.Properties.ProvisioningState, subnetID, id, putOpSubnet); e != nil {
		return e
	}
	if e := refOK(true, vnet.Properties.ProvisioningState, deref(vnet.ID), id, putOpVNet); e != nil {
		return e
	}
	if !sameRegion(g.Location, vnet.Location) {
		return errInvalidReference(subnetID, id) // "...and that both resources are in the same region"
	}
	if deref(sn.Name) != gatewaySubnetName {
		return badRequest("GatewaySubnetNameInvalid", // unverified code
			"Subnet %s referenced by %s is named '%s'; a virtual network gateway must be placed in a subnet named exactly 'GatewaySubnet'.", subnetID, ipcID, deref(sn.Name))
	}
	if prefixes := subnetPrefixes(sn); len(prefixes) > 0 {
		if pfx, err := netip.ParsePrefix(prefixes[0]); err == nil && pfx.Addr().Is4() {
			if pfx.Bits() > 29 {
				return badRequest("GatewaySubnetTooSmall", // unverified code
					"GatewaySubnet %s has prefix %s; a VPN gateway needs /29 or larger (/27 recommended).", subnetID, pfx)
			}
			g.Properties.BgpSettings = defaultBgp(g.Properties.BgpSettings, pfx)
		}
	}
	for _, user := range s.subnetUsersLocked(subnetID) {
		if !strings.HasPrefix(strings.ToLower(user), strings.ToLower(id)+"/") {
			return badRequest("GatewaySubnetAlreadyHasGateway", // unverified code
				"GatewaySubnet %s already holds gateway IP configuration %s; a virtual network has at most one VPN gateway.", subnetID, user)
		}
	}
	if *g.Properties.GatewayType == armnetwork.VirtualNetworkGatewayTypeVPN {
		if ipc.Properties.PublicIPAddress == nil || deref(ipc.Properties.PublicIPAddress.ID) == "" {
			return badRequest("InvalidRequestFormat", "Cannot parse the request: properties.ipConfigurations[%d] of VPN gateway %s needs properties.publicIPAddress.id.", i, id)
		}
		pipID := deref(ipc.Properties.PublicIPAddress.ID)
		pip := s.st.publicIPs()[strings.ToLower(pipID)]
		if pip == nil {
			return errInvalidReference(pipID, id)
		}
		if e := refOK(true, pip.Properties.ProvisioningState, pipID, id, putOpPublicIP); e != nil {
			return e
		}
		basicGW := *g.Properties.SKU.Name == armnetwork.VirtualNetworkGatewaySKUNameBasic
		if !basicGW && (deref(pip.SKU.Name) != armnetwork.PublicIPAddressSKUNameStandard || deref(pip.Properties.PublicIPAllocationMethod) != armnetwork.IPAllocationMethodStatic) {
			return badRequest("BasicSkuPublicIpNotAllowedForVpnGateway", // unverified code; text from markti/azure-terraformer#40
				"Public IP with basic SKU is not allowed on VPN Gateway: %s is %s/%s; gateway SKU %s needs a Standard SKU public IP with Static allocation.",
				pipID, deref(pip.SKU.Name), deref(pip.Properties.PublicIPAllocationMethod), *g.Properties.SKU.Name)
		}
		if user := s.publicIPUserLocked(pipID); user != "" && !ieq(user, ipcID) {
			return badRequest("PublicIPAddressInUse", "Public IP address %s is already allocated to resource %s.", pipID, user)
		}
		if !sameRegion(g.Location, pip.Location) {
			return errInvalidReference(pipID, id)
		}
		if e := checkGatewayZones(*g.Properties.SKU.Name, pip, deref(g.Location)); e != nil {
			return e
		}
	}
	ipc.ID = new(ipcID)
	ipc.Etag = g.Etag
	if ipc.Properties.PrivateIPAllocationMethod == nil {
		ipc.Properties.PrivateIPAllocationMethod = new(armnetwork.IPAllocationMethodDynamic)
	}
	ipc.Properties.ProvisioningState = new(armnetwork.ProvisioningStateSucceeded)
	return nil
}

// defaultBgp fills what Azure assigns a gateway: ASN 65515 and a BGP peering
// address at the top of GatewaySubnet.
func defaultBgp(b *armnetwork.BgpSettings, subnet netip.Prefix) *armnetwork.BgpSettings {
	if b == nil {
		b = &armnetwork.BgpSettings{}
	}
	if b.Asn == nil {
		b.Asn = new(int64(65515))
	}
	if b.PeerWeight == nil {
		b.PeerWeight = new(int32(0))
	}
	a := subnet.Addr().As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n += uint32(1)<<(32-subnet.Bits()) - 2 // broadcast - 1
	b.BgpPeeringAddress = new(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}).String())
	return b
}

func (s *Server) resetGateway(k *gatewayKindOf, w http.ResponseWriter, r *http.Request, q req) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() { op, e = k.actLocked(s, r, q, opGatewayReset, gatewayReset) })
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerDelete(w, r, op) // 202 with Location and Azure-AsyncOperation, as for deletes
}

func (s *Server) listGatewayConnections(k *gatewayKindOf, w http.ResponseWriter, q req) {
	var (
		conns []*armnetwork.VirtualNetworkGatewayConnection
		e     *armError
	)
	s.withLock(func() {
		var id string
		if id, _, e = k.findLocked(s, q); e != nil {
			return
		}
		for _, c := range listIn(s.st.connections(), "") {
			if ieq(gatewayOf(c), id) {
				conns = append(conns, s.connViewLocked(c))
			}
		}
	})
	if e != nil {
		writeError(w, e)
		return
	}
	out := armnetwork.VirtualNetworkGatewayListConnectionsResult{Value: []*armnetwork.VirtualNetworkGatewayConnectionListEntity{}}
	for _, c := range conns {
		s.liveStatus(c)
		out.Value = append(out.Value, convert[armnetwork.VirtualNetworkGatewayConnectionListEntity](c))
	}
	writeJSON(w, http.StatusOK, out)
}

// sameRegion compares two locations as ARM does (normalized). A gateway
// must be in its VNet's region and its public IPs in the gateway's; Azure
// refuses a cross-region reference with InvalidResourceReference, whose
// text asks "that both resources are in the same region"
// (mspnp/reference-architectures#225). Which code a cross-region gateway
// PUT gets is not confirmed (medium).
func sameRegion(a, b *string) bool { return normalizeLocation(deref(a)) == normalizeLocation(deref(b)) }

// checkGatewayZones: in a region with availability zones an AZ SKU gateway
// needs zoned public IPs (VmssVpnGatewayPublicIpsMustHaveZonesConfigured,
// Azure/ResourceModules#2609, ansible-collections/azure#2208 2026,
// microsoft/physical-ai-toolchain#350 2026 in switzerlandnorth), and a
// non-AZ SKU must not have them
// (RegionalVmssVpnGatewayPublicIpsMustNotHaveZonesConfigured,
// Azure/Azure-Landing-Zones#2660). In a region without zones an AZ SKU
// takes a zone-less IP and "the deployment will remain regional" (MD
// articles/vpn-gateway/gateway-sku-consolidation.md, FAQ "Can I deploy
// VpnGw 1-5 AZ SKUs in all regions?").
func checkGatewayZones(sku armnetwork.VirtualNetworkGatewaySKUName, pip *armnetwork.PublicIPAddress, location string) *armError {
	r, _ := regionOf(location)
	switch {
	case strings.HasSuffix(string(sku), "AZ") && r.zoned && len(pip.Zones) == 0:
		return badRequest("VmssVpnGatewayPublicIpsMustHaveZonesConfigured",
			"Standard Public IPs associated with VPN Gateways with AZ VPN skus must have zones configured.")
	case isNonAZVpnGw(sku) && len(pip.Zones) > 0:
		return badRequest("RegionalVmssVpnGatewayPublicIpsMustNotHaveZonesConfigured",
			"Standard Public IPs associated with VPN gateways with non-AZ VPN skus cannot have zones configured.")
	}
	return nil
}

// checkGeneration: VpnGw1 exists only as Generation1, VpnGw4 and VpnGw5
// only as Generation2 ("The Virtual Network Gateway Sku VpnGw1 cannot be
// used when VirtualNetworkVpnGatewayGeneration is set to Generation2",
// Azure/Enterprise-Scale#504; azurerm's
// validateVirtualNetworkGatewayRouteBasedVpnSkuGeneration1/2). Without a
// generation Azure chose Generation1 for VpnGw5AZ
// (Azure/Azure-Landing-Zones#3781); the emulator does the same (medium).
func checkGeneration(p *armnetwork.VirtualNetworkGatewayPropertiesFormat) *armError {
	if *p.GatewayType != armnetwork.VirtualNetworkGatewayTypeVPN {
		return nil
	}
	gen := deref(p.VPNGatewayGeneration)
	if gen == "" || gen == armnetwork.VPNGatewayGenerationNone {
		gen = armnetwork.VPNGatewayGenerationGeneration1
	}
	sku := strings.TrimSuffix(string(*p.SKU.Name), "AZ")
	var ok bool
	switch gen {
	case armnetwork.VPNGatewayGenerationGeneration1:
		ok = slices.Contains([]string{"Basic", "VpnGw1", "VpnGw2", "VpnGw3"}, sku)
	case armnetwork.VPNGatewayGenerationGeneration2:
		ok = slices.Contains([]string{"VpnGw2", "VpnGw3", "VpnGw4", "VpnGw5"}, sku)
	default:
		return enumCheck("properties.vpnGatewayGeneration", gen, armnetwork.PossibleVPNGatewayGenerationValues())
	}
	if !ok {
		return badRequest("VirtualNetworkGatewaySkuCannotBeCreatedForSpecifiedVmGeneration",
			"The Virtual Network Gateway Sku %s cannot be used when VirtualNetworkVpnGatewayGeneration is set to %s.", *p.SKU.Name, gen)
	}
	return nil
}
