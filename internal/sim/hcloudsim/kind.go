package hcloudsim

import (
	"cmp"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// kindOf describes one kind of resource the project stores (networks,
// servers, Floating IPs, ...), so that what every kind does alike has one
// home: the lookup that answers not_found, the project-wide name rule, the
// list with name=, label_selector=, sort= and pages, the get, the update of
// name and labels, the immediate delete and the preamble of an action. T is
// what the state keeps, V what the API shows; they differ for servers, whose
// record holds what the API never returns (serverRec).
type kindOf[T, V any] struct {
	// typ names the kind in not_found messages, locks, action resources and
	// /_sim/state, e.g. "floating_ip".
	typ string
	// label names one resource in messages, e.g. "Floating IP".
	label string
	items func(st *state) map[int64]*T
	meta  func(v *T) meta
	// view is the API's copy of v, sharing nothing with state.
	view func(s *Server, v *T) V
	// sorts are the sort keys the kind's list takes besides id: "name",
	// "created" or both.
	sorts []string
	// match, when set, applies the list's kind-specific query parameters.
	match func(q url.Values, v *T) bool
	// protected, for the kinds that have protection.delete, reports it.
	protected func(v *T) bool
	// The response bodies, in hcloud-go's schema types.
	getBody, updateBody func(v V) any
	listBody            func(page []V) any
}

// meta points at the fields every stored resource has.
type meta struct {
	id      int64
	name    *string
	labels  *map[string]string
	created time.Time
}

// stored lists every kind for /_sim/state (Resources).
var stored = []interface {
	each(s *Server, add func(typ string, id int64, name string))
}{networks, servers, primaryIPs, floatingIPs, firewalls, sshKeys, placementGroups, loadBalancers}

func (k *kindOf[T, V]) each(s *Server, add func(typ string, id int64, name string)) {
	for _, v := range k.items(s.st) {
		m := k.meta(v)
		add(k.typ, m.id, *m.name)
	}
}

// find looks a resource up, answering not_found as the API does.
func (k *kindOf[T, V]) find(s *Server, id int64) (*T, *apiError) {
	v, ok := k.items(s.st)[id]
	if !ok {
		return nil, notFound(k.typ, id)
	}
	return v, nil
}

// checkName enforces that a resource has a name and that no other resource
// of its kind in the project has it (uniqueness_error).
func (k *kindOf[T, V]) checkName(s *Server, name string) *apiError {
	if name == "" {
		return invalidField("name", "a %s needs a name", k.label)
	}
	for _, v := range k.items(s.st) {
		if *k.meta(v).name == name {
			return errf("uniqueness_error", "%s name %q is already used in this project; choose another name", k.label, name)
		}
	}
	return nil
}

// decodeNew is how every create with a mandatory name starts: decode the
// request, then check the labels' syntax (checkLabels) and the name. name
// and labels point into req.
func (k *kindOf[T, V]) decodeNew(c *call, req any, name *string, labels **map[string]string) *apiError {
	if err := c.decode(req); err != nil {
		return err
	}
	if err := checkLabels(*labels); err != nil {
		return err
	}
	return k.checkName(c.s, *name)
}

// sorted returns the views of all resources, ordered by ID, for the lab.
func (k *kindOf[T, V]) sorted(s *Server) []V {
	m := k.items(s.st)
	out := make([]V, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k.view(s, m[id]))
	}
	return out
}

// get answers GET /{kind}/{id}.
func (k *kindOf[T, V]) get(c *call, id int64) (int, any, *apiError) {
	v, err := k.find(c.s, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, k.getBody(k.view(c.s, v)), nil
}

// list answers GET /{kind}: the name= and label_selector= filter every
// hcloud-go List call may send, the kind's own parameters (match), then
// sort and pages (listResponse). Only the page is turned into views.
func (k *kindOf[T, V]) list(c *call) (int, any, *apiError) {
	f, err := parseFilter(c)
	if err != nil {
		return 0, nil, err
	}
	q := c.r.URL.Query()
	var hits []*T
	for _, v := range k.items(c.s.st) {
		m := k.meta(v)
		if f.match(*m.name, *m.labels) && (k.match == nil || k.match(q, v)) {
			hits = append(hits, v)
		}
	}
	keys := map[string]func(a, b *T) int{
		"id": func(a, b *T) int { return cmp.Compare(k.meta(a).id, k.meta(b).id) },
	}
	for _, key := range k.sorts {
		switch key {
		case "name":
			keys[key] = func(a, b *T) int { return cmp.Compare(*k.meta(a).name, *k.meta(b).name) }
		case "created":
			keys[key] = func(a, b *T) int { return k.meta(a).created.Compare(k.meta(b).created) }
		}
	}
	return listResponse(c, hits, keys, func(page []*T) any {
		views := make([]V, 0, len(page))
		for _, v := range page {
			views = append(views, k.view(c.s, v))
		}
		return k.listBody(views)
	})
}

// edit is what an update request may change in every kind: the name (nil:
// kept) and the labels (nil: kept).
type edit struct {
	name   *string
	labels *map[string]string
}

// nonEmpty is the name of an update request whose name field is a plain
// string, where "" means "keep the name".
func nonEmpty(name string) *string {
	if name == "" {
		return nil
	}
	return &name
}

// updater builds PUT /{kind}/{id} for requests of type R: fields says what
// the request asks of name and labels; more, when set, applies the kind's
// other fields once everything is validated, so a refused update changes
// nothing.
func updater[T, V, R any](k *kindOf[T, V], fields func(req *R) edit, more func(v *T, req *R)) func(c *call, id int64) (int, any, *apiError) {
	return func(c *call, id int64) (int, any, *apiError) {
		var req R
		if err := c.decode(&req); err != nil {
			return 0, nil, err
		}
		e := fields(&req)
		if err := checkLabels(e.labels); err != nil {
			return 0, nil, err
		}
		v, err := k.find(c.s, id)
		if err != nil {
			return 0, nil, err
		}
		m := k.meta(v)
		if e.name != nil && *e.name != *m.name {
			if err := k.checkName(c.s, *e.name); err != nil {
				return 0, nil, err
			}
			*m.name = *e.name
		}
		if e.labels != nil {
			*m.labels = labelsOrEmpty(e.labels)
		}
		if more != nil {
			more(v, &req)
		}
		return http.StatusOK, k.updateBody(k.view(c.s, v)), nil
	}
}

// deleter builds DELETE /{kind}/{id} for the kinds whose delete is
// immediate (204, no action): after the protection check, refuse, when set,
// may veto it before anything changes; gone, when set, runs after the
// removal (detaching, events).
func (k *kindOf[T, V]) deleter(refuse func(c *call, v *T) *apiError, gone func(c *call, v *T)) func(c *call, id int64) (int, any, *apiError) {
	return func(c *call, id int64) (int, any, *apiError) {
		v, err := k.deletable(c.s, id)
		if err != nil {
			return 0, nil, err
		}
		if refuse != nil {
			if err := refuse(c, v); err != nil {
				return 0, nil, err
			}
		}
		delete(k.items(c.s.st), id)
		if gone != nil {
			gone(c, v)
		}
		return http.StatusNoContent, nil, nil
	}
}

// deletable looks up a resource to delete, refusing one whose
// protection.delete is set until change_protection clears it.
func (k *kindOf[T, V]) deletable(s *Server, id int64) (*T, *apiError) {
	v, err := k.find(s, id)
	if err == nil && k.protected != nil && k.protected(v) {
		return nil, errf("protected", "%s %d is delete-protected; disable it with change_protection first", k.label, id)
	}
	return v, err
}

// ref is the action resource reference of resource id.
func (k *kindOf[T, V]) ref(id int64) ref { return ref{ID: id, Type: k.typ} }
