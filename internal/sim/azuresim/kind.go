package azuresim

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// A kind is one Microsoft.Network resource collection. The router, the
// finishing of operations, removal, group deletion, Resources() and the
// state file are loops over kinds, so a new resource type is one file with
// one kindOf value plus one line in the kinds registry.
type kind interface {
	// seg is the URL segment and state-file key, e.g. "localNetworkGateways".
	seg() string
	serve(s *Server, w http.ResponseWriter, r *http.Request, q req)
	// setState sets the provisioningState of the resource (or child) with
	// the lower-case id and reports whether it is one of this kind's.
	setState(s *Server, id string, ps armnetwork.ProvisioningState) bool
	// remove deletes the resource (or child) with the lower-case id.
	remove(s *Server, id, armID string) bool
	// keys lists the lower-case IDs of the resources below prefix, with
	// their IDs as ARM spells them.
	keys(st *state, prefix string) map[string]string
	// resources reports every live resource (children included).
	resources(st *state, add func(typ string, id, name *string))
	// putDone runs after a PUT of this kind succeeded (events for the lab).
	putDone(s *Server, op *operation)
	table(st *state) any
	load(st *state, raw json.RawMessage) error
}

// kinds lists every kind the emulator serves, in teardown order: a group
// deletion removes connections before gateways, so the lab tears tunnels
// down first. It is filled in init because the kinds' handlers reach back
// into code that loops over it.
var kinds []kind

func init() {
	kinds = []kind{connectionKind, gatewayKind, localGatewayKind, publicIPKind, vnetKind}
}

// kindFor finds the kind of a URL segment (case-insensitive, as ARM).
func kindFor(segment string) kind {
	for _, k := range kinds {
		if ieq(k.seg(), segment) {
			return k
		}
	}
	return nil
}

// meta points at the fields every ARM resource carries, so the generic PUT
// and DELETE can fill and read them.
type meta struct {
	ID, Name, Type, Etag, Location, GUID **string
	State                                **armnetwork.ProvisioningState
}

// kindOf describes one kind of resource of SDK type T. Hooks left nil do
// nothing.
type kindOf[T any] struct {
	segment string
	armType string // "type" in responses, e.g. Microsoft.Network/connections
	// times are the real-world durations of create, update and delete.
	times func(s *Server) durations
	// meta must only be called once Properties is set (after check).
	meta func(v *T) meta
	// check validates a PUT body and fills defaults and read-only fields;
	// old is the stored resource (nil on create). s.mu is held.
	check func(s *Server, in, old *T, id string) *armError
	// view decorates a copy for a response (s.mu held); live adds what
	// must be asked outside the lock (the lab's tunnel state).
	view func(s *Server, v *T)
	live func(s *Server, v *T)
	// inUse refuses a DELETE of a resource others still reference.
	inUse func(s *Server, v *T, id string) *armError
	// sub serves paths below /{name}/ (subnets, actions). It gets its kind
	// because a kind's value cannot name itself (an initialization cycle).
	sub func(k *kindOf[T], s *Server, w http.ResponseWriter, r *http.Request, q req)
	// onState runs when an operation sets the provisioningState.
	onState func(v *T, ps armnetwork.ProvisioningState)
	// child describes resources stored inside this one (a VNet's subnets).
	child *childKind[T]
	// serial lists the lower-case IDs of resources whose writes the cloud
	// serializes with a write to v (a gateway's other connections).
	serial func(s *Server, key string, v *T) []string
	// updateOpLost: the operation URL of an in-place update answers 404
	// although the update is applied (localNetworkGateways).
	updateOpLost bool
	// tags, when set, lets PATCH (ARM's UpdateTags) replace the tags.
	tags func(v *T) *map[string]*string
	// onPut and onRemove queue the lab's events.
	onPut    func(s *Server, op *operation)
	onRemove func(s *Server, armID string)
}

// childKind is a resource kept inside its parent, as ARM returns subnets
// inside their VNet.
type childKind[T any] struct {
	segment, armType string
	state            func(parent *T, id string) **armnetwork.ProvisioningState
	remove           func(parent *T, id string)
	each             func(parent *T, add func(typ string, id, name *string))
}

func (k *kindOf[T]) seg() string { return k.segment }

// items is the kind's table in st, keyed by lower-case ARM ID.
func (k *kindOf[T]) items(st *state) map[string]*T { return table[T](st, k.segment) }

// table returns (creating when absent) the map st keeps for segment.
func table[T any](st *state, segment string) map[string]*T {
	if m, ok := st.tables[segment].(map[string]*T); ok {
		return m
	}
	m := map[string]*T{}
	st.tables[segment] = m
	return m
}

func (k *kindOf[T]) table(st *state) any { return k.items(st) }

func (k *kindOf[T]) load(st *state, raw json.RawMessage) error {
	m := map[string]*T{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	if m == nil { // "null"
		m = map[string]*T{}
	}
	st.tables[k.segment] = m
	return nil
}

func (k *kindOf[T]) viewLocked(s *Server, v *T) *T {
	out := clone(v)
	if k.view != nil {
		k.view(s, out)
	}
	return out
}

func (k *kindOf[T]) setState(s *Server, id string, ps armnetwork.ProvisioningState) bool {
	if v := k.items(s.st)[id]; v != nil {
		*k.meta(v).State = new(ps)
		if k.onState != nil {
			k.onState(v, ps)
		}
		return true
	}
	if parent, ok := k.parentOf(s.st, id); ok {
		if parent != nil {
			if st := k.child.state(parent, id); st != nil {
				*st = new(ps)
			}
		}
		return true
	}
	return false
}

// parentOf finds the resource a child ID (…/subnets/x) belongs to; ok says
// the ID has the shape of one of this kind's children (the parent may be
// gone, p is then nil), so that no other kind claims it.
func (k *kindOf[T]) parentOf(st *state, id string) (p *T, ok bool) {
	if k.child == nil {
		return nil, false
	}
	i := strings.Index(id, "/"+strings.ToLower(k.child.segment)+"/")
	if i < 0 {
		return nil, false
	}
	return k.items(st)[id[:i]], true
}

func (k *kindOf[T]) remove(s *Server, id, armID string) bool {
	m := k.items(s.st)
	if m[id] != nil {
		delete(m, id)
		if k.onRemove != nil {
			k.onRemove(s, armID)
		}
		return true
	}
	if parent, ok := k.parentOf(s.st, id); ok {
		if parent != nil {
			k.child.remove(parent, id)
		}
		return true
	}
	return false
}

func (k *kindOf[T]) keys(st *state, prefix string) map[string]string {
	out := map[string]string{}
	for key, v := range k.items(st) {
		if strings.HasPrefix(key, prefix) {
			out[key] = deref(*k.meta(v).ID)
		}
	}
	return out
}

func (k *kindOf[T]) resources(st *state, add func(typ string, id, name *string)) {
	for _, v := range k.items(st) {
		m := k.meta(v)
		add(k.armType, *m.ID, *m.Name)
		if k.child != nil {
			k.child.each(v, add)
		}
	}
}

func (k *kindOf[T]) putDone(s *Server, op *operation) {
	if k.onPut != nil && k.items(s.st)[op.Target] != nil { // not for a child
		k.onPut(s, op)
	}
}

// fixed is a times function for kinds whose durations do not depend on
// the server's options.
func fixed(d durations) func(*Server) durations { return func(*Server) durations { return d } }
