package hcloudsim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

const (
	defaultPerPage = 25
	maxPerPage     = 50
)

// sortItems orders items by the `sort` query values ("id", "name:desc", ...);
// without one it keeps ID order, which every caller provides.
func sortItems[T any](items []T, sorts []string, keys map[string]func(a, b T) int) *apiError {
	type order struct {
		cmp  func(a, b T) int
		desc bool
	}
	var orders []order
	for _, s := range sorts {
		field, dir, _ := strings.Cut(s, ":")
		f, ok := keys[field]
		if !ok || (dir != "" && dir != "asc" && dir != "desc") {
			names := slices.Sorted(func(yield func(string) bool) {
				for k := range keys {
					if !yield(k) {
						return
					}
				}
			})
			return invalidField("sort", "%q is not a sort key; use one of %s, optionally with :asc or :desc", s, strings.Join(names, ", "))
		}
		orders = append(orders, order{f, dir == "desc"})
	}
	if id, ok := keys["id"]; ok {
		orders = append(orders, order{cmp: id})
	}
	slices.SortStableFunc(items, func(a, b T) int {
		for _, o := range orders {
			if r := o.cmp(a, b); r != 0 {
				if o.desc {
					return -r
				}
				return r
			}
		}
		return 0
	})
	return nil
}

// paginate cuts one page out of items and describes it in meta.pagination,
// which hcloud-go's All* helpers follow via next_page.
func paginate[T any](c *call, items []T) ([]T, schema.MetaResponse, *apiError) {
	q := c.r.URL.Query()
	page, perPage := 1, defaultPerPage
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, schema.MetaResponse{}, invalidField("page", "%q must be a positive integer", v)
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, schema.MetaResponse{}, invalidField("per_page", "%q must be a positive integer", v)
		}
		perPage = min(n, maxPerPage)
	}
	total := len(items)
	last := max(1, (total+perPage-1)/perPage)
	from := min(total, (page-1)*perPage)
	to := min(total, from+perPage)
	p := &schema.MetaPagination{Page: page, PerPage: perPage, LastPage: last, TotalEntries: total}
	if page > 1 {
		p.PreviousPage = page - 1
	}
	if page < last {
		p.NextPage = page + 1
	}
	out := items[from:to]
	if out == nil {
		out = []T{}
	}
	return out, schema.MetaResponse{Meta: schema.Meta{Pagination: p}}, nil
}

// filter applies the name= and label_selector= query parameters that every
// hcloud-go List call may send.
type filter struct {
	name string
	sel  selector
}

func parseFilter(c *call) (filter, *apiError) {
	q := c.r.URL.Query()
	sel, err := parseSelector(q.Get("label_selector"))
	if err != nil {
		return filter{}, err
	}
	return filter{name: q.Get("name"), sel: sel}, nil
}

func (f filter) match(name string, labels map[string]string) bool {
	return (f.name == "" || f.name == name) && f.sel.matches(labels)
}

// listResponse sorts and pages items; body builds the list part of the
// answer, an hcloud-go schema.XListResponse, which gets "meta" beside it.
func listResponse[T any](c *call, items []T, keys map[string]func(a, b T) int, body func(page []T) any) (int, any, *apiError) {
	if err := sortItems(items, c.r.URL.Query()["sort"], keys); err != nil {
		return 0, nil, err
	}
	page, meta, err := paginate(c, items)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, paged{body(page), meta}, nil
}

// paged is a list answer: the keys of the schema.XListResponse (the
// resource list) and of schema.MetaResponse ("meta") side by side in one
// object. hcloud-go's list response types carry no meta, and Go cannot
// embed a type parameter, so the two objects are merged when encoded.
type paged struct {
	list any
	meta schema.MetaResponse
}

func (p paged) MarshalJSON() ([]byte, error) {
	obj := map[string]json.RawMessage{}
	for _, part := range []any{p.list, p.meta} {
		b, err := json.Marshal(part)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, err
		}
	}
	return json.Marshal(obj)
}
