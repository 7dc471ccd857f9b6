package cloudinit

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// parsePrefixList turns fuzz text into prefixes; entries that do not parse
// become zero prefixes so Validate sees them too.
func parsePrefixList(s string) []netip.Prefix {
	if s == "" {
		return nil
	}
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		p, _ := netip.ParsePrefix(f)
		out = append(out, p)
	}
	return out
}

func addr4(u uint32) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], u)
	return netip.AddrFrom4(b)
}

// FuzzRender: whatever the input, Render never panics, and whenever it
// succeeds the output is one well-formed cloud-config whose swanctl file has
// balanced braces (no input broke out of its value) and names the connection.
func FuzzRender(f *testing.F) {
	for _, tc := range goldenCases() {
		g := tc.g
		f.Add(g.ConnectionName, binary.BigEndian.Uint32(g.LocalAddress.AsSlice()), binary.BigEndian.Uint32(g.RemoteAddress.AsSlice()),
			joinPrefixes(g.LocalPrefixes, ","), joinPrefixes(g.RemotePrefixes, ","), g.IKEProposal, g.ESPProposal,
			int64(g.ChildLifetime/time.Second), int64(g.IKERekey/time.Second), int64(g.DPDDelay/time.Second), g.SharedKey, g.PrivateInterfaceMSS)
	}
	f.Add("x}", uint32(1), uint32(2), "10.0.0.0/8", "0.0.0.0/0", "aes\n}", "a,,b", int64(-1), int64(0), int64(1), "k\"\\", 0)
	f.Fuzz(func(t *testing.T, name string, local, remote uint32, localTS, remoteTS, ike, esp string,
		life, rekey, dpd int64, psk string, mss int) {
		g := Gateway{
			ConnectionName: name,
			LocalAddress:   addr4(local),
			RemoteAddress:  addr4(remote),
			LocalPrefixes:  parsePrefixList(localTS),
			RemotePrefixes: parsePrefixList(remoteTS),
			IKEProposal:    ike,
			ESPProposal:    esp,
			ChildLifetime:  time.Duration(life) * time.Second,
			IKERekey:       time.Duration(rekey) * time.Second,
			DPDDelay:       time.Duration(dpd) * time.Second,
			SharedKey:      psk,

			PrivateInterfaceMSS: mss,
		}
		ud, err := Render(g)
		if verr := g.Validate(); (verr == nil) != (err == nil) && !strings.Contains(errString(err), "user_data size") {
			t.Fatalf("Validate() = %v but Render() = %v", verr, err)
		}
		if err != nil {
			return
		}
		if len(ud) > MaxUserData {
			t.Fatalf("Render returned %d bytes, over MaxUserData", len(ud))
		}
		var generic map[string]any
		if err := yaml.Unmarshal(bytes.TrimPrefix(ud, []byte(Header)), &generic); err != nil {
			t.Fatalf("output is not YAML: %v\n%s", err, ud)
		}
		cc, err := parse(ud)
		if err != nil {
			t.Fatalf("parse(Render()) = %v", err)
		}
		swan, ok := cc.file(SwanctlPath(name))
		if !ok {
			t.Fatalf("no swanctl file for %q", name)
		}
		if !strings.Contains(swan.Content, "\n  "+name+" {\n") || !strings.Contains(swan.Content, "ike-"+name+" {") {
			t.Fatalf("swanctl file does not define connection %q:\n%s", name, swan.Content)
		}
		if o, c := strings.Count(swan.Content, "{"), strings.Count(swan.Content, "}"); o != c || o != 8 {
			t.Fatalf("swanctl file has %d '{' and %d '}', want 8 each:\n%s", o, c, swan.Content)
		}
		if want := "secret = 0x" + hex.EncodeToString([]byte(psk)) + "\n"; !strings.Contains(swan.Content, want) {
			t.Fatalf("swanctl file lacks %q", want)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
