package azuresim

import (
	"net/http"
	"net/netip"
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

// serveGateway handles virtualNetworkGateways[/{name}[/connections|/reset]].
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request, q req) {
	if q.name == "" {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		var list []*armnetwork.VirtualNetworkGateway
		s.withLock(func() { list = listIn(s.st.Gateways, s.groupPrefix(q.rg)+"virtualnetworkgateways/") })
		writeJSON(w, http.StatusOK, armnetwork.VirtualNetworkGatewayListResult{Value: list})
		return
	}
	id := s.networkID(q.rg, q.typ, q.name)
	key := strings.ToLower(id)
	switch {
	case len(q.child) == 1 && ieq(q.child[0], "connections") && r.Method == http.MethodGet:
		s.listGatewayConnections(w, q, key)
	case len(q.child) == 1 && ieq(q.child[0], "reset") && r.Method == http.MethodPost:
		s.resetGateway(w, r, q, id)
	case len(q.child) == 1:
		methodNotAllowed(w, r)
	case r.Method == http.MethodGet:
		var (
			out *armnetwork.VirtualNetworkGateway
			e   *armError
		)
		s.withLock(func() {
			if g := s.st.Gateways[key]; g != nil {
				out = clone(g)
			} else {
				e = errResourceNotFound(typeGateway, q.name, q.rg)
			}
		})
		answer(w, e, out)
	case r.Method == http.MethodPut:
		s.putGateway(w, r, q, id)
	case r.Method == http.MethodDelete:
		var (
			op *operation
			e  *armError
		)
		s.withLock(func() {
			g := s.st.Gateways[key]
			if g == nil {
				return
			}
			if e = s.writableLocked(r, q.rg, id); e != nil {
				return
			}
			if users := s.connectionsUsingLocked(key); len(users) > 0 {
				e = badRequest("InUseVirtualNetworkGatewayCannotBeDeleted", // unverified code
					"Virtual network gateway %s cannot be deleted because it is in use by connection(s) %s. Delete the connections first.", id, strings.Join(users, ", "))
				return
			}
			op = s.startDeleteLocked(r, id, deref(g.Location), &g.Properties.ProvisioningState, durations{delete: gatewayDelete})
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

func (s *Server) putGateway(w http.ResponseWriter, r *http.Request, q req, id string) {
	var in armnetwork.VirtualNetworkGateway
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	var (
		op  *operation
		out *armnetwork.VirtualNetworkGateway
		e   *armError
	)
	s.withLock(func() {
		key := strings.ToLower(id)
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		old := s.st.Gateways[key]
		if e = s.checkGatewayLocked(&in, id, old == nil); e != nil {
			return
		}
		in.ID, in.Name, in.Type, in.Etag = ptr(id), ptr(q.name), ptr(typeGateway), etag()
		in.Properties.ProvisioningState = ptr(armnetwork.ProvisioningStateUpdating)
		in.Properties.ResourceGUID = ptr(newGUID())
		d := s.gatewayCreate
		if old != nil {
			in.Properties.ResourceGUID = old.Properties.ResourceGUID
			d = gatewayUpdate
		}
		s.st.Gateways[key] = &in
		op = s.startLocked(r, opPut, id, deref(in.Location), d)
		op.Created = old == nil
		out = clone(&in)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerPut(w, r, op, out)
}

// checkGatewayLocked applies docs/facts/arm-shapes.md, "Constraints and error codes", to a gateway PUT and fills the
// defaults and read-only fields ARM adds. Codes marked unverified were not
// found in public sources.
func (s *Server) checkGatewayLocked(g *armnetwork.VirtualNetworkGateway, id string, create bool) *armError {
	if deref(g.Location) == "" {
		return badRequest("LocationRequired", "The location property is required for this definition.")
	}
	p := g.Properties
	if p == nil || p.SKU == nil || p.SKU.Name == nil {
		return badRequest("InvalidRequestFormat", "Cannot parse the request: virtual network gateway %s needs properties.sku.name (for example VpnGw1AZ).", id)
	}
	if p.GatewayType == nil {
		p.GatewayType = ptr(armnetwork.VirtualNetworkGatewayTypeVPN)
	}
	if p.VPNType == nil {
		p.VPNType = ptr(armnetwork.VPNTypeRouteBased)
	}
	sku := *p.SKU.Name
	if e := firstBadEnum(
		enumCheck("properties.gatewayType", *p.GatewayType, armnetwork.PossibleVirtualNetworkGatewayTypeValues()),
		enumCheck("properties.vpnType", *p.VPNType, armnetwork.PossibleVPNTypeValues()),
		enumCheck("properties.sku.name", sku, armnetwork.PossibleVirtualNetworkGatewaySKUNameValues()),
	); e != nil {
		return e
	}
	p.SKU.Tier = ptr(armnetwork.VirtualNetworkGatewaySKUTier(sku))
	if create && isNonAZVpnGw(sku) {
		return badRequest("NonAzSkusNotAllowedForVPNGateway", // unverified code
			"Virtual network gateway SKU %s can no longer be used to create a gateway: since 2025-01-01 new VPN gateways need an AZ SKU. Use %sAZ.", sku, sku)
	}
	want := 1
	if deref(p.Active) {
		want = 2
	}
	if len(p.IPConfigurations) != want {
		return badRequest("InvalidRequestFormat", "Cannot parse the request: virtual network gateway %s needs %d entries in properties.ipConfigurations (activeActive=%t), got %d.", id, want, deref(p.Active), len(p.IPConfigurations))
	}
	for i, ipc := range p.IPConfigurations {
		if e := s.checkGatewayIPConfigLocked(g, id, i, ipc); e != nil {
			return e
		}
	}
	return nil
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
		vnet = s.st.VNets[lower[:j]]
	}
	sn := subnetIn(vnet, lower)
	if sn == nil {
		return errInvalidReference(subnetID, id)
	}
	if e := refOK(true, vnet.Properties.ProvisioningState, deref(vnet.ID), id); e != nil {
		return e
	}
	if e := refOK(true, sn.Properties.ProvisioningState, subnetID, id); e != nil {
		return e
	}
	if deref(sn.Name) != gatewaySubnetName {
		return badRequest("GatewaySubnetNameInvalid", // unverified code
			"Subnet %s referenced by %s is named '%s'; a virtual network gateway must be placed in a subnet named exactly 'GatewaySubnet'.", subnetID, ipcID, deref(sn.Name))
	}
	if prefixes := subnetPrefixes(sn); len(prefixes) > 0 {
		if pfx, err := netip.ParsePrefix(prefixes[0]); err == nil {
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
		pip := s.st.PublicIPs[strings.ToLower(pipID)]
		if pip == nil {
			return errInvalidReference(pipID, id)
		}
		if e := refOK(true, pip.Properties.ProvisioningState, pipID, id); e != nil {
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
	}
	ipc.ID = ptr(ipcID)
	ipc.Etag = g.Etag
	if ipc.Properties.PrivateIPAllocationMethod == nil {
		ipc.Properties.PrivateIPAllocationMethod = ptr(armnetwork.IPAllocationMethodDynamic)
	}
	ipc.Properties.ProvisioningState = ptr(armnetwork.ProvisioningStateSucceeded)
	return nil
}

// defaultBgp fills what Azure assigns a gateway: ASN 65515 and a BGP peering
// address at the top of GatewaySubnet.
func defaultBgp(b *armnetwork.BgpSettings, subnet netip.Prefix) *armnetwork.BgpSettings {
	if b == nil {
		b = &armnetwork.BgpSettings{}
	}
	if b.Asn == nil {
		b.Asn = ptr[int64](65515)
	}
	if b.PeerWeight == nil {
		b.PeerWeight = ptr[int32](0)
	}
	a := subnet.Addr().As4()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n += uint32(1)<<(32-subnet.Bits()) - 2 // broadcast - 1
	b.BgpPeeringAddress = ptr(netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}).String())
	return b
}

func (s *Server) resetGateway(w http.ResponseWriter, r *http.Request, q req, id string) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() {
		g := s.st.Gateways[strings.ToLower(id)]
		if g == nil {
			e = errResourceNotFound(typeGateway, q.name, q.rg)
			return
		}
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		g.Properties.ProvisioningState = ptr(armnetwork.ProvisioningStateUpdating)
		op = s.startLocked(r, opGatewayReset, id, deref(g.Location), gatewayReset)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerDelete(w, r, op) // 202 with Location and Azure-AsyncOperation, as for deletes
}

func (s *Server) listGatewayConnections(w http.ResponseWriter, q req, key string) {
	var (
		out armnetwork.VirtualNetworkGatewayListConnectionsResult
		e   *armError
	)
	var conns []*armnetwork.VirtualNetworkGatewayConnection
	s.withLock(func() {
		if s.st.Gateways[key] == nil {
			e = errResourceNotFound(typeGateway, q.name, q.rg)
			return
		}
		for _, c := range listIn(s.st.Connections, "") {
			if ieq(gatewayOf(c), key) {
				conns = append(conns, s.connViewLocked(c))
			}
		}
	})
	if e != nil {
		writeError(w, e)
		return
	}
	out.Value = []*armnetwork.VirtualNetworkGatewayConnectionListEntity{}
	for _, c := range conns {
		s.liveStatus(c)
		out.Value = append(out.Value, convert[armnetwork.VirtualNetworkGatewayConnectionListEntity](c))
	}
	writeJSON(w, http.StatusOK, out)
}
