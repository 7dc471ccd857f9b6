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

// A shared-key change (SetSharedKey, ResetSharedKey) is an operation that
// reports Succeeded, with the new key readable, while the connection still
// reads Updating: "Though the statusCode returned by API is 200 but the
// provisioningState is Updating" (Azure/azure-rest-api-specs#26660, 2023;
// #14473: a write right after it gets AnotherOperationInProgress). azurerm
// polls GET until Succeeded after every SetSharedKeyThenPoll (PR #23860).
// The key is in force, and the tunnel re-keyed, when the connection is
// Succeeded again; a policy or key change takes effect "in about a minute"
// (docs/facts/ipsec.md, "Custom policy"). keyAccept is a guess.
const (
	keyAccept = 10 * time.Second
	keySettle = time.Minute
)

type connectionKindOf = kindOf[armnetwork.VirtualNetworkGatewayConnection]

// connectionKind: connections, with the sharedkey endpoints.
var connectionKind = &kindOf[armnetwork.VirtualNetworkGatewayConnection]{
	segment: "connections", armType: typeConnection,
	times: fixed(connectionDurations),
	meta: func(c *armnetwork.VirtualNetworkGatewayConnection) meta {
		return meta{&c.ID, &c.Name, &c.Type, &c.Etag, &c.Location, &c.Properties.ResourceGUID, &c.Properties.ProvisioningState}
	},
	check: func(s *Server, in, old *armnetwork.VirtualNetworkGatewayConnection, id string) *armError {
		if e := s.checkConnectionLocked(in, old, id); e != nil {
			return e
		}
		p := in.Properties
		p.VirtualNetworkGateway1 = &armnetwork.VirtualNetworkGateway{ID: p.VirtualNetworkGateway1.ID}
		p.LocalNetworkGateway2 = &armnetwork.LocalNetworkGateway{ID: p.LocalNetworkGateway2.ID}
		p.ConnectionStatus, p.TunnelConnectionStatus = nil, nil
		p.IngressBytesTransferred, p.EgressBytesTransferred = new(int64(0)), new(int64(0))
		return nil
	},
	view:   func(s *Server, c *armnetwork.VirtualNetworkGatewayConnection) { s.connStatusLocked(c) },
	serial: (*Server).siblingConnectionsLocked,
	live:   (*Server).liveStatus,
	sub:    serveSharedKey,
	onPut: func(s *Server, op *operation) {
		if op.Created {
			s.emit("azure.connection.created", op.ResourceID)
		} else {
			s.emit("azure.connection.updated", op.ResourceID)
		}
	},
	onRemove: func(s *Server, armID string) { s.emit("azure.connection.deleted", armID) },
}

func (st *state) connections() map[string]*armnetwork.VirtualNetworkGatewayConnection {
	return table[armnetwork.VirtualNetworkGatewayConnection](st, "connections")
}

// serveSharedKey handles connections/{name}/sharedkey[/reset].
func serveSharedKey(k *connectionKindOf, s *Server, w http.ResponseWriter, r *http.Request, q req) {
	switch {
	case !ieq(q.child[0], "sharedkey"), len(q.child) > 2, len(q.child) == 2 && !ieq(q.child[1], "reset"):
		writeError(w, errNoRoute(r))
	case len(q.child) == 2 && r.Method == http.MethodPost:
		s.resetSharedKey(k, w, r, q)
	case len(q.child) == 1 && r.Method == http.MethodGet:
		var (
			out *armnetwork.ConnectionSharedKey
			e   *armError
		)
		s.withLock(func() {
			if id, c, e0 := k.findLocked(s, q); c != nil {
				out = &armnetwork.ConnectionSharedKey{ID: new(id + "/sharedkey"), Value: c.Properties.SharedKey}
			} else {
				e = e0
			}
		})
		answer(w, e, out)
	case len(q.child) == 1 && r.Method == http.MethodPut:
		s.setSharedKey(k, w, r, q)
	default:
		methodNotAllowed(w, r)
	}
}

// checkConnectionLocked applies docs/facts/ipsec.md ("Custom policy", "Pitfalls") and fills defaults.
func (s *Server) checkConnectionLocked(c, old *armnetwork.VirtualNetworkGatewayConnection, id string) *armError {
	if e := checkLocation(&c.Location, typeConnection); e != nil {
		return e
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
	gw, lng := s.st.gateways()[strings.ToLower(gwID)], s.st.localGateways()[strings.ToLower(lngID)]
	if gw == nil {
		return errInvalidReference(gwID, id)
	}
	if e := refOK(true, gw.Properties.ProvisioningState, gwID, id, putOpGateway); e != nil {
		return e
	}
	if e := refOK(lng != nil, provisioningOf(lng), lngID, id, putOpLocalGateway); e != nil {
		return e
	}
	if p.ConnectionProtocol == nil {
		p.ConnectionProtocol = new(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2)
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
		p.DpdTimeoutSeconds = new(int32(45))
	}
	if p.ConnectionMode == nil {
		p.ConnectionMode = new(armnetwork.VirtualNetworkGatewayConnectionModeDefault)
	}
	if e := enumCheck("properties.connectionMode", *p.ConnectionMode, armnetwork.PossibleVirtualNetworkGatewayConnectionModeValues()); e != nil {
		return e
	}
	switch {
	case old != nil:
		// A PUT on an existing connection ignores sharedKey; only the
		// sharedkey endpoint changes it (azurerm PR #11742: "The PUT
		// operation on the vnet gw connection will not update the
		// shared_key"; Azure/azure-sdk-for-java#18083).
		p.SharedKey = old.Properties.SharedKey
	case p.SharedKey != nil:
		return checkSharedKey(*p.SharedKey)
	default:
		p.SharedKey = new(randomKey(32))
	}
	return nil
}

// keySetLocked: the key-change operation ended; the new key is readable
// and the connection settles for keySettle (still Updating, still busy).
func (s *Server) keySetLocked(op *operation, final armnetwork.ProvisioningState) {
	c := s.st.connections()[op.Target]
	if c == nil {
		return
	}
	if final != armnetwork.ProvisioningStateSucceeded {
		c.Properties.ProvisioningState = new(final)
		return
	}
	c.Properties.SharedKey = new(op.SharedKey)
	s.settleLocked(opKeySettle, op, keySettle)
}

// keySettledLocked: the key is in force; the lab re-keys the tunnel.
func (s *Server) keySettledLocked(op *operation) {
	if c := s.st.connections()[op.Target]; c != nil {
		c.Properties.ProvisioningState = new(armnetwork.ProvisioningStateSucceeded)
		s.emit("azure.connection.updated", op.ResourceID)
	}
}

func provisioningOf(l *armnetwork.LocalNetworkGateway) *armnetwork.ProvisioningState {
	if l == nil {
		return nil
	}
	return l.Properties.ProvisioningState
}

func (s *Server) setSharedKey(k *connectionKindOf, w http.ResponseWriter, r *http.Request, q req) {
	var in armnetwork.ConnectionSharedKey
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if e := checkSharedKey(deref(in.Value)); e != nil {
		writeError(w, e)
		return
	}
	s.startKeyChange(k, w, r, q, opSetSharedKey, deref(in.Value))
}

func (s *Server) resetSharedKey(k *connectionKindOf, w http.ResponseWriter, r *http.Request, q req) {
	var in armnetwork.ConnectionResetSharedKey
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	if n := deref(in.KeyLength); n < 1 || n > 128 {
		writeError(w, badRequest("InvalidSharedKeyLength", "keyLength is %d; it must be between 1 and 128.", n)) // unverified code
		return
	}
	s.startKeyChange(k, w, r, q, opResetSharedKey, randomKey(int(*in.KeyLength)))
}

// startKeyChange puts the connection into Updating; the operation ends
// after keyAccept with the new key readable, the connection settles
// keySettle later (keySetLocked, keySettledLocked). Like any write it waits
// for the gateway's other connections (serial).
func (s *Server) startKeyChange(k *connectionKindOf, w http.ResponseWriter, r *http.Request, q req, kind, key string) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() {
		if op, e = k.actLocked(s, r, q, kind, keyAccept); op != nil {
			op.SharedKey = key
		}
	})
	switch {
	case e != nil:
		writeError(w, e)
	case kind == opResetSharedKey:
		s.answerDelete(w, r, op) // 202 + Location, final-state-via location
	default:
		id := s.networkID(q.rg, k.segment, q.name)
		s.answerPut(w, r, op, armnetwork.ConnectionSharedKey{ID: new(id + "/sharedkey"), Value: new(key)})
	}
}

// connStatusLocked fills the API-only connectionStatus of a copy: Unknown
// while provisioning, then Connected once the connection, its gateway and its
// local network gateway have all Succeeded (Connecting otherwise).
func (s *Server) connStatusLocked(c *armnetwork.VirtualNetworkGatewayConnection) {
	p := c.Properties
	st := armnetwork.VirtualNetworkGatewayConnectionStatusUnknown
	ps := deref(p.ProvisioningState)
	if op := s.st.Ops[s.pending[strings.ToLower(deref(c.ID))]]; op != nil && op.Kind == opKeySettle {
		// The old tunnel is still reported while the new key is applied:
		// the status predates the key change.
		ps = armnetwork.ProvisioningStateSucceeded
	}
	switch ps {
	case armnetwork.ProvisioningStateFailed:
		st = armnetwork.VirtualNetworkGatewayConnectionStatusNotConnected
	case armnetwork.ProvisioningStateSucceeded:
		st = armnetwork.VirtualNetworkGatewayConnectionStatusConnecting
		gw, lng := s.st.gateways()[gatewayOf(c)], s.st.localGateways()[localGatewayOf(c)]
		if gw != nil && lng != nil && isSucceeded(gw.Properties.ProvisioningState) && isSucceeded(lng.Properties.ProvisioningState) {
			st = armnetwork.VirtualNetworkGatewayConnectionStatusConnected
		}
	}
	p.ConnectionStatus = new(st)
	p.IngressBytesTransferred, p.EgressBytesTransferred = new(int64(0)), new(int64(0))
	s.tunnelHealthLocked(c, st) // activeactive.go
}

// connViewLocked copies a connection with its status filled.
func (s *Server) connViewLocked(c *armnetwork.VirtualNetworkGatewayConnection) *armnetwork.VirtualNetworkGatewayConnection {
	out := clone(c)
	s.connStatusLocked(out)
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
	c.Properties.ConnectionStatus = new(armnetwork.VirtualNetworkGatewayConnectionStatus(st.Status))
	c.Properties.IngressBytesTransferred = new(st.IngressBytes)
	c.Properties.EgressBytesTransferred = new(st.EgressBytes)
	liveTunnels(c, st)
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
	for _, c := range s.st.connections() {
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

// siblingConnectionsLocked lists the other connections of c's gateway, whose
// writes the gateway serializes with c's (conflicts.go).
func (s *Server) siblingConnectionsLocked(key string, c *armnetwork.VirtualNetworkGatewayConnection) []string {
	var out []string
	for k, other := range s.st.connections() {
		if k != key && gatewayOf(other) == gatewayOf(c) {
			out = append(out, k)
		}
	}
	return out
}
