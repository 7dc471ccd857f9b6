package azuresim

import (
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// The HTTP verbs every kind answers the same way: serve dispatches a
// request to list, get, put, delete or PATCH tags; kind.go holds the kind
// table and the state each kind keeps.

func (k *kindOf[T]) serve(s *Server, w http.ResponseWriter, r *http.Request, q req) {
	switch {
	case q.name == "" && r.Method == http.MethodGet:
		k.list(s, w, q)
	case q.name == "":
		methodNotAllowed(w, r)
	case len(q.child) > 0 && k.sub != nil:
		k.sub(k, s, w, r, q)
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
		var v *T
		if _, v, e = k.findLocked(s, q); v != nil {
			out = k.viewLocked(s, v)
		}
	})
	if out != nil && k.live != nil {
		k.live(s, out)
	}
	answer(w, e, out)
}

// findLocked returns the ID and the stored resource q names, or ARM's 404
// for it (ResourceNotFound); s.mu held.
func (k *kindOf[T]) findLocked(s *Server, q req) (id string, v *T, e *armError) {
	id = s.networkID(q.rg, k.segment, q.name)
	if v = k.items(s.st)[strings.ToLower(id)]; v == nil {
		return id, nil, errResourceNotFound(k.armType, q.name, q.rg)
	}
	return id, v, nil
}

// conflictLocked checks the writes the cloud serializes with a write to v
// (serial): sync is the 409 to answer now, async the error the new
// operation must fail with (conflicts.go). Kinds without serial never
// conflict.
func (k *kindOf[T]) conflictLocked(s *Server, r *http.Request, key string, v *T) (sync, async *armError) {
	if k.serial == nil {
		return nil, nil
	}
	return s.siblingConflictLocked(r, k.serial(s, key, v))
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
		if e, conflict = k.conflictLocked(s, r, key, in); e != nil {
			return
		}
		m := k.meta(in)
		*m.ID, *m.Name, *m.Type, *m.Etag = new(id), new(q.name), new(k.armType), etag()
		*m.State = new(armnetwork.ProvisioningStateUpdating)
		*m.GUID = new(newGUID())
		times := k.times(s)
		d := times.create
		if old != nil {
			*m.GUID = *k.meta(old).GUID
			d = times.update
		}
		k.items(s.st)[key] = in
		op = s.startLocked(r, opPut, id, deref(*m.Location), d)
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
		if e, conflict = k.conflictLocked(s, r, strings.ToLower(id), v); e != nil {
			return
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
		var (
			id string
			v  *T
		)
		if id, v, e = k.findLocked(s, q); e != nil {
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

// actLocked starts an operation of opKind that takes d on the resource q
// names, for the POST actions below it (a gateway's reset, a connection's
// shared-key change): like a PUT it needs the resource writable and its
// serialized siblings quiet, and it leaves the resource Updating until the
// operation ends (finish.go); s.mu held.
func (k *kindOf[T]) actLocked(s *Server, r *http.Request, q req, opKind string, d time.Duration) (*operation, *armError) {
	id, v, e := k.findLocked(s, q)
	if e != nil {
		return nil, e
	}
	if e = s.writableLocked(r, q.rg, id); e != nil {
		return nil, e
	}
	e, conflict := k.conflictLocked(s, r, strings.ToLower(id), v)
	if e != nil {
		return nil, e
	}
	m := k.meta(v)
	*m.State = new(armnetwork.ProvisioningStateUpdating)
	op := s.startLocked(r, opKind, id, deref(*m.Location), d)
	s.doomLocked(op, conflict)
	return op, nil
}
