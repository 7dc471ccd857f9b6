package hcloudsim

import (
	"slices"
	"strings"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// checkLabels enforces Hetzner's label syntax on a request's labels: keys
// "[prefix/]name" (prefix up to 253, name up to 63 characters), values up to
// 63 characters, alphanumeric at both ends with "-_." in between, or empty.
// The rules are hcloud-go's own (hcloud/labels.go, ValidateResourceLabels),
// which mirrors the API reference's "Labels" section; the API answers
// invalid_input on the labels field.
func checkLabels(l *map[string]string) *apiError {
	if l == nil {
		return nil
	}
	m := make(map[string]any, len(*l))
	for k, v := range *l {
		m[k] = v
	}
	if ok, err := hcloud.ValidateResourceLabels(m); !ok {
		return invalidField("labels", "%v", err)
	}
	return nil
}

// selector is a parsed Hetzner label selector: comma-separated requirements
// that must all hold ("env=prod", "env!=dev", "role", "!legacy",
// "tier in (a,b)", "tier notin (c)"), as in the API's "Label Selector" docs.
type selector []requirement

type requirement struct {
	key    string
	op     string // "=", "!=", "exists", "!exists", "in", "notin"
	values []string
}

func parseSelector(s string) (selector, *apiError) {
	var out selector
	for _, part := range splitTopLevel(s) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		r, ok := parseRequirement(part)
		if !ok {
			return nil, invalidField("label_selector", "%q is not a label requirement (key, !key, key=value, key!=value, key in (v1,v2), key notin (v1))", part)
		}
		out = append(out, r)
	}
	return out, nil
}

// splitTopLevel splits on commas outside parentheses.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, ch := range s {
		switch ch {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func parseRequirement(p string) (requirement, bool) {
	for _, op := range []string{" notin ", " in "} {
		if k, v, ok := strings.Cut(p, op); ok {
			v = strings.TrimSpace(v)
			if !strings.HasPrefix(v, "(") || !strings.HasSuffix(v, ")") {
				return requirement{}, false
			}
			var vals []string
			for _, x := range strings.Split(v[1:len(v)-1], ",") {
				vals = append(vals, strings.TrimSpace(x))
			}
			return requirement{key: strings.TrimSpace(k), op: strings.TrimSpace(op), values: vals}, validKey(strings.TrimSpace(k))
		}
	}
	if k, v, ok := strings.Cut(p, "!="); ok {
		return requirement{key: strings.TrimSpace(k), op: "!=", values: []string{strings.TrimSpace(v)}}, validKey(strings.TrimSpace(k))
	}
	if k, v, ok := strings.Cut(p, "=="); ok {
		return requirement{key: strings.TrimSpace(k), op: "=", values: []string{strings.TrimSpace(v)}}, validKey(strings.TrimSpace(k))
	}
	if k, v, ok := strings.Cut(p, "="); ok {
		return requirement{key: strings.TrimSpace(k), op: "=", values: []string{strings.TrimSpace(v)}}, validKey(strings.TrimSpace(k))
	}
	if k, ok := strings.CutPrefix(p, "!"); ok {
		return requirement{key: strings.TrimSpace(k), op: "!exists"}, validKey(strings.TrimSpace(k))
	}
	return requirement{key: p, op: "exists"}, validKey(p)
}

func validKey(k string) bool {
	return k != "" && !strings.ContainsAny(k, " =!(),")
}

func (sel selector) matches(labels map[string]string) bool {
	for _, r := range sel {
		v, has := labels[r.key]
		ok := false
		switch r.op {
		case "=":
			ok = has && v == r.values[0]
		case "!=":
			ok = !has || v != r.values[0]
		case "exists":
			ok = has
		case "!exists":
			ok = !has
		case "in":
			ok = has && slices.Contains(r.values, v)
		case "notin":
			ok = !has || !slices.Contains(r.values, v)
		}
		if !ok {
			return false
		}
	}
	return true
}
