package cloudinit

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

func prefixes(s ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(s))
	for i, p := range s {
		out[i] = netip.MustParsePrefix(p)
	}
	return out
}

// fieldErrors unpacks Validate's joined error into its *attrerr.Errors.
func fieldErrors(t *testing.T, err error) []*attrerr.Error {
	t.Helper()
	var out []*attrerr.Error
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Validate error %v is not a joined error", err)
	}
	for _, e := range joined.Unwrap() {
		var fe *attrerr.Error
		if !errors.As(e, &fe) {
			t.Fatalf("error %v is not an *attrerr.Error", e)
		}
		out = append(out, fe)
	}
	return out
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(*Gateway)
		wantField string // "" = valid
		wantText  string
	}{
		{"golden input", func(*Gateway) {}, "", ""},
		{"zero tunables take defaults", func(g *Gateway) {
			g.ChildLifetime, g.IKERekey, g.DPDDelay, g.PrivateInterfaceMSS = 0, 0, 0, 0
		}, "", ""},
		{"4in6 addresses are unmapped", func(g *Gateway) {
			g.LocalAddress = netip.AddrFrom16(g.LocalAddress.As16())
		}, "", ""},
		{"empty name", func(g *Gateway) { g.ConnectionName = "" }, "ConnectionName", "is empty"},
		{"upper-case name", func(g *Gateway) { g.ConnectionName = "Hel1" }, "ConnectionName", "lowercase"},
		{"name with brace", func(g *Gateway) { g.ConnectionName = "a{b" }, "ConnectionName", "lowercase"},
		{"name starting with dash", func(g *Gateway) { g.ConnectionName = "-x" }, "ConnectionName", "starting with a letter or digit"},
		{"name too long", func(g *Gateway) { g.ConnectionName = strings.Repeat("a", 64) }, "ConnectionName", "1-63"},
		{"missing local address", func(g *Gateway) { g.LocalAddress = netip.Addr{} }, "LocalAddress", "not set"},
		{"IPv6 remote", func(g *Gateway) { g.RemoteAddress = netip.MustParseAddr("2001:db8::1") }, "RemoteAddress", "not IPv4"},
		{"second instance", func(g *Gateway) { g.SecondRemoteAddress = netip.MustParseAddr("198.51.100.21") }, "", ""},
		{"4in6 second instance is unmapped", func(g *Gateway) {
			g.SecondRemoteAddress = netip.AddrFrom16(netip.MustParseAddr("198.51.100.21").As16())
		}, "", ""},
		{"IPv6 second instance", func(g *Gateway) { g.SecondRemoteAddress = netip.MustParseAddr("2001:db8::2") }, "SecondRemoteAddress", "not IPv4"},
		{"loopback second instance", func(g *Gateway) { g.SecondRemoteAddress = netip.MustParseAddr("127.0.0.1") }, "SecondRemoteAddress", "cannot be an IKE peer"},
		{"second instance equals the first", func(g *Gateway) { g.SecondRemoteAddress = g.RemoteAddress }, "SecondRemoteAddress", "equals RemoteAddress"},
		{"second instance equals the first, 4in6", func(g *Gateway) {
			g.SecondRemoteAddress = netip.AddrFrom16(g.RemoteAddress.As16())
		}, "SecondRemoteAddress", "equals RemoteAddress"},
		{"second instance equals the local address", func(g *Gateway) { g.SecondRemoteAddress = g.LocalAddress }, "SecondRemoteAddress", "equals LocalAddress"},
		{"remote prefix contains the second instance", func(g *Gateway) {
			g.SecondRemoteAddress = netip.MustParseAddr("10.1.2.3")
		}, "RemotePrefixes[0]", "contains the tunnel endpoint 10.1.2.3"},
		{"unspecified remote", func(g *Gateway) { g.RemoteAddress = netip.IPv4Unspecified() }, "RemoteAddress", "cannot be an IKE peer"},
		{"same addresses", func(g *Gateway) { g.RemoteAddress = g.LocalAddress }, "RemoteAddress", "equals LocalAddress"},
		{"no local prefixes", func(g *Gateway) { g.LocalPrefixes = nil }, "LocalPrefixes", "at least one prefix"},
		{"host bits", func(g *Gateway) { g.RemotePrefixes = prefixes("10.1.2.3/16") }, "RemotePrefixes[0]", "use 10.1.0.0/16"},
		{"IPv6 prefix", func(g *Gateway) { g.LocalPrefixes = prefixes("10.0.1.0/24", "fd00::/64") }, "LocalPrefixes[1]", "not IPv4"},
		{"zero prefix", func(g *Gateway) { g.RemotePrefixes = []netip.Prefix{{}} }, "RemotePrefixes[0]", "CIDR notation"},
		{"any-to-any remote", func(g *Gateway) { g.RemotePrefixes = prefixes("0.0.0.0/0") }, "RemotePrefixes[0]", "contains the tunnel endpoint"},
		{"local covers peer", func(g *Gateway) { g.LocalPrefixes = prefixes("198.51.100.0/24") }, "LocalPrefixes[0]", "198.51.100.20"},
		{"local overlaps remote", func(g *Gateway) { g.LocalPrefixes = prefixes("10.0.0.0/8") }, "RemotePrefixes[0]", "overlaps LocalPrefixes[0] 10.0.0.0/8"},
		{"remote inside local, later in list", func(g *Gateway) {
			g.LocalPrefixes = prefixes("172.16.0.0/24", "10.1.2.0/24")
		}, "RemotePrefixes[0]", "overlaps LocalPrefixes[1]"},
		{"nested within a list", func(g *Gateway) {
			g.RemotePrefixes = prefixes("10.1.2.0/24", "10.2.0.0/16", "10.1.0.0/16")
		}, "RemotePrefixes[2]", "overlaps RemotePrefixes[0] 10.1.2.0/24"},
		{"duplicate within a list", func(g *Gateway) { g.LocalPrefixes = prefixes("10.0.1.0/24", "10.0.1.0/24") }, "LocalPrefixes[1]", "list each range once"},
		{"empty IKE proposal", func(g *Gateway) { g.IKEProposal = "" }, "IKEProposal", "is empty"},
		{"proposal injection", func(g *Gateway) { g.ESPProposal = "aes256gcm16\n}\nconnections {" }, "ESPProposal", "not a strongSwan proposal"},
		{"proposal with space", func(g *Gateway) { g.IKEProposal = "aes256 sha256" }, "IKEProposal", "not a strongSwan proposal"},
		{"trailing comma", func(g *Gateway) { g.IKEProposal = "aes256-sha256-modp2048," }, "IKEProposal", "not a strongSwan proposal"},
		{"default keyword", func(g *Gateway) { g.ESPProposal = "aes256gcm16,default" }, "ESPProposal", "contains \"default\""},
		{"lifetime below Azure minimum", func(g *Gateway) { g.ChildLifetime = 299 * time.Second }, "ChildLifetime", "shorter than the minimum 5m0s"},
		{"fractional lifetime", func(g *Gateway) { g.ChildLifetime = 3600*time.Second + time.Millisecond }, "ChildLifetime", "whole number of seconds"},
		{"negative DPD", func(g *Gateway) { g.DPDDelay = -time.Second }, "DPDDelay", "outside 1s..1h0m0s"},
		{"IKE rekey beyond Azure lifetime", func(g *Gateway) { g.IKERekey = 8*time.Hour + time.Second }, "IKERekey", "outside 5m0s..8h0m0s"},
		{"MSS too large", func(g *Gateway) { g.PrivateInterfaceMSS = 1461 }, "PrivateInterfaceMSS", "outside 536..1460"},
		{"MSS negative", func(g *Gateway) { g.PrivateInterfaceMSS = -1 }, "PrivateInterfaceMSS", "Azure requires 1350"},
		{"empty key", func(g *Gateway) { g.SharedKey = "" }, "SharedKey", "is empty"},
		{"key with hyphen", func(g *Gateway) { g.SharedKey = "abc-def" }, "SharedKey", "position 4"},
		{"key with tilde", func(g *Gateway) { g.SharedKey = "~abc" }, "SharedKey", "position 1"},
		{"key with space", func(g *Gateway) { g.SharedKey = "abc def" }, "SharedKey", "except space"},
		{"key with newline", func(g *Gateway) { g.SharedKey = "abc\ndef" }, "SharedKey", "position 4"},
		{"key with non-ASCII", func(g *Gateway) { g.SharedKey = "abcé" }, "SharedKey", "printable ASCII"},
		{"key too long", func(g *Gateway) { g.SharedKey = strings.Repeat("k", 129) }, "SharedKey", "at most 128"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := validGateway()
			tt.mutate(&g)
			err := g.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error on %s", tt.wantField)
			}
			fes := fieldErrors(t, err)
			if !slices.ContainsFunc(fes, func(fe *attrerr.Error) bool {
				return fe.Path.String() == tt.wantField && strings.Contains(fe.Message, tt.wantText)
			}) {
				t.Errorf("Validate() = %v, want a %s error containing %q", err, tt.wantField, tt.wantText)
			}
			if g.SharedKey != "" && strings.Contains(err.Error(), g.SharedKey) {
				t.Errorf("error message leaks the shared key: %v", err)
			}
			// Invalid input must never render.
			if _, rerr := Render(g); rerr == nil {
				t.Errorf("Render accepted a gateway Validate refuses")
			}
			if _, serr := SwanctlConf(g, false); serr == nil {
				t.Errorf("SwanctlConf accepted a gateway Validate refuses")
			}
		})
	}
}

// TestValidateReportsEveryProblem: a user fixing a plan should see all
// problems at once, not one per apply.
func TestValidateReportsEveryProblem(t *testing.T) {
	g := Gateway{ConnectionName: "X", SharedKey: "a-b"}
	fes := fieldErrors(t, g.Validate())
	var got []string
	for _, fe := range fes {
		got = append(got, fe.Path.String())
	}
	want := []string{"ConnectionName", "LocalAddress", "RemoteAddress", "LocalPrefixes", "RemotePrefixes", "IKEProposal", "ESPProposal", "SharedKey"}
	if !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
}

// TestValidateScalesToHugeLists guards the O(n log n) overlap check: a plan
// with many prefixes must reach the size limit quickly, not hang in Validate.
func TestValidateScalesToHugeLists(t *testing.T) {
	g := validGateway()
	g.RemotePrefixes = nil
	for i := range 200000 {
		g.RemotePrefixes = append(g.RemotePrefixes, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16 + byte(i>>16), byte(i >> 8), byte(i)}), 32))
	}
	start := time.Now()
	_, err := Render(g)
	if err == nil || !strings.Contains(err.Error(), "user_data size") {
		t.Fatalf("Render with 200000 prefixes: %v, want the user_data size error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Render took %s for 200000 prefixes", d)
	}
}
