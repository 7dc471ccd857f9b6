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
	// sub serves paths below /{name}/ (subnets, actions).
	sub func(s *Server, w http.ResponseWriter, r *http.Request, q req)
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

func (k *kindOf[T]) serve(s *Server, w http.ResponseWriter, r *http.Request, q req) {
	switch {
	case q.name == "" && r.Method == http.MethodGet:
		k.list(s, w, q)
	case q.name == "":
		methodNotAllowed(w, r)
	case len(q.child) > 0 && k.sub != nil:
		k.sub(s, w, r, q)
	case len(q.child) > 0:
		writeError(w, errNoRoute(r))
	case r.Method == http.MethodGet:
		k.get(s, w, q)
	case r.Method == http.MethodPut:
		k.put(s, w, r, q)
	case r.Method == http.MethodDelete:
		k.del(s, w, r, q)
	case r.Method == http.MethodPatch && k.tags != nil:
		k.patchTags(s, w, r, q)
	default:
		methodNotAllowed(w, r)
	}
}

// list answers one page ({"value": [...]}) of the group's resources.
func (k *kindOf[T]) list(s *Server, w http.ResponseWriter, q req) {
	var list []*T
	s.withLock(func() {
		list = listIn(k.items(s.st), s.groupPrefix(q.rg)+strings.ToLower(k.segment)+"/")
		for i, v := range list {
			list[i] = k.viewLocked(s, v)
		}
	})
	if k.live != nil {
		for _, v := range list {
			k.live(s, v)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Value []*T `json:"value"`
	}{list})
}

func (k *kindOf[T]) get(s *Server, w http.ResponseWriter, q req) {
	var (
		out *T
		e   *armError
	)
	s.withLock(func() {
		if v := k.items(s.st)[strings.ToLower(s.networkID(q.rg, k.segment, q.name))]; v != nil {
			out = k.viewLocked(s, v)
		} else {
			e = errResourceNotFound(k.armType, q.name, q.rg)
		}
	})
	if out != nil && k.live != nil {
		k.live(s, out)
	}
	answer(w, e, out)
}

// put is ARM's create-or-update: validate, store the resource Updating and
// start the operation that finishes it.
func (k *kindOf[T]) put(s *Server, w http.ResponseWriter, r *http.Request, q req) {
	in := new(T)
	if e := decode(r, in); e != nil {
		writeError(w, e)
		return
	}
	var (
		op  *operation
		out *T
		e   *armError
	)
	s.withLock(func() {
		id := s.networkID(q.rg, k.segment, q.name)
		key := strings.ToLower(id)
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		old := k.items(s.st)[key]
		if e = k.check(s, in, old, id); e != nil {
			return
		}
		var conflict *armError
		if k.serial != nil {
			if e, conflict = s.siblingConflictLocked(r, k.serial(s, key, in)); e != nil {
				return
			}
		}
		m := k.meta(in)
		*m.ID, *m.Name, *m.Type, *m.Etag = ptr(id), ptr(q.name), ptr(k.armType), etag()
		*m.State = ptr(armnetwork.ProvisioningStateUpdating)
		*m.GUID = ptr(newGUID())
		d := k.times(s)
		real := d.create
		if old != nil {
			*m.GUID = *k.meta(old).GUID
			real = d.update
		}
		k.items(s.st)[key] = in
		op = s.startLocked(r, opPut, id, deref(*m.Location), real)
		op.Created = old == nil
		op.Lost = old != nil && k.updateOpLost
		s.doomLocked(op, conflict)
		out = k.viewLocked(s, in)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerPut(w, r, op, out)
}

// del starts a delete; a resource that is gone answers 204 (ARM deletes are
// idempotent).
func (k *kindOf[T]) del(s *Server, w http.ResponseWriter, r *http.Request, q req) {
	var (
		op *operation
		e  *armError
	)
	s.withLock(func() {
		id := s.networkID(q.rg, k.segment, q.name)
		v := k.items(s.st)[strings.ToLower(id)]
		if v == nil {
			return
		}
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		if k.inUse != nil {
			if e = k.inUse(s, v, id); e != nil {
				return
			}
		}
		var conflict *armError
		if k.serial != nil {
			if e, conflict = s.siblingConflictLocked(r, k.serial(s, strings.ToLower(id), v)); e != nil {
				return
			}
		}
		m := k.meta(v)
		op = s.startDeleteLocked(r, id, deref(*m.Location), m.State, k.times(s))
		s.doomLocked(op, conflict)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.answerDelete(w, r, op)
}

func (k *kindOf[T]) setState(s *Server, id string, ps armnetwork.ProvisioningState) bool {
	if v := k.items(s.st)[id]; v != nil {
		*k.meta(v).State = ptr(ps)
		if k.onState != nil {
			k.onState(v, ps)
		}
		return true
	}
	if parent, ok := k.parentOf(s.st, id); ok {
		if parent != nil {
			if st := k.child.state(parent, id); st != nil {
				*st = ptr(ps)
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

func errNoRoute(r *http.Request) *armError {
	return &armError{Status: http.StatusNotFound, Code: "NotFound", Message: "No HTTP resource was found that matches the request URI '" + r.URL.Path + "'."}
}

// patchTags is ARM's UpdateTags: PATCH {"tags": {...}} on the resource,
// answered 200 with the resource at once (no operation: armnetwork's
// VirtualNetworksClient.UpdateTags accepts only 200 and has no poller).
// The emulator replaces the whole tag set with the body's; whether real ARM
// merges instead is unverified, so clients should send every tag they want
// kept (the provider reads them first). A resource busy with an operation
// refuses it like a PUT (409 AnotherOperationInProgress).
func (k *kindOf[T]) patchTags(s *Server, w http.ResponseWriter, r *http.Request, q req) {
	var in armnetwork.TagsObject
	if e := decode(r, &in); e != nil {
		writeError(w, e)
		return
	}
	var (
		out *T
		e   *armError
	)
	s.withLock(func() {
		id := s.networkID(q.rg, k.segment, q.name)
		v := k.items(s.st)[strings.ToLower(id)]
		if v == nil {
			e = errResourceNotFound(k.armType, q.name, q.rg)
			return
		}
		if e = s.writableLocked(r, q.rg, id); e != nil {
			return
		}
		*k.tags(v) = in.Tags
		*k.meta(v).Etag = etag()
		out = k.viewLocked(s, v)
	})
	if e != nil {
		writeError(w, e)
		return
	}
	s.env.Stats.Mutation()
	writeJSON(w, http.StatusOK, out)
}
