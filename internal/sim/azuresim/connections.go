package azuresim

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Connection timings: about two minutes to create; a policy or key change
// "takes effect in about a minute" (docs/facts/ipsec.md, "Custom policy").
var connectionDurations = durations{create: 2 * time.Minute, update: time.Minute, delete: time.Minute}

const sharedKeyChange = time.Minute

// serveConnection handles connections[/{name}[/sharedkey[/reset]]].
func (s *Server) serveConnection(w http.ResponseWriter, r *http.Request, q req) {
	if q.name == "" {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r)
			return
		}
		var list []*armnetwork.VirtualNetworkGatewayConnection
		s.withLock(func() {
			for _, c := range listIn(s.st.Connections, s.groupPrefix(q.rg)+"connections/") {
				list = append(list, s.connViewLocked(c))
			}
		})
		for _, c := range list {
			s.liveStatus(c)
		}
		writeJSON(w, http.StatusOK, armnetwork.VirtualNetworkGatewayConnectionListResult{Value: list})
		return
	}
	id := s.networkID(q.rg, q.typ, q.name)
	key := strings.ToLower(id)
	switch {
	case len(q.child) > 0 && !ieq(q.child[0], "sharedkey"), len(q.child) == 2 && !ieq(q.child[1], "reset"):
		writeError(w, &armError{Status: http.StatusNotFound, Code: "NotFound", Message: "No HTTP resource was found that matches the request URI '" + r.URL.Path + "'."})
	case len(q.child) == 2 && r.Method == http.MethodPost:
		s.resetSharedKey(w, r, q, id)
	case len(q.child) == 1 && r.Method == http.MethodGet:
		var (
			out *armnetwork.ConnectionSharedKey
			e   *armError
		)
		s.withLock(func() {
			if c := s.st.Connections[key]; c != nil {
				out = &armnetwork.ConnectionSharedKey{ID: ptr(id + "/sharedkey"), Value: c.Properties.SharedKey}
			} else {
				e = errResourceNotFound(typeConnection, q.name, q.rg)
			}
		})
		answer(w, e, out)
	case len(q.child) == 1 && r.Method == http.MethodPut:
		s.setSharedKey(w, r, q, id)
	case len(q.child) > 0:
		methodNotAllowed(w, r)
	case r.Method == http.MethodGet:
		var (
			out *armnetwork.VirtualNetworkGatewayConnection
			e   *armError
		)
		s.withLock(func() {
			if c := s.st.Connections[key]; c != nil {
				out = s.connViewLocked(c)
			} else {
				e = errResourceNotFound(typeConnection, q.name, q.rg)
			}
		})
		if out != nil {
			s.liveStatus(out)
		}
		answer(w, e, out)
	case r.Method == http.MethodPut:
		s.putConnection(w, r, q, id)
	case r.Method == http.MethodDelete:
		var (
			op *operation
			e  *armError
		)
		s.withLock(func() {
			c := s.st.Connections[key]
			if c == nil {
				return
			}
			if e = s.writableLocked(r, q.rg, id); e == nil {
				op = s.startDeleteLocked(r, id, deref(c.Location), &c.Properties.ProvisioningState, connectionDurations)
			}
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

func (s *Server) putConnection(w http.ResponseWriter, r *http.Request, q req, id string) {
	var in armnetwork.VirtualNetworkGatewayConnection
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	var (
		op  *operation
		out *armnetwork.VirtualNetworkGatewayConnection
		e   *armError
	)
	s.withLock(func() {
		key := strings.ToLower(id)
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		old := s.st.Connections[key]
		if e = s.checkConnectionLocked(&in, old, id); e != nil {
			return
		}
		p := in.Properties
		in.ID, in.Name, in.Type, in.Etag = ptr(id), ptr(q.name), ptr(typeConnection), etag()
		p.VirtualNetworkGateway1 = &armnetwork.VirtualNetworkGateway{ID: p.VirtualNetworkGateway1.ID}
		p.LocalNetworkGateway2 = &armnetwork.LocalNetworkGateway{ID: p.LocalNetworkGateway2.ID}
		p.ProvisioningState = ptr(armnetwork.ProvisioningStateUpdating)
		p.ResourceGUID = ptr(newGUID())
		p.ConnectionStatus, p.TunnelConnectionStatus = nil, nil
		p.IngressBytesTransferred, p.EgressBytesTransferred = ptr[int64](0), ptr[int64](0)
		d := connectionDurations.create
		if old != nil {
			p.ResourceGUID = old.Properties.ResourceGUID
			d = connectionDurations.update
		}
		s.st.Connections[key] = &in
		op = s.startLocked(r, opPut, id, deref(in.Location), d)
		op.Created = old == nil
		out = s.connViewLocked(&in)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerPut(w, r, op, out)
}

// checkConnectionLocked applies docs/facts/ipsec.md ("Custom policy", "Pitfalls") and fills defaults.
func (s *Server) checkConnectionLocked(c, old *armnetwork.VirtualNetworkGatewayConnection, id string) *armError {
	if deref(c.Location) == "" {
		return badRequest("LocationRequired", "The location property is required for this definition.")
	}
	p := c.Properties
	if p == nil || p.ConnectionType == nil {
		return badRequest("InvalidRequestFormat", "Cannot parse the request: connection %s needs properties.connectionType (IPsec).", id)
	}
	if e := enumCheck("properties.connectionType", *p.ConnectionType, armnetwork.PossibleVirtualNetworkGatewayConnectionTypeValues()); e != nil {
		return e
	}
	if *p.ConnectionType != armnetwork.VirtualNetworkGatewayConnectionTypeIPsec {
		return badRequest("UnsupportedConnectionType", "crosscloud-sim emulates site-to-site IPsec connections only; properties.connectionType is %s.", *p.ConnectionType)
	}
	if p.VirtualNetworkGateway1 == nil || deref(p.VirtualNetworkGateway1.ID) == "" {
		return badRequest("InvalidRequestFormat", "Cannot parse the request: connection %s needs properties.virtualNetworkGateway1.id.", id)
	}
	if p.LocalNetworkGateway2 == nil || deref(p.LocalNetworkGateway2.ID) == "" {
		return badRequest("InvalidRequestFormat", "Cannot parse the request: IPsec connection %s needs properties.localNetworkGateway2.id.", id)
	}
	gwID, lngID := deref(p.VirtualNetworkGateway1.ID), deref(p.LocalNetworkGateway2.ID)
	gw, lng := s.st.Gateways[strings.ToLower(gwID)], s.st.LocalGateways[strings.ToLower(lngID)]
	if gw == nil {
		return errInvalidReference(gwID, id)
	}
	if e := refOK(true, gw.Properties.ProvisioningState, gwID, id); e != nil {
		return e
	}
	if e := refOK(lng != nil, provisioningOf(lng), lngID, id); e != nil {
		return e
	}
	if p.ConnectionProtocol == nil {
		p.ConnectionProtocol = ptr(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2)
		if old != nil {
			p.ConnectionProtocol = old.Properties.ConnectionProtocol
		}
	}
	if e := enumCheck("properties.connectionProtocol", *p.ConnectionProtocol, armnetwork.PossibleVirtualNetworkGatewayConnectionProtocolValues()); e != nil {
		return e
	}
	if old != nil && *p.ConnectionProtocol != deref(old.Properties.ConnectionProtocol) {
		return badRequest("ConnectionProtocolCannotBeChanged", // unverified code
			"properties.connectionProtocol of %s is %s and cannot be changed after creation; delete and re-create the connection to use %s.", id, deref(old.Properties.ConnectionProtocol), *p.ConnectionProtocol)
	}
	basic := deref(gw.Properties.SKU.Name) == armnetwork.VirtualNetworkGatewaySKUNameBasic
	if basic && len(p.IPSecPolicies) > 0 {
		return badRequest("BasicSkuDoesNotSupportIpsecPolicies", // unverified code
			"Gateway %s has the Basic SKU, which does not support custom IPsec/IKE policies; remove properties.ipsecPolicies or use VpnGw1AZ or larger.", gwID)
	}
	if basic && *p.ConnectionProtocol == armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv1 {
		return badRequest("BasicSkuDoesNotSupportIkev1", "Gateway %s has the Basic SKU, which does not support IKEv1; use IKEv2.", gwID) // unverified code
	}
	if e := checkIPsecPolicies(p.IPSecPolicies); e != nil {
		return e
	}
	if e := checkDPD(p.DpdTimeoutSeconds); e != nil {
		return e
	}
	if deref(p.DpdTimeoutSeconds) == 0 {
		p.DpdTimeoutSeconds = ptr[int32](45)
	}
	if p.ConnectionMode == nil {
		p.ConnectionMode = ptr(armnetwork.VirtualNetworkGatewayConnectionModeDefault)
	}
	if e := enumCheck("properties.connectionMode", *p.ConnectionMode, armnetwork.PossibleVirtualNetworkGatewayConnectionModeValues()); e != nil {
		return e
	}
	switch {
	case p.SharedKey != nil:
		return checkSharedKey(*p.SharedKey)
	case old != nil:
		p.SharedKey = old.Properties.SharedKey
	default:
		p.SharedKey = ptr(randomKey(32))
	}
	return nil
}

func provisioningOf(l *armnetwork.LocalNetworkGateway) *armnetwork.ProvisioningState {
	if l == nil {
		return nil
	}
	return l.Properties.ProvisioningState
}

func (s *Server) setSharedKey(w http.ResponseWriter, r *http.Request, q req, id string) {
	var in armnetwork.ConnectionSharedKey
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if e := checkSharedKey(deref(in.Value)); e != nil {
		writeError(w, e)
		return
	}
	s.startKeyChange(w, r, q, id, opSetSharedKey, deref(in.Value))
}

func (s *Server) resetSharedKey(w http.ResponseWriter, r *http.Request, q req, id string) {
	var in armnetwork.ConnectionResetSharedKey
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if n := deref(in.KeyLength); n < 1 || n > 128 {
		writeError(w, badRequest("InvalidSharedKeyLength", "keyLength is %d; it must be between 1 and 128.", n)) // unverified code
		return
	}
	s.startKeyChange(w, r, q, id, opResetSharedKey, randomKey(int(*in.KeyLength)))
}

// startKeyChange puts the connection into Updating; the key takes effect when
// the operation finishes (finishLocked), as the tunnel re-keys then.
func (s *Server) startKeyChange(w http.ResponseWriter, r *http.Request, q req, id, kind, key string) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() {
		c := s.st.Connections[strings.ToLower(id)]
		if c == nil {
			e = errResourceNotFound(typeConnection, q.name, q.rg)
			return
		}
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		c.Properties.ProvisioningState = ptr(armnetwork.ProvisioningStateUpdating)
		op = s.startLocked(r, kind, id, deref(c.Location), sharedKeyChange)
		op.SharedKey = key
	})
	switch {
	case e != nil:
		writeError(w, e)
	case kind == opResetSharedKey:
		s.answerDelete(w, r, op) // 202 + Location, final-state-via location
	default:
		s.answerPut(w, r, op, armnetwork.ConnectionSharedKey{ID: ptr(id + "/sharedkey"), Value: ptr(key)})
	}
}

// connViewLocked copies a connection and fills the API-only connectionStatus:
// Unknown while provisioning, then Connected once the connection, its gateway
// and its local network gateway have all Succeeded (Connecting otherwise).
func (s *Server) connViewLocked(c *armnetwork.VirtualNetworkGatewayConnection) *armnetwork.VirtualNetworkGatewayConnection {
	out := clone(c)
	p := out.Properties
	st := armnetwork.VirtualNetworkGatewayConnectionStatusUnknown
	switch deref(p.ProvisioningState) {
	case armnetwork.ProvisioningStateFailed:
		st = armnetwork.VirtualNetworkGatewayConnectionStatusNotConnected
	case armnetwork.ProvisioningStateSucceeded:
		st = armnetwork.VirtualNetworkGatewayConnectionStatusConnecting
		gw, lng := s.st.Gateways[gatewayOf(c)], s.st.LocalGateways[localGatewayOf(c)]
		if gw != nil && lng != nil && isSucceeded(gw.Properties.ProvisioningState) && isSucceeded(lng.Properties.ProvisioningState) {
			st = armnetwork.VirtualNetworkGatewayConnectionStatusConnected
		}
	}
	p.ConnectionStatus = ptr(st)
	p.IngressBytesTransferred, p.EgressBytesTransferred = ptr[int64](0), ptr[int64](0)
	return out
}

// liveStatus asks env.Status (the lab's strongSwan) for a provisioned
// connection's state; it runs outside the lock because the lab may call back.
func (s *Server) liveStatus(c *armnetwork.VirtualNetworkGatewayConnection) {
	if s.env.Status == nil || !isSucceeded(c.Properties.ProvisioningState) {
		return
	}
	st, ok := s.env.Status.ConnectionStatus(deref(c.ID))
	if !ok {
		return
	}
	c.Properties.ConnectionStatus = ptr(armnetwork.VirtualNetworkGatewayConnectionStatus(st.Status))
	c.Properties.IngressBytesTransferred = ptr(st.IngressBytes)
	c.Properties.EgressBytesTransferred = ptr(st.EgressBytes)
}

func gatewayOf(c *armnetwork.VirtualNetworkGatewayConnection) string {
	return strings.ToLower(deref(c.Properties.VirtualNetworkGateway1.ID))
}

func localGatewayOf(c *armnetwork.VirtualNetworkGatewayConnection) string {
	return strings.ToLower(deref(c.Properties.LocalNetworkGateway2.ID))
}

// connectionsUsingLocked lists connections that reference a gateway or local
// network gateway (lower-case ID).
func (s *Server) connectionsUsingLocked(key string) []string {
	var out []string
	for _, c := range s.st.Connections {
		if gatewayOf(c) == key || localGatewayOf(c) == key {
			out = append(out, deref(c.ID))
		}
	}
	slices.Sort(out)
	return out
}

// randomKey makes a shared key from letters and digits, which every rule accepts.
func randomKey(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
