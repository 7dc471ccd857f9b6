package addrplan

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name     string
		supernet string
		req      []ProviderRequest
		want     []string // prefixes in input order
		network  string
		errAttr  string
		errWant  []string
	}{
		{name: "two providers split evenly", supernet: "10.0.0.0/8",
			req:  []ProviderRequest{{Name: "hetzner"}, {Name: "azure"}},
			want: []string{"10.0.0.0/9", "10.128.0.0/9"}, network: "10.0.0.0/8"},
		{name: "three providers round up to four blocks", supernet: "10.0.0.0/12",
			req:  []ProviderRequest{{Name: "hetzner"}, {Name: "azure"}, {Name: "aws"}},
			want: []string{"10.0.0.0/14", "10.4.0.0/14", "10.8.0.0/14"}, network: "10.0.0.0/12"},
		{name: "one provider takes the supernet", supernet: "192.168.0.0/16",
			req: []ProviderRequest{{Name: "hetzner"}}, want: []string{"192.168.0.0/16"}, network: "192.168.0.0/16"},
		{name: "largest first keeps input order", supernet: "10.0.0.0/8",
			req:  []ProviderRequest{{Name: "hetzner", PrefixLength: 16}, {Name: "azure", PrefixLength: 12}, {Name: "gcp", PrefixLength: 16}},
			want: []string{"10.16.0.0/16", "10.0.0.0/12", "10.17.0.0/16"}, network: "10.0.0.0/11"},
		{name: "small blocks get a /24 network", supernet: "10.0.0.0/16",
			req:  []ProviderRequest{{Name: "hetzner", PrefixLength: 26}, {Name: "azure", PrefixLength: 26}},
			want: []string{"10.0.0.0/26", "10.0.0.64/26"}, network: "10.0.0.0/24"},
		{name: "mixed default and explicit", supernet: "172.16.0.0/12",
			req:  []ProviderRequest{{Name: "hetzner", PrefixLength: 16}, {Name: "azure"}},
			want: []string{"172.24.0.0/16", "172.16.0.0/13"}, network: "172.16.0.0/12"},
		{name: "exactly full", supernet: "10.0.0.0/24",
			req:  []ProviderRequest{{Name: "a", PrefixLength: 25}, {Name: "b", PrefixLength: 26}, {Name: "c", PrefixLength: 26}},
			want: []string{"10.0.0.0/25", "10.0.0.128/26", "10.0.0.192/26"}, network: "10.0.0.0/24"},
		{name: "does not fit", supernet: "10.0.0.0/24",
			req:     []ProviderRequest{{Name: "a", PrefixLength: 25}, {Name: "b", PrefixLength: 25}, {Name: "c", PrefixLength: 26}},
			errAttr: AttrProviders, errWant: []string{"do not fit", "320 addresses requested, 256 available"}},
		{name: "length shorter than supernet", supernet: "10.0.0.0/16",
			req: []ProviderRequest{{Name: "a", PrefixLength: 8}}, errAttr: AttrProviders, errWant: []string{"between 16 and 32"}},
		{name: "length too long", supernet: "10.0.0.0/16",
			req: []ProviderRequest{{Name: "a", PrefixLength: 33}}, errAttr: AttrProviders, errWant: []string{"prefix_length 33"}},
		{name: "duplicate name", supernet: "10.0.0.0/8",
			req:     []ProviderRequest{{Name: "azure"}, {Name: "azure"}},
			errAttr: AttrProviders, errWant: []string{"already used by provider 0"}},
		{name: "invalid name", supernet: "10.0.0.0/8",
			req: []ProviderRequest{{Name: "Azure_1"}}, errAttr: AttrProviders, errWant: []string{`"Azure_1" is invalid`}},
		{name: "empty name", supernet: "10.0.0.0/8",
			req: []ProviderRequest{{Name: ""}}, errAttr: AttrProviders, errWant: []string{"invalid"}},
		{name: "no providers", supernet: "10.0.0.0/8", errAttr: AttrProviders, errWant: []string{"no providers"}},
		{name: "public supernet", supernet: "100.64.0.0/10",
			req: []ProviderRequest{{Name: "a"}}, errAttr: AttrSupernet, errWant: []string{"RFC1918"}},
		{name: "supernet smaller than /24", supernet: "10.0.0.0/25",
			req: []ProviderRequest{{Name: "a"}}, errAttr: AttrSupernet, errWant: []string{"/24", "10.0.0.0/24"}},
		{name: "ipv6 supernet", supernet: "fd00::/8",
			req: []ProviderRequest{{Name: "a"}}, errAttr: AttrSupernet, errWant: []string{"IPv6"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Plan(mp(tt.supernet), tt.req)
			checkErr(t, err, tt.errAttr, tt.errWant...)
			if tt.errAttr != "" {
				return
			}
			if len(res.Prefixes) != len(tt.want) {
				t.Fatalf("got %d prefixes, want %d", len(res.Prefixes), len(tt.want))
			}
			for i, w := range tt.want {
				np := res.Prefixes[i]
				if np.Name != tt.req[i].Name || np.Prefix != mp(w) {
					t.Errorf("prefix %d = %s %s, want %s %s", i, np.Name, np.Prefix, tt.req[i].Name, w)
				}
				if p, ok := res.Prefix(np.Name); !ok || p != np.Prefix {
					t.Errorf("Prefix(%q) = %s, %v", np.Name, p, ok)
				}
			}
			if res.HetznerNetworkRange != mp(tt.network) {
				t.Errorf("network range = %s, want %s", res.HetznerNetworkRange, tt.network)
			}
			var all []netip.Prefix
			for _, np := range res.Prefixes {
				all = append(all, np.Prefix)
			}
			// The plan must satisfy the link's superset rule by construction.
			checkErr(t, CheckCovers(res.HetznerNetworkRange, all, AttrRemotePrefixes), "")
			again, _ := Plan(mp(tt.supernet), tt.req)
			if !reflect.DeepEqual(res, again) {
				t.Errorf("plan not deterministic: %v vs %v", res, again)
			}
		})
	}
}

func TestPlanResultPrefixMissing(t *testing.T) {
	res, err := Plan(mp("10.0.0.0/8"), []ProviderRequest{{Name: "hetzner"}})
	checkErr(t, err, "")
	if _, ok := res.Prefix("azure"); ok {
		t.Error("Prefix found a provider that was never requested")
	}
}

func TestValidName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"hel1-weu", true},
		{"azure", true},
		{"a", true},
		{"", false},
		{"Azure", false},
		{"hel1_weu", false},
		{"hel1 weu", false},
		{"héllo", false},
		{string(make([]byte, 64)), false},
	}
	for _, tt := range tests {
		if got := ValidName(tt.name); got != tt.want {
			t.Errorf("ValidName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
