package cloudinit

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// testToken stands in for a Hetzner API token; tests look for it in
// everything that must not contain it.
const testToken = "hT0kenXyZ0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"

// haGateway is the primary of a pair; standby mirrors it.
func haGateway() Gateway {
	g := validGateway()
	g.ConnectionName = "hel1-weu-ha"
	g.LocalAddress = netip.MustParseAddr("192.0.2.130")
	g.HA = &HA{
		PrivateIP:         netip.MustParseAddr("10.0.1.5"),
		PeerPrivateIP:     netip.MustParseAddr("10.0.1.6"),
		Priority:          150,
		FloatingIP:        netip.MustParseAddr("192.0.2.130"),
		FloatingIPID:      4242,
		NetworkID:         77,
		RouteDestinations: g.RemotePrefixes,
		APIToken:          testToken,
	}
	return g
}

func standbyGateway() Gateway {
	g := haGateway()
	h := *g.HA
	h.PrivateIP, h.PeerPrivateIP, h.Priority = h.PeerPrivateIP, h.PrivateIP, 100
	h.APIEndpoint = "http://10.0.0.1:8080/hcloud/v1/"
	g.HA = &h
	return g
}

func haGoldenCases() map[string]Gateway {
	return map[string]Gateway{"ha-primary": haGateway(), "ha-standby": standbyGateway()}
}

// TestRenderHAGolden pins the HA user_data byte for byte, like
// TestRenderGolden does for the single gateway (whose files HA must not
// change: they stay pinned there).
func TestRenderHAGolden(t *testing.T) {
	for name, g := range haGoldenCases() {
		t.Run(name, func(t *testing.T) {
			ud, err := Render(g)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			compareGolden(t, filepath.Join("testdata", name+".yaml"), ud)
			if bin, err := exec.LookPath("cloud-init"); err == nil {
				path := filepath.Join("testdata", name+".yaml")
				out, err := exec.Command(bin, "schema", "-c", path).CombinedOutput()
				if err != nil || !strings.Contains(string(out), "Valid cloud-config") {
					t.Fatalf("cloud-init schema -c %s: %v\n%s", path, err, out)
				}
			}
			t.Logf("%s: %d bytes of user_data", name, len(ud))
		})
	}
}

func TestRenderHAContents(t *testing.T) {
	g := haGateway()
	ud, cc := renderedConfig(t, g)
	for _, p := range []string{"keepalived", "curl", "strongswan-swanctl", "charon-systemd"} {
		if !slices.Contains(cc.Packages, p) {
			t.Errorf("packages %v lack %s", cc.Packages, p)
		}
	}
	single, _ := Render(validGateway())
	if strings.Contains(string(single), "keepalived") {
		t.Error("the single gateway's user_data mentions keepalived")
	}

	tok, ok := cc.file(APITokenPath)
	if !ok || tok.Permissions != "0600" || tok.Owner != "root:root" {
		t.Fatalf("token file %s: %+v, want root:root 0600", APITokenPath, tok)
	}
	if !strings.Contains(tok.Content, `header = "Authorization: Bearer `+testToken+`"`) {
		t.Errorf("token file is not a curl config with the Authorization header:\n%s", tok.Content)
	}
	if n := strings.Count(string(ud), testToken); n != 1 {
		t.Errorf("the token appears %d times in user_data; want once, in %s", n, APITokenPath)
	}

	script, ok := cc.file(FailoverScriptPath)
	if !ok || script.Permissions != "0755" || script.Owner != "root:root" {
		t.Fatalf("failover script: %+v, want root:root 0755", script)
	}
	for _, want := range []string{"API='" + DefaultAPIEndpoint + "'", "FLOATING_IP_ID=4242", "NETWORK_ID=77",
		"SELF_IP='10.0.1.5'", "DESTINATIONS='10.1.0.0/16'", `--config "$CURLRC"`, "/actions/delete_route", "/actions/add_route",
		"/floating_ips/$FLOATING_IP_ID/actions/assign"} {
		if !strings.Contains(script.Content, want) {
			t.Errorf("failover script lacks %q", want)
		}
	}
	if strings.Contains(script.Content, "Authorization") || regexp.MustCompile(`curl[^\n]*( -v|--verbose|--trace)`).MatchString(script.Content) {
		t.Error("the failover script builds the Authorization header itself or runs curl verbosely")
	}

	ka, ok := cc.file(KeepalivedConfPath)
	if !ok {
		t.Fatalf("no %s", KeepalivedConfPath)
	}
	for _, want := range []string{"unicast_src_ip 10.0.1.5\n", "unicast_peer {\n    10.0.1.6\n  }", "priority 150\n", "nopreempt\n",
		"state BACKUP\n", `notify_master "` + FailoverScriptPath + ` master"`} {
		if !strings.Contains(ka.Content, want) {
			t.Errorf("keepalived.conf lacks %q:\n%s", want, ka.Content)
		}
	}
	for _, want := range []string{"interface $PRIVATE_IF\n", "192.0.2.130/32 dev $PUBLIC_IF\n", "include " + keepalivedIfacesPath + "\n"} {
		if !strings.Contains(ka.Content, want) {
			t.Errorf("keepalived.conf lacks %q: the NICs' names differ between servers and must be detected:\n%s", want, ka.Content)
		}
	}
	if dropIn, ok := cc.file(KeepalivedDropInPath); !ok || !strings.Contains(dropIn.Content, "ExecStartPre="+FailoverScriptPath+" interfaces\n") {
		t.Errorf("no keepalived drop-in detecting the interfaces before start: %+v", dropIn)
	}

	swan, _ := cc.file(SwanctlPath(g.ConnectionName))
	for _, want := range []string{"local_addrs = 192.0.2.130\n", "id = 192.0.2.130\n"} {
		if !strings.Contains(swan.Content, want) {
			t.Errorf("swanctl.conf lacks %q: strongSwan must use the Floating IP", want)
		}
	}
	for _, c := range cc.RunCmd {
		if slices.Equal(c, []string{"systemctl", "enable", "--now", StrongswanUnitName}) || slices.Contains(c, "--load-all") {
			t.Errorf("runcmd %v starts charon on both servers; only the active one may run it", c)
		}
	}
	if !slices.ContainsFunc(cc.RunCmd, func(c []string) bool {
		return slices.Equal(c, []string{"systemctl", "restart", KeepalivedUnitName})
	}) {
		t.Errorf("runcmd %v does not (re)start keepalived", cc.RunCmd)
	}
}

// TestTokenNeverPrints formats the inputs every way a log line might.
func TestTokenNeverPrints(t *testing.T) {
	g := haGateway()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for name, v := range map[string]any{"Gateway": g, "*HA": g.HA, "HA": *g.HA, "Token": g.HA.APIToken} {
			if s := fmt.Sprintf(verb, v); strings.Contains(s, testToken) || strings.Contains(s, fmt.Sprintf("%x", testToken)) {
				t.Errorf("fmt %s of %s prints the token: %s", verb, name, s)
			}
		}
	}
	bad := haGateway()
	bad.HA.APIToken = Token(testToken + "\"")
	if err := bad.Validate(); err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("Validate of a bad token: %v (want an error that does not quote the token)", err)
	}
}

func TestValidateHA(t *testing.T) {
	tests := []struct {
		field  string
		mutate func(g *Gateway)
	}{
		{"HA.PrivateIP", func(g *Gateway) { g.HA.PrivateIP = netip.Addr{} }},
		{"HA.PrivateIP", func(g *Gateway) { g.HA.PrivateIP = netip.MustParseAddr("192.0.2.5") }},
		{"HA.PeerPrivateIP", func(g *Gateway) { g.HA.PeerPrivateIP = g.HA.PrivateIP }},
		{"HA.Priority", func(g *Gateway) { g.HA.Priority = 0 }},
		{"HA.Priority", func(g *Gateway) { g.HA.Priority = 255 }},
		{"HA.FloatingIP", func(g *Gateway) { g.HA.FloatingIP = netip.Addr{} }},
		{"LocalAddress", func(g *Gateway) { g.LocalAddress = netip.MustParseAddr("192.0.2.10") }},
		{"HA.FloatingIPID", func(g *Gateway) { g.HA.FloatingIPID = 0 }},
		{"HA.NetworkID", func(g *Gateway) { g.HA.NetworkID = -1 }},
		{"HA.RouteDestinations", func(g *Gateway) { g.HA.RouteDestinations = nil }},
		{"HA.RouteDestinations[1]", func(g *Gateway) {
			g.HA.RouteDestinations = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.1/16")}
		}},
		{"HA.APIEndpoint", func(g *Gateway) { g.HA.APIEndpoint = "ftp://api.example" }},
		{"HA.APIEndpoint", func(g *Gateway) { g.HA.APIEndpoint = "https://api.example/v1'; reboot; '" }},
		{"HA.APIEndpoint", func(g *Gateway) { g.HA.APIEndpoint = "https://user:pw@api.example/v1" }},
		{"HA.APIToken", func(g *Gateway) { g.HA.APIToken = "" }},
		{"HA.APIToken", func(g *Gateway) { g.HA.APIToken = "abc\ndef" }},
		{"HA.APIToken", func(g *Gateway) { g.HA.APIToken = Token(strings.Repeat("a", maxTokenLen+1)) }},
	}
	for _, tc := range tests {
		g := haGateway()
		h := *g.HA
		g.HA = &h
		tc.mutate(&g)
		err := g.Validate()
		var fe *attrerr.Error
		if !errors.As(err, &fe) || fe.Path.String() != tc.field {
			t.Errorf("%s: Validate = %v, want a FieldError on %s", tc.field, err, tc.field)
		}
		if _, rerr := Render(g); rerr == nil {
			t.Errorf("%s: Render accepted the invalid input", tc.field)
		}
	}
	for name, g := range haGoldenCases() {
		if err := g.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRenderHARefusesOversizedUserData: HA adds its files to the same 32 KiB
// budget, so a prefix list that fits a single gateway can be too large for
// a pair, and Render says so before any server is created.
func TestRenderHARefusesOversizedUserData(t *testing.T) {
	single := validGateway()
	base, err := Render(single)
	if err != nil {
		t.Fatal(err)
	}
	ha, err := Render(haGateway())
	if err != nil {
		t.Fatal(err)
	}
	overhead := len(ha) - len(base)
	t.Logf("HA adds %d bytes to the user_data", overhead)
	// Grow the remote prefixes (and the routes with them) until a single
	// gateway still fits but the pair does not.
	g := haGateway()
	for i := 0; ; i++ {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, 16 + byte(i>>16), byte(i >> 8), byte(i)}), 32)
		g.RemotePrefixes = append(g.RemotePrefixes, p)
		g.HA.RouteDestinations = g.RemotePrefixes
		if _, err := Render(g); err != nil {
			var se *SizeError
			if !errors.As(err, &se) || se.Size <= MaxUserData {
				t.Fatalf("Render with %d prefixes: %v, want a *SizeError", len(g.RemotePrefixes), err)
			}
			s := g
			s.HA = nil
			if _, err := Render(s); err != nil {
				t.Fatalf("the single gateway with the same prefixes does not fit either (%v): HA overhead not measured", err)
			}
			return
		}
		if i > 4000 {
			t.Fatal("never exceeded the limit")
		}
	}
}

// TestKeepalivedAcceptsConf runs the script's interface detection on this
// host (with SELF_IP set to an address the host has), then keepalived's own
// config check over the rendered file including what the detection wrote, so
// a keyword keepalived 2.2 (Debian 12) does not know, or a missing interface
// or VIP it refuses, fails here.
func TestKeepalivedAcceptsConf(t *testing.T) {
	bin, err := exec.LookPath("keepalived")
	if err != nil {
		// Not in tools/lab-packages.txt (yet): skip even in CI.
		t.Skip("keepalived is not on PATH (apt-get install keepalived to run this test)")
	}
	self := hostAddress(t)
	for name, g := range haGoldenCases() {
		dir := t.TempDir()
		ifaces := filepath.Join(dir, "interfaces.conf")
		script := replaceLine(t, failoverScript(g), "SELF_IP=", "SELF_IP='"+self.String()+"'")
		script = replaceLine(t, script, "IFACES_FILE=", "IFACES_FILE='"+ifaces+"'")
		if out, err := exec.Command("/bin/sh", "-c", script, "crosscloud-failover", "interfaces").CombinedOutput(); err != nil {
			t.Fatalf("%s: interfaces: %v\n%s", name, err, out)
		}
		got, err := os.ReadFile(ifaces)
		if err != nil || !regexp.MustCompile(`^\$PRIVATE_IF=\S+\n\$PUBLIC_IF=\S+\n$`).Match(got) {
			t.Fatalf("%s: interfaces wrote %q (%v), want the two variables", name, got, err)
		}
		conf := filepath.Join(dir, "keepalived.conf")
		text := replaceLine(t, keepalivedConf(g), "include ", "include "+ifaces)
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "--config-test", "--use-file", conf).CombinedOutput()
		if err != nil {
			t.Errorf("%s: keepalived --config-test: %v\n%s\n%s", name, err, out, text)
		}
	}
}

// hostAddress is an IPv4 address of a non-loopback interface of this host,
// standing in for the gateway's private IP.
func hostAddress(t *testing.T) netip.Addr {
	t.Helper()
	out, err := exec.Command("ip", "-4", "-o", "addr", "show", "scope", "global").Output()
	if err != nil {
		t.Skipf("ip: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[2] == "inet" {
			if p, err := netip.ParsePrefix(f[3]); err == nil {
				return p.Addr()
			}
		}
	}
	t.Skip("this host has no global IPv4 address")
	return netip.Addr{}
}

// replaceLine swaps the one line starting with prefix, failing when there
// is not exactly one, so tests rewrite only the paths they mean to.
func replaceLine(t *testing.T, text, prefix, with string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	n := 0
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			lines[i] = with
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d lines start with %q, want 1", n, prefix)
	}
	return strings.Join(lines, "\n")
}

// TestFailoverScriptParses checks the script with the shell that runs it
// (Debian's /bin/sh is dash).
func TestFailoverScriptParses(t *testing.T) {
	sh, err := exec.LookPath("dash")
	if err != nil {
		sh = "/bin/sh"
	}
	for name, g := range haGoldenCases() {
		out, err := exec.Command(sh, "-n", "-c", failoverScript(g)).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %s -n: %v\n%s", name, sh, err, out)
		}
	}
}
