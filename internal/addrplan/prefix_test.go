package addrplan

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

var (
	mp = netip.MustParsePrefix
	ma = netip.MustParseAddr
)

// checkErr asserts err is nil when attr is empty, and otherwise an *attrerr.Error on
// attr whose message contains every want substring.
func checkErr(t *testing.T, err error, attr string, want ...string) {
	t.Helper()
	if attr == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *attrerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("want *attrerr.Error on %q, got %T %v", attr, err, err)
	}
	if e.Path.String() != attr {
		t.Errorf("attribute = %q, want %q (message %q)", e.Path, attr, e.Message)
	}
	for _, w := range want {
		if !strings.Contains(e.Message, w) {
			t.Errorf("message %q does not contain %q", e.Message, w)
		}
	}
	if !strings.HasPrefix(e.Error(), attr+": ") {
		t.Errorf("Error() = %q, want it to start with the attribute", e.Error())
	}
}

// checkCase checks err against a table case: an error on attr containing
// every errWant, or none when errWant is nil. It reports whether the case
// wanted an error, so one that did not can go on checking the result.
func checkCase(t *testing.T, err error, attr string, errWant []string) bool {
	t.Helper()
	if errWant == nil {
		checkErr(t, err, "")
		return false
	}
	checkErr(t, err, attr, errWant...)
	return true
}

func TestParsePrefix(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		errWant []string
	}{
		{in: "10.0.0.0/12", want: "10.0.0.0/12"},
		{in: "10.1.0.0/16", want: "10.1.0.0/16"},
		{in: "0.0.0.0/0", want: "0.0.0.0/0"},
		{in: "10.0.1.1/32", want: "10.0.1.1/32"},
		{in: "10.0.1.5/24", errWant: []string{"host bits", "did you mean 10.0.1.0/24"}},
		{in: "10.1.2.3/16", errWant: []string{"did you mean 10.1.0.0/16"}},
		{in: "10.0.1.1", errWant: []string{"not a CIDR prefix", "10.0.1.1/32"}},
		{in: "fd00::/8", errWant: []string{"IPv6", "IPv4 only"}},
		{in: "::ffff:10.0.0.0/104", errWant: []string{"IPv6"}},
		{in: "10.0.0.0/33", errWant: []string{"not an IPv4 CIDR prefix"}},
		{in: "", errWant: []string{"not an IPv4 CIDR prefix"}},
		{in: " 10.0.0.0/8", errWant: []string{"not an IPv4 CIDR prefix"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePrefix("azure.remote_prefixes", tt.in)
			if checkCase(t, err, "azure.remote_prefixes", tt.errWant) {
				return
			}
			if got != mp(tt.want) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParsePrefixesNamesElement(t *testing.T) {
	got, err := ParsePrefixes(AttrRemotePrefixes, []string{"10.1.0.0/16", "10.2.0.0/16"})
	checkErr(t, err, "")
	if len(got) != 2 || got[1] != mp("10.2.0.0/16") {
		t.Errorf("got %v", got)
	}
	_, err = ParsePrefixes(AttrRemotePrefixes, []string{"10.1.0.0/16", "10.2.0.1/16"})
	checkErr(t, err, AttrRemotePrefixes, "element 1", "did you mean 10.2.0.0/16")
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in      string
		errWant []string
	}{
		{in: "10.0.1.1"},
		{in: "10.0.1.0/24", errWant: []string{"is a prefix"}},
		{in: "fd00::1", errWant: []string{"IPv6"}},
		{in: "10.0.1", errWant: []string{"not an IPv4 address"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddr(AttrGatewayIP, tt.in)
			if checkCase(t, err, AttrGatewayIP, tt.errWant) {
				return
			}
			if got.String() != tt.in {
				t.Errorf("got %s", got)
			}
		})
	}
}

func TestIsRFC1918(t *testing.T) {
	tests := []struct {
		p    string
		want bool
	}{
		{"10.0.0.0/8", true},
		{"10.0.0.0/12", true},
		{"10.255.255.255/32", true},
		{"172.16.0.0/12", true},
		{"172.31.1.1/32", true},
		{"192.168.0.0/16", true},
		{"192.168.10.0/24", true},
		{"10.0.0.0/7", false},
		{"172.16.0.0/11", false},
		{"172.32.0.0/16", false},
		{"192.168.0.0/15", false},
		{"11.0.0.0/8", false},
		{"0.0.0.0/0", false},
		{"fd00::/8", false},
	}
	for _, tt := range tests {
		if got := IsRFC1918(mp(tt.p)); got != tt.want {
			t.Errorf("IsRFC1918(%s) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestContainsAndOverlaps(t *testing.T) {
	tests := []struct {
		a, b               string
		contains, overlaps bool
	}{
		{"10.0.0.0/12", "10.1.0.0/16", true, true},
		{"10.0.0.0/12", "10.16.0.0/16", false, false},
		{"10.0.0.0/12", "10.0.0.0/12", true, true},
		{"10.1.0.0/16", "10.0.0.0/12", false, true},
		{"10.0.1.0/24", "10.0.1.128/25", true, true},
		{"10.0.1.0/24", "10.0.2.0/24", false, false},
		{"0.0.0.0/0", "192.168.1.0/24", true, true},
		{"10.0.0.0/8", "fd00::/8", false, false},
	}
	for _, tt := range tests {
		if got := Contains(mp(tt.a), mp(tt.b)); got != tt.contains {
			t.Errorf("Contains(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.contains)
		}
		if got := Overlaps(mp(tt.a), mp(tt.b)); got != tt.overlaps {
			t.Errorf("Overlaps(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.overlaps)
		}
		if got := Overlaps(mp(tt.b), mp(tt.a)); got != tt.overlaps {
			t.Errorf("Overlaps(%s, %s) = %v, want %v (symmetry)", tt.b, tt.a, got, tt.overlaps)
		}
	}
}

func TestNetworkRouterIPAndLastAddr(t *testing.T) {
	tests := []struct{ p, router, last string }{
		{"10.0.0.0/12", "10.0.0.1", "10.15.255.255"},
		{"10.0.1.0/24", "10.0.1.1", "10.0.1.255"},
		{"192.168.0.0/16", "192.168.0.1", "192.168.255.255"},
		{"0.0.0.0/0", "0.0.0.1", "255.255.255.255"},
		{"10.0.0.7/32", "10.0.0.8", "10.0.0.7"},
	}
	for _, tt := range tests {
		if got := NetworkRouterIP(mp(tt.p)); got != ma(tt.router) {
			t.Errorf("NetworkRouterIP(%s) = %s, want %s", tt.p, got, tt.router)
		}
		if got := LastAddr(mp(tt.p)); got != ma(tt.last) {
			t.Errorf("LastAddr(%s) = %s, want %s", tt.p, got, tt.last)
		}
	}
}

func TestCoveringSupernet(t *testing.T) {
	tests := []struct {
		in   []string
		want string // "" = zero Prefix
	}{
		{[]string{"10.0.0.0/12", "10.16.0.0/16"}, "10.0.0.0/11"},
		{[]string{"10.0.0.0/12", "10.1.0.0/16"}, "10.0.0.0/12"},
		{[]string{"10.0.1.0/24"}, "10.0.1.0/24"},
		{[]string{"10.0.1.0/24", "10.0.2.0/24"}, "10.0.0.0/22"},
		{[]string{"10.0.2.0/24", "10.0.3.0/24"}, "10.0.2.0/23"},
		{[]string{"10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"}, "10.0.0.0/14"},
		{[]string{"10.0.0.0/8", "192.168.0.0/16"}, "0.0.0.0/0"},
		{[]string{"128.0.0.0/1", "0.0.0.0/1"}, "0.0.0.0/0"},
		{nil, ""},
		{[]string{"10.0.0.0/8", "fd00::/8"}, ""},
	}
	for _, tt := range tests {
		var ps []netip.Prefix
		for _, s := range tt.in {
			ps = append(ps, mp(s))
		}
		got := CoveringSupernet(ps...)
		if tt.want == "" {
			if got.IsValid() {
				t.Errorf("CoveringSupernet(%v) = %s, want zero Prefix", tt.in, got)
			}
			continue
		}
		if got != mp(tt.want) {
			t.Errorf("CoveringSupernet(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestExpandToCover(t *testing.T) {
	tests := []struct {
		current, dest string
		grown         string // "" when no base-keeping growth covers dest
		changed       bool
		errWant       []string // for ExpandNetworkRange
	}{
		{current: "10.0.0.0/12", dest: "10.1.0.0/16", grown: "10.0.0.0/12"},
		{current: "10.0.0.0/12", dest: "10.16.0.0/16", grown: "10.0.0.0/11", changed: true},
		{current: "10.0.0.0/12", dest: "10.200.0.0/16", grown: "10.0.0.0/8", changed: true},
		{current: "10.0.0.0/16", dest: "10.0.0.0/8", grown: "10.0.0.0/8", changed: true},
		{current: "10.0.0.0/16", dest: "10.1.0.0/16", grown: "10.0.0.0/15", changed: true},
		{current: "172.16.0.0/16", dest: "172.31.0.0/16", grown: "172.16.0.0/12", changed: true},
		{current: "192.168.0.0/24", dest: "192.168.1.0/24", grown: "192.168.0.0/23", changed: true},
		// The base address must stay: the review's examples.
		{current: "10.1.0.0/16", dest: "10.0.5.0/24",
			errWant: []string{"base address 10.1.0.0 stays", "largest range this network can have is 10.1.0.0/16",
				"inside 10.1.0.0/16", "such as 10.0.0.0/15"}},
		{current: "10.8.0.0/16", dest: "10.1.0.0/16",
			errWant: []string{"largest range this network can have is 10.8.0.0/13", "such as 10.0.0.0/12"}},
		{current: "192.168.0.0/16", dest: "10.1.0.0/16",
			errWant: []string{"192.168.0.0/16", "No RFC1918 range covers", "inside 192.168.0.0/16"}},
		{current: "172.16.0.0/12", dest: "172.32.0.0/16",
			errWant: []string{"largest range this network can have is 172.16.0.0/12", "No RFC1918 range covers"}},
		{current: "10.0.0.0/8", dest: "11.0.0.0/16", grown: "10.0.0.0/7", changed: true,
			errWant: []string{"largest range this network can have is 10.0.0.0/8"}},
	}
	for _, tt := range tests {
		t.Run(tt.current+"->"+tt.dest, func(t *testing.T) {
			grown, changed, ok := ExpandToCover(mp(tt.current), mp(tt.dest))
			if ok != (tt.grown != "") || (ok && (grown != mp(tt.grown) || changed != tt.changed)) {
				t.Errorf("ExpandToCover = %s, %v, %v; want %q, %v", grown, changed, ok, tt.grown, tt.changed)
			}
			g2, c2, err := ExpandNetworkRange(mp(tt.current), mp(tt.dest))
			if checkCase(t, err, AttrDestination, tt.errWant) {
				return
			}
			if g2 != grown || c2 != changed {
				t.Errorf("ExpandNetworkRange = %s, %v; want %s, %v", g2, c2, grown, changed)
			}
		})
	}
}

func TestMaxGrowth(t *testing.T) {
	for cur, want := range map[string]string{
		"10.0.0.0/16": "10.0.0.0/8", "10.1.0.0/16": "10.1.0.0/16", "10.8.0.0/16": "10.8.0.0/13",
		"192.168.0.0/24": "192.168.0.0/16", "172.16.0.0/16": "172.16.0.0/12", "10.0.4.0/24": "10.0.4.0/22",
	} {
		if got := MaxGrowth(mp(cur)); got != mp(want) {
			t.Errorf("MaxGrowth(%s) = %s, want %s", cur, got, want)
		}
	}
}

func TestExpandNetworkRangeDefaultRouteAndInvalid(t *testing.T) {
	g, changed, err := ExpandNetworkRange(mp("10.0.0.0/12"), DefaultRoute)
	checkErr(t, err, "")
	if g != mp("10.0.0.0/12") || changed {
		t.Errorf("default route grew the range to %s (changed=%v)", g, changed)
	}
	_, _, err = ExpandNetworkRange(mp("10.0.0.0/12"), mp("fd00::/8"))
	checkErr(t, err, AttrDestination, "IPv6")
	_, _, err = ExpandNetworkRange(netip.PrefixFrom(ma("10.0.0.1"), 12), mp("10.1.0.0/16"))
	checkErr(t, err, AttrNetworkIPRange, "did you mean 10.0.0.0/12")
}
