package azuresim

import (
	"net/http"
	"strings"

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
