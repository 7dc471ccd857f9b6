package cloudinit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestRenderGolden pins the user_data and the secret-free swanctl.conf byte
// for byte: these bytes end up in Terraform state and on servers, so any
// change must be deliberate (go test -run TestRenderGolden -update).
func TestRenderGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			ud, err := Render(tc.g)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			again, err := Render(tc.g)
			if err != nil || !bytes.Equal(ud, again) {
				t.Fatalf("Render is not deterministic (err %v)", err)
			}
			conf, err := SwanctlConf(tc.g, false)
			if err != nil {
				t.Fatalf("SwanctlConf: %v", err)
			}
			compareGolden(t, filepath.Join("testdata", tc.name+".yaml"), ud)
			compareGolden(t, filepath.Join("testdata", tc.name+".swanctl.conf"), []byte(conf))
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestRenderGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the rendered output (run with -update if the change is intended)\n--- got:\n%s", path, got)
	}
}

// TestGoldenFilesPassCloudInitSchema runs cloud-init's own validator over
// every golden file, so a key cloud-init would ignore or reject fails here
// rather than on a server nobody can log in to.
func TestGoldenFilesPassCloudInitSchema(t *testing.T) {
	bin, err := exec.LookPath("cloud-init")
	if err != nil {
		skipOrFail(t, "cloud-init is not on PATH")
	}
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.name+".yaml")
			out, err := exec.Command(bin, "schema", "-c", path).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "Valid cloud-config") {
				t.Fatalf("cloud-init schema -c %s: %v\n%s", path, err, out)
			}
		})
	}
}

// renderedConfig renders g and reads the document back the way the lab
// reads it; ud is the document itself.
func renderedConfig(t *testing.T, g Gateway) (ud []byte, cc cloudConfig) {
	t.Helper()
	ud, err := Render(g)
	if err != nil {
		t.Fatal(err)
	}
	cc, err = parse(ud)
	if err != nil {
		t.Fatal(err)
	}
	return ud, cc
}

// TestRenderContents checks what the server will actually do with the
// rendered document, read back the way the lab reads it.
func TestRenderContents(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, cc := renderedConfig(t, tc.g)
			if !cc.PackageUpdate {
				t.Error("package_update is false: a fresh image would install from a stale package index")
			}
			for _, p := range []string{"strongswan-swanctl", "charon-systemd", "nftables"} {
				if !slices.Contains(cc.Packages, p) {
					t.Errorf("packages %v lacks %s", cc.Packages, p)
				}
			}

			swan, ok := cc.file(SwanctlPath(tc.g.ConnectionName))
			if !ok {
				t.Fatalf("no write_files entry for %s", SwanctlPath(tc.g.ConnectionName))
			}
			if swan.Permissions != "0600" || swan.Owner != "root:root" {
				t.Errorf("swanctl file is %s %s; it holds the PSK and must be root-only 0600", swan.Owner, swan.Permissions)
			}
			withSecret, _ := SwanctlConf(tc.g, true)
			if swan.Content != withSecret {
				t.Errorf("written swanctl file differs from SwanctlConf(g, true)")
			}
			wantSecret := "secret = 0x" + hex.EncodeToString([]byte(tc.g.SharedKey)) + "\n"
			if !strings.Contains(swan.Content, wantSecret) {
				t.Errorf("swanctl file lacks %q", wantSecret)
			}
			public, _ := SwanctlConf(tc.g, false)
			if strings.Contains(public, "secrets") || strings.Contains(public, hex.EncodeToString([]byte(tc.g.SharedKey))) ||
				strings.Contains(public, tc.g.SharedKey) {
				t.Errorf("SwanctlConf(g, false) leaks the secrets section or the key:\n%s", public)
			}
			if !strings.HasPrefix(withSecret, public) {
				t.Errorf("the secret-free conf is not the connection part of the full conf")
			}

			sysctl, ok := cc.file(SysctlPath)
			if !ok || !regexp.MustCompile(`(?m)^net\.ipv4\.ip_forward = 1$`).MatchString(sysctl.Content) {
				t.Errorf("sysctl file %s missing or does not enable forwarding: %+v", SysctlPath, sysctl)
			}
			// Forwarding must be on before charon can bring the tunnel up:
			// the package starts charon before runcmd, so only a drop-in
			// written by write_files (init stage) runs early enough.
			dropIn, ok := cc.file(ForwardingDropInPath)
			if !ok || !strings.Contains(dropIn.Content, "[Service]\nExecStartPre=/usr/sbin/sysctl -q -p "+SysctlPath+"\n") {
				t.Errorf("no strongswan.service drop-in applying %s before charon starts: %+v", SysctlPath, dropIn)
			}
			mss, ok := cc.file(MSSPath)
			if !ok {
				t.Fatalf("no write_files entry for %s", MSSPath)
			}
			wantMSS := mssOf(tc.g)
			for _, p := range tc.g.RemotePrefixes {
				if !strings.Contains(mss.Content, p.String()) {
					t.Errorf("MSS rules do not mention remote prefix %s", p)
				}
			}
			if got := strings.Count(mss.Content, fmt.Sprintf("maxseg size set %d", wantMSS)); got != 2 {
				t.Errorf("MSS rules clamp to %d in %d rules, want 2 (one per direction):\n%s", wantMSS, got, mss.Content)
			}
			unit, ok := cc.file(MSSUnitPath)
			if !ok || !strings.Contains(unit.Content, "ExecStart=/usr/sbin/nft -f "+MSSPath) {
				t.Errorf("MSS unit missing or does not load %s: %+v", MSSPath, unit)
			}

			for _, want := range [][]string{
				{"sysctl", "--system"},
				{"systemctl", "enable", "--now", MSSUnitName},
				{"systemctl", "enable", "--now", StrongswanUnitName},
				{"swanctl", "--load-all", "--noprompt"},
			} {
				if !slices.ContainsFunc(cc.RunCmd, func(c []string) bool { return slices.Equal(c, want) }) {
					t.Errorf("runcmd %v lacks %v", cc.RunCmd, want)
				}
			}
		})
	}
}

// mssOf is the MSS a gateway ends up clamping to, defaults applied.
func mssOf(g Gateway) int { return g.withDefaults().PrivateInterfaceMSS }

// TestSwanctlConfTimers checks how durations reach swanctl.conf: defaults for
// zero values and a child rekey at 90 % of the lifetime Azure enforces.
func TestSwanctlConfTimers(t *testing.T) {
	tests := []struct {
		name                      string
		life, ike, dpd            int // seconds; 0 = default
		wantLife, wantChildRekey  string
		wantIKERekey, wantDPDLine string
	}{
		{"defaults", 0, 0, 0, "life_time = 27000s", "rekey_time = 24300s", "rekey_time = 14400s", "dpd_delay = 30s"},
		{"azure minimum", 300, 300, 1, "life_time = 300s", "rekey_time = 270s", "rekey_time = 300s", "dpd_delay = 1s"},
		{"odd lifetime truncates", 3601, 28800, 45, "life_time = 3601s", "rekey_time = 3240s", "rekey_time = 28800s", "dpd_delay = 45s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := validGateway()
			g.ChildLifetime = secs(tt.life)
			g.IKERekey = secs(tt.ike)
			g.DPDDelay = secs(tt.dpd)
			conf, err := SwanctlConf(g, false)
			if err != nil {
				t.Fatal(err)
			}
			conn, child, _ := strings.Cut(conf, "children {")
			for _, c := range []struct{ in, want string }{
				{child, tt.wantLife}, {child, tt.wantChildRekey}, {conn, tt.wantIKERekey}, {conn, tt.wantDPDLine},
			} {
				if !strings.Contains(c.in, c.want+"\n") {
					t.Errorf("missing %q in\n%s", c.want, c.in)
				}
			}
		})
	}
}

// TestRenderRefusesOversizedUserData finds the largest remote prefix list
// that still fits and checks that one more prefix is refused with an error
// naming the user_data size, so the boundary is exactly Hetzner's limit.
func TestRenderRefusesOversizedUserData(t *testing.T) {
	withN := func(n int) Gateway {
		g := validGateway()
		g.RemotePrefixes = nil
		for i := range n { // distinct /32s in 172.16.0.0/12
			g.RemotePrefixes = append(g.RemotePrefixes,
				netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16 + byte(i>>16), byte(i >> 8), byte(i)}), 32))
		}
		return g
	}
	lo, hi := 1, 4000 // Render(withN(lo)) fits, Render(withN(hi)) does not
	if _, err := Render(withN(hi)); err == nil {
		t.Fatalf("%d prefixes still fit in %d bytes; raise hi", hi, MaxUserData)
	}
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if _, err := Render(withN(mid)); err == nil {
			lo = mid
		} else {
			hi = mid
		}
	}
	ud, err := Render(withN(lo))
	if err != nil || len(ud) > MaxUserData {
		t.Fatalf("largest fitting list (%d prefixes): %d bytes, err %v", lo, len(ud), err)
	}
	_, err = Render(withN(hi))
	if err == nil || !strings.Contains(err.Error(), "user_data size") || !strings.Contains(err.Error(), "32 KiB") {
		t.Fatalf("Render with %d prefixes: error %v, want one naming the user_data size and the 32 KiB limit", hi, err)
	}
	var se *SizeError
	if !errors.As(err, &se) || se.Size <= MaxUserData || se.Remote != hi || se.Local != len(withN(hi).LocalPrefixes) {
		t.Fatalf("Render with %d prefixes: error %#v, want a *SizeError over %d bytes counting %d remote prefixes", hi, err, MaxUserData, hi)
	}
	t.Logf("%d remote /32 prefixes fit (%d bytes); %d do not", lo, len(ud), hi)
}

func TestParseRejectsForeignUserData(t *testing.T) {
	tests := map[string]string{
		"no header":   "package_update: true\n",
		"shell":       "#!/bin/sh\necho hi\n",
		"unknown key": Header + "bootcmd: [[reboot]]\n",
		"bad yaml":    Header + "write_files: [\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := parse([]byte(in)); err == nil {
				t.Errorf("parse(%q) = nil error", in)
			}
		})
	}
}

func secs(n int) time.Duration { return time.Duration(n) * time.Second }
