package prefixplan

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwtest"
)

// prov is one providers element; length 0 leaves prefix_length null, -1
// makes it unknown.
type prov struct {
	name   string
	length int64
}

func modelOf(supernet string, ps ...prov) model {
	elemType := types.ObjectType{AttrTypes: providerAttrTypes}
	elems := make([]attr.Value, len(ps))
	for i, p := range ps {
		l := types.Int64Null()
		switch {
		case p.length > 0:
			l = types.Int64Value(p.length)
		case p.length < 0:
			l = types.Int64Unknown()
		}
		elems[i] = types.ObjectValueMust(providerAttrTypes, map[string]attr.Value{
			attrName: types.StringValue(p.name), attrPrefixLength: l,
		})
	}
	return model{
		Supernet:  types.StringValue(supernet),
		Providers: types.ListValueMust(elemType, elems),
	}
}

func TestBuildAndApply(t *testing.T) {
	tests := []struct {
		name         string
		m            model
		wantPrefixes map[string]string
		wantRange    string
	}{
		{"three providers in a /8", modelOf("10.0.0.0/8", prov{name: "hetzner"}, prov{name: "azure"}, prov{name: "onprem"}),
			map[string]string{"hetzner": "10.0.0.0/10", "azure": "10.64.0.0/10", "onprem": "10.128.0.0/10"}, "10.0.0.0/8"},
		{"explicit lengths, larger first", modelOf("10.0.0.0/8", prov{"hetzner", 16}, prov{"azure", 12}),
			map[string]string{"hetzner": "10.16.0.0/16", "azure": "10.0.0.0/12"}, "10.0.0.0/11"},
		{"small blocks get a /24 range", modelOf("192.168.0.0/16", prov{"a", 27}, prov{"b", 27}),
			map[string]string{"a": "192.168.0.0/27", "b": "192.168.0.32/27"}, "192.168.0.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, in, ok, diags := build(context.Background(), tt.m)
			if !ok || diags.HasError() {
				t.Fatalf("build: %v", fwtest.ErrorsByPath(diags))
			}
			m := tt.m
			if d := m.applyResult(in, res); d.HasError() {
				t.Fatal(d)
			}
			got := map[string]string{}
			if d := m.Prefixes.ElementsAs(context.Background(), &got, false); d.HasError() {
				t.Fatal(d)
			}
			if len(got) != len(tt.wantPrefixes) {
				t.Errorf("prefixes = %v, want %v", got, tt.wantPrefixes)
			}
			for k, v := range tt.wantPrefixes {
				if got[k] != v {
					t.Errorf("prefixes[%s] = %q, want %q", k, got[k], v)
				}
			}
			if r := m.HetznerNetworkIPRange.ValueString(); r != tt.wantRange {
				t.Errorf("hetzner_network_ip_range = %q, want %q", r, tt.wantRange)
			}
			if m.ID.ValueString() != tt.m.Supernet.ValueString() {
				t.Errorf("id = %q", m.ID.ValueString())
			}
		})
	}
}

func TestBuildErrorsOnAttributePaths(t *testing.T) {
	tests := []struct {
		name string
		m    model
		want []string // "path: detail prefix", in order
	}{
		{"supernet not RFC1918", modelOf("100.64.0.0/10", prov{name: "a"}),
			[]string{"supernet: 100.64.0.0/10 is not private address space"}},
		{"supernet with host bits", modelOf("10.0.0.1/8", prov{name: "a"}),
			[]string{"supernet: 10.0.0.1/8 has host bits set; did you mean 10.0.0.0/8?"}},
		{"supernet IPv6", modelOf("fd00::/8", prov{name: "a"}), []string{"supernet: fd00::/8 is an IPv6 prefix"}},
		{"duplicate name on the second element", modelOf("10.0.0.0/8", prov{name: "azure"}, prov{name: "hetzner"}, prov{name: "azure"}),
			[]string{`providers[2].name: "azure" is already the name of providers[0]`}},
		{"invalid name", modelOf("10.0.0.0/8", prov{name: "Azure_1"}), []string{`providers[0].name: "Azure_1" is not a valid name`}},
		{"length shorter than the supernet", modelOf("10.0.0.0/16", prov{"a", 8}),
			[]string{"providers[0].prefix_length: /8 is larger than the supernet 10.0.0.0/16; use a length between 16 and 32"}},
		{"length beyond 32", modelOf("10.0.0.0/16", prov{"a", 33}), []string{"providers[0].prefix_length: 33 is not an IPv4 prefix length"}},
		{"blocks do not fit", modelOf("10.0.0.0/24", prov{"a", 25}, prov{"b", 25}, prov{"c", 26}),
			[]string{"providers: the requested blocks do not fit in 10.0.0.0/24 (320 addresses requested, 256 available)"}},
		{"too many providers for even split", modelOf("10.0.0.0/24", manyProviders(257)...),
			[]string{"providers: provider \"p0\": the default prefix length 33"}},
		{"no providers", modelOf("10.0.0.0/8"), []string{"providers: no providers given"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, ok, diags := build(context.Background(), tt.m)
			if ok {
				t.Error("ok = true for invalid input")
			}
			fwtest.ErrorPrefixes(t, diags, tt.want)
		})
	}
}

func manyProviders(n int) []prov {
	out := make([]prov, n)
	for i := range out {
		out[i] = prov{name: "p" + strconv.Itoa(i)}
	}
	return out
}

// TestUnknownDefersPlan: with any part unknown, per-element rules on the
// known parts still run but the allocation waits for Read.
func TestUnknownDefersPlan(t *testing.T) {
	m := modelOf("10.0.0.0/8", prov{name: "a"}, prov{"b", -1}, prov{name: "a"})
	_, _, ok, diags := build(context.Background(), m)
	if ok {
		t.Error("ok = true with an unknown prefix_length")
	}
	if got := fwtest.ErrorsByPath(diags); len(got) != 1 || !strings.HasPrefix(got[0], "providers[2].name:") {
		t.Errorf("errors = %q, want only the duplicate name", got)
	}

	m = modelOf("10.0.0.0/8", prov{name: "a"})
	m.Supernet = types.StringUnknown()
	if _, _, ok, diags := build(context.Background(), m); ok || diags.HasError() {
		t.Errorf("unknown supernet: ok %v, errors %v", ok, fwtest.ErrorsByPath(diags))
	}
	m = modelOf("10.0.0.0/8")
	m.Providers = types.ListUnknown(types.ObjectType{AttrTypes: providerAttrTypes})
	if _, _, ok, diags := build(context.Background(), m); ok || diags.HasError() {
		t.Errorf("unknown providers: ok %v, errors %v", ok, fwtest.ErrorsByPath(diags))
	}
}
