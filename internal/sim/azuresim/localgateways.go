package azuresim

import (
	"net/netip"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// A local network gateway takes about a minute.
var localGatewayDurations = durations{create: time.Minute, update: time.Minute, delete: time.Minute}

// localGatewayKind: localNetworkGateways, Azure's view of the peer.
var localGatewayKind = &kindOf[armnetwork.LocalNetworkGateway]{
	segment: "localNetworkGateways", armType: typeLocalGateway,
	times: fixed(localGatewayDurations),
	meta: func(l *armnetwork.LocalNetworkGateway) meta {
		return meta{&l.ID, &l.Name, &l.Type, &l.Etag, &l.Location, &l.Properties.ResourceGUID, &l.Properties.ProvisioningState}
	},
	check: func(_ *Server, in, _ *armnetwork.LocalNetworkGateway, id string) *armError {
		return checkLocalGateway(in, id)
	},
	inUse: func(s *Server, _ *armnetwork.LocalNetworkGateway, id string) *armError {
		if users := s.connectionsUsingLocked(strings.ToLower(id)); len(users) > 0 {
			return badRequest("InUseLocalNetworkGatewayCannotBeDeleted", // unverified code
				"Local network gateway %s cannot be deleted because it is in use by connection(s) %s. Delete the connections first.", id, strings.Join(users, ", "))
		}
		return nil
	},
	onPut: func(s *Server, op *operation) { s.emit("azure.localgateway.updated", op.ResourceID) },
	// Updating an existing local network gateway answers 200 with an
	// Azure-AsyncOperation URL that returns 404 "Operation … not found",
	// although the update is applied: hashicorp/go-azure-sdk#989 (2024-05,
	// address_space update), Azure/azure-cli#30169 (2024-10,
	// `az network local-gateway update`); azurerm polls the resource's
	// provisioningState instead (local_network_gateway_resource.go,
	// custompollers/local_network_gateway_poller.go).
	updateOpLost: true,
}

func (st *state) localGateways() map[string]*armnetwork.LocalNetworkGateway {
	return table[armnetwork.LocalNetworkGateway](st, "localNetworkGateways")
}

// checkLocalGateway: the on-premises side needs an address (gatewayIpAddress
// or fqdn) and valid CIDRs. Codes are unverified.
func checkLocalGateway(l *armnetwork.LocalNetworkGateway, id string) *armError {
	if e := checkLocation(&l.Location, typeLocalGateway); e != nil {
		return e
	}
	p := l.Properties
	if p == nil || (deref(p.GatewayIPAddress) == "" && deref(p.Fqdn) == "") {
		return badRequest("LocalNetworkGatewayAddressRequired",
			"Local network gateway %s needs properties.gatewayIpAddress (the peer's public IPv4) or properties.fqdn.", id)
	}
	if ip := deref(p.GatewayIPAddress); ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || !a.Is4() {
			return badRequest("InvalidLocalNetworkGatewayIpAddress", "properties.gatewayIpAddress %q of %s is not an IPv4 address.", ip, id)
		}
	}
	if p.LocalNetworkAddressSpace != nil {
		for _, raw := range p.LocalNetworkAddressSpace.AddressPrefixes {
			if _, e := parsePrefix(deref(raw), id); e != nil {
				return e
			}
		}
	}
	// Real code and text: azurerm#15163 (2022), "confirmed with service
	// team, this is by design" (azurerm PR #15159).
	if (p.LocalNetworkAddressSpace == nil || len(p.LocalNetworkAddressSpace.AddressPrefixes) == 0) && p.BgpSettings == nil {
		return badRequest("LocalNetworkGatewayCannotHaveEmptyAddressPrefixAndBgpSettings",
			"The local network gateway %s cannot have both empty address prefix and empty BGP Settings.", id)
	}
	return nil
}
