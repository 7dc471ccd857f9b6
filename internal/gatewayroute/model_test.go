package gatewayroute

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

func TestImportIDRoundTrip(t *testing.T) {
	tests := []struct {
		id      string
		nid     int64
		dest    string
		errPart string
	}{
		{id: "123/10.1.0.0/16", nid: 123, dest: "10.1.0.0/16"},
		{id: "7/0.0.0.0/0", nid: 7, dest: "0.0.0.0/0"},
		{id: "123", errPart: "no '/'"},
		{id: "abc/10.1.0.0/16", errPart: "not a positive integer"},
		{id: "0/10.1.0.0/16", errPart: "not a positive integer"},
		{id: "123/10.1.0.5/16", errPart: "did you mean 10.1.0.0/16"},
		{id: "123/10.1.0.0", errPart: "is an address, not a CIDR prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			nid, dest, err := parseImportID(tt.id)
			if tt.errPart != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errPart) || !strings.Contains(err.Error(), "<network_id>/<destination>") {
					t.Fatalf("want error with %q and the expected syntax, got %v", tt.errPart, err)
				}
				return
			}
			if err != nil || nid != tt.nid || dest.String() != tt.dest {
				t.Fatalf("parseImportID = %d %v %v", nid, dest, err)
			}
			if got := resourceID(nid, dest); got != tt.id {
				t.Fatalf("resourceID = %q, want %q (import ID and id must match for ImportStateVerify)", got, tt.id)
			}
		})
	}
}

func TestModelParseAttachesErrorsToAttributes(t *testing.T) {
	m := model{
		NetworkID: types.Int64Value(1), Destination: types.StringValue("10.1.0.1/16"),
		Gateway: types.StringValue("10.0.1.1/32"), ExpandNetworkIPRange: types.BoolValue(false),
	}
	_, diags := m.parse()
	wantAttrErrors(t, diags, map[string]string{"destination": "did you mean 10.1.0.0/16", "gateway": "is a prefix"})

	m.Destination, m.Gateway = types.StringUnknown(), types.StringUnknown()
	if _, diags := m.parse(); diags.HasError() || m.known() {
		t.Fatalf("unknown values: diags %v, known %v; want no error and not known", diags, m.known())
	}
}

func network(rng string, subnets []string, routes map[string]string) *hcloud.Network {
	parse := func(s string) *net.IPNet { _, n, _ := net.ParseCIDR(s); return n }
	n := &hcloud.Network{ID: 42, IPRange: parse(rng)}
	for _, s := range subnets {
		n.Subnets = append(n.Subnets, hcloud.NetworkSubnet{IPRange: parse(s)})
	}
	for d, g := range routes {
		n.Routes = append(n.Routes, hcloud.NetworkRoute{Destination: parse(d), Gateway: net.ParseIP(g)})
	}
	return n
}

func TestLiveCheck(t *testing.T) {
	orig := network("10.0.0.0/16", []string{"10.0.1.0/24"}, map[string]string{"10.0.200.0/24": "10.0.1.9"})
	r := func(dest, gw string, expand bool) route {
		return route{NetworkID: 42, Destination: netip.MustParsePrefix(dest), Gateway: netip.MustParseAddr(gw), Expand: expand}
	}
	tests := []struct {
		name    string
		n       *hcloud.Network
		r       route
		own     string
		target  string
		grown   bool
		errAttr string
		errPart string
	}{
		{name: "inside the range", n: orig, r: r("10.0.100.0/24", "10.0.1.1", false), target: "10.0.0.0/16"},
		{name: "outside without expand names the attribute to set", n: orig, r: r("10.1.0.0/16", "10.0.1.1", false),
			errAttr: "destination", errPart: "expand_network_ip_range = true"},
		{name: "outside with expand grows", n: orig, r: r("10.1.0.0/16", "10.0.1.1", true), target: "10.0.0.0/15", grown: true},
		{name: "expand that stays covered does not grow", n: orig, r: r("10.0.100.0/24", "10.0.1.1", true), target: "10.0.0.0/16"},
		{name: "expand beyond RFC1918", n: network("192.168.0.0/16", nil, nil), r: r("10.1.0.0/16", "192.168.0.2", true),
			errAttr: "destination", errPart: "No RFC1918 range covers"},
		{name: "expand that would move the base", n: network("10.1.0.0/16", []string{"10.1.1.0/24"}, nil), r: r("10.0.5.0/24", "10.1.1.2", true),
			errAttr: "destination", errPart: "largest range this network can have is 10.1.0.0/16"},
		{name: "overlaps a subnet", n: orig, r: r("10.0.1.0/25", "10.0.1.1", false), errAttr: "destination", errPart: "overlaps the network's subnet"},
		{name: "overlaps another route", n: orig, r: r("10.0.200.0/23", "10.0.1.1", false), errAttr: "destination", errPart: "overlaps the destination 10.0.200.0/24"},
		{name: "own route left out", n: orig, r: r("10.0.200.0/23", "10.0.1.1", false), own: "10.0.200.0/24", target: "10.0.0.0/16"},
		{name: "same route again is accepted", n: orig, r: r("10.0.200.0/24", "10.0.1.9", false), target: "10.0.0.0/16"},
		{name: "public destination", n: orig, r: r("8.8.8.0/24", "10.0.1.1", false), errAttr: "destination", errPart: "RFC1918"},
		{name: "default route", n: orig, r: r("0.0.0.0/0", "10.0.1.1", false), target: "10.0.0.0/16"},
		{name: "gateway is the router", n: orig, r: r("10.0.100.0/24", "10.0.0.1", false), errAttr: "gateway", errPart: "first IP"},
		{name: "gateway 172.31.1.1", n: network("172.16.0.0/12", nil, nil), r: r("172.20.0.0/16", "172.31.1.1", false),
			errAttr: "gateway", errPart: "public gateway"},
		{name: "gateway outside range", n: orig, r: r("10.0.100.0/24", "10.5.0.1", false), errAttr: "gateway", errPart: "not part of the network range"},
		{name: "gateway inside destination", n: orig, r: r("10.0.100.0/24", "10.0.100.7", false), errAttr: "gateway", errPart: "inside the destination"},
		{name: "gateway checked against the grown range", n: orig, r: r("10.1.0.0/16", "10.1.5.5", true), errAttr: "gateway", errPart: "inside the destination"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var own netip.Prefix
			if tt.own != "" {
				own = netip.MustParsePrefix(tt.own)
			}
			target, grown, diags := liveCheck(tt.n, tt.r, own)
			if tt.errAttr != "" {
				wantAttrErrors(t, diags, map[string]string{tt.errAttr: tt.errPart})
				return
			}
			if diags.HasError() {
				t.Fatalf("unexpected errors: %v", diags)
			}
			if target.String() != tt.target || grown != tt.grown {
				t.Fatalf("liveCheck = %v grown=%v, want %s grown=%v", target, grown, tt.target, tt.grown)
			}
		})
	}
}

func TestHolderWarning(t *testing.T) {
	gw := netip.MustParseAddr("10.0.1.1")
	if d := holderWarning(42, gw, []netip.Addr{netip.MustParseAddr("10.0.1.2"), gw}); len(d) != 0 {
		t.Fatalf("gateway held: want no warning, got %v", d)
	}
	d := holderWarning(42, gw, []netip.Addr{netip.MustParseAddr("10.0.1.2")})
	if len(d) != 1 || d[0].Severity() != diag.SeverityWarning || !strings.Contains(d[0].Detail(), "10.0.1.1") {
		t.Fatalf("want one warning naming the IP, got %v", d)
	}
	if wp, ok := d[0].(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(path.Root("gateway")) {
		t.Fatalf("warning not on gateway: %v", d[0])
	}
}

// wantAttrErrors asserts one error per attribute, each containing its text.
func wantAttrErrors(t *testing.T, diags diag.Diagnostics, want map[string]string) {
	t.Helper()
	wantOnAttrs(t, "error", diags.Errors(), diags, want)
}

// wantOnAttrs asserts that got, the errors or the warnings (kind) of all,
// are one per attribute of want, each containing its text.
func wantOnAttrs(t *testing.T, kind string, got, all diag.Diagnostics, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("want %d %ss, got %d: %v", len(want), kind, len(got), all)
	}
	for attr, part := range want {
		found := false
		for _, d := range got {
			wp, ok := d.(diag.DiagnosticWithPath)
			if ok && wp.Path().Equal(path.Root(attr)) && strings.Contains(d.Detail(), part) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s on %s containing %q in %v", kind, attr, part, all)
		}
	}
}
