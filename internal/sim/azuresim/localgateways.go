package azuresim

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// A local network gateway takes about a minute.
var localGatewayDurations = durations{create: time.Minute, update: time.Minute, delete: time.Minute}

// serveLocalGateway handles localNetworkGateways[/{name}].
func (s *Server) serveLocalGateway(w http.ResponseWriter, r *http.Request, q req) {
	if q.name == "" {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		var list []*armnetwork.LocalNetworkGateway
		s.withLock(func() { list = listIn(s.st.LocalGateways, s.groupPrefix(q.rg)+"localnetworkgateways/") })
		writeJSON(w, http.StatusOK, armnetwork.LocalNetworkGatewayListResult{Value: list})
		return
	}
	id := s.networkID(q.rg, q.typ, q.name)
	key := strings.ToLower(id)
	switch r.Method {
	case http.MethodGet:
		var (
			out *armnetwork.LocalNetworkGateway
			e   *armError
		)
		s.withLock(func() {
			if l := s.st.LocalGateways[key]; l != nil {
				out = clone(l)
			} else {
				e = errResourceNotFound(typeLocalGateway, q.name, q.rg)
			}
		})
		answer(w, e, out)
	case http.MethodPut:
		s.putLocalGateway(w, r, q, id)
	case http.MethodDelete:
		var (
			op *operation
			e  *armError
		)
		s.withLock(func() {
			l := s.st.LocalGateways[key]
			if l == nil {
				return
			}
			if e = s.writableLocked(r, q.rg, id); e != nil {
				return
			}
			if users := s.connectionsUsingLocked(key); len(users) > 0 {
				e = badRequest("InUseLocalNetworkGatewayCannotBeDeleted", // unverified code
					"Local network gateway %s cannot be deleted because it is in use by connection(s) %s. Delete the connections first.", id, strings.Join(users, ", "))
				return
			}
			op = s.startDeleteLocked(r, id, deref(l.Location), &l.Properties.ProvisioningState, localGatewayDurations)
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

func (s *Server) putLocalGateway(w http.ResponseWriter, r *http.Request, q req, id string) {
	var in armnetwork.LocalNetworkGateway
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	var (
		op  *operation
		out *armnetwork.LocalNetworkGateway
		e   *armError
	)
	s.withLock(func() {
		key := strings.ToLower(id)
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		if e = checkLocalGateway(&in, id); e != nil {
			return
		}
		old := s.st.LocalGateways[key]
		in.ID, in.Name, in.Type, in.Etag = ptr(id), ptr(q.name), ptr(typeLocalGateway), etag()
		in.Properties.ProvisioningState = ptr(armnetwork.ProvisioningStateUpdating)
		in.Properties.ResourceGUID = ptr(newGUID())
		d := localGatewayDurations.create
		if old != nil {
			in.Properties.ResourceGUID = old.Properties.ResourceGUID
			d = localGatewayDurations.update
		}
		s.st.LocalGateways[key] = &in
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

// checkLocalGateway: the on-premises side needs an address (gatewayIpAddress
// or fqdn) and valid CIDRs. Codes are unverified.
func checkLocalGateway(l *armnetwork.LocalNetworkGateway, id string) *armError {
	if deref(l.Location) == "" {
		return badRequest("LocationRequired", "The location property is required for this definition.")
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
	return nil
}
