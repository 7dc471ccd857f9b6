package cloudinit

import (
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestTwoTunnelsFailOverInNetns runs the rendered swanctl.conf of a
// gateway facing an active-active Azure gateway in a real charon, with two
// more charons standing in for the two Azure instances, each in its own
// network namespace (kernel-libipsec: this kernel has no in-kernel ESP).
// Both tunnels must come up with the same selectors; then the instance
// whose tunnel carries the traffic disappears and pings must keep getting
// through, now over the other tunnel.
//
// "stop" is a graceful shutdown (charon deletes its IKE_SAs on SIGTERM);
// "crash" kills the instance without a word and takes its address away, so
// only dead peer detection tells the gateway. The gateway's strongswan.conf
// here shortens charon's retransmissions (1 s, 2 tries) so the crash case
// takes seconds; Debian's defaults (4 s, 5 tries, base 1.8) take about 165 s
// after the first unanswered DPD (docs/facts/strongswan-and-lab.md).
func TestTwoTunnelsFailOverInNetns(t *testing.T) {
	bin := requireLab(t)
	for i, mode := range []string{"stop", "crash"} {
		t.Run(mode, func(t *testing.T) { testTwoTunnels(t, bin, i, mode) })
	}
}

func testTwoTunnels(t *testing.T, bin string, idx int, mode string) {
	var g Gateway
	for _, tc := range goldenCases() {
		if tc.name == "active-active" {
			g = tc.g
		}
	}
	g.DPDDelay = 2 * time.Second
	conf, err := SwanctlConf(g, true)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "cc2t") // short: vici socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })

	p := fmt.Sprintf("cc2t%d%d", os.Getpid()%100000, idx)
	gw, azs := p+"g", []string{p + "a", p + "b"}
	azAddrs := []netip.Addr{g.RemoteAddress, g.SecondRemoteAddress}
	for _, ns := range append([]string{gw}, azs...) {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v\n%s", ns, err, out)
		}
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	}
	// The gateway's public address and its tunnel host sit on lo; each
	// instance has its own veth, the gateway a host route to each. Both
	// instances answer for the same VNet host (10.1.1.4): Azure sends the
	// VNet's traffic through either.
	steps := [][]string{
		{gw, "ip", "link", "set", "lo", "up"},
		{gw, "ip", "addr", "add", g.LocalAddress.String() + "/32", "dev", "lo"},
		{gw, "ip", "addr", "add", "10.0.1.2/32", "dev", "lo"},
	}
	for i, az := range azs {
		gwIf, azIf := fmt.Sprintf("%sg%d", p, i), fmt.Sprintf("%sa%d", p, i)
		if out, err := exec.Command("ip", "link", "add", gwIf, "netns", gw, "type", "veth", "peer", "name", azIf, "netns", az).CombinedOutput(); err != nil {
			t.Fatalf("veth: %v\n%s", err, out)
		}
		steps = append(steps,
			[]string{gw, "ip", "link", "set", gwIf, "up"},
			[]string{gw, "ip", "route", "add", azAddrs[i].String() + "/32", "dev", gwIf},
			[]string{az, "ip", "link", "set", "lo", "up"},
			[]string{az, "ip", "link", "set", azIf, "up"},
			[]string{az, "ip", "addr", "add", azAddrs[i].String() + "/32", "dev", azIf},
			[]string{az, "ip", "addr", "add", "10.1.1.4/32", "dev", "lo"},
			// kernel-libipsec routes a local selector only if it holds
			// an address in it (an Azure gateway has one in every VNet range).
			[]string{az, "ip", "addr", "add", "10.2.0.4/32", "dev", "lo"},
			[]string{az, "ip", "route", "add", g.LocalAddress.String() + "/32", "dev", azIf},
		)
	}
	for _, s := range steps {
		if out, err := netns(t, s[0], s[1:]...); err != nil {
			t.Fatalf("%v: %v\n%s", s, err, out)
		}
	}

	gwSock := startTestCharon(t, bin, gw, filepath.Join(dir, "g"), "retransmit_timeout = 1\n  retransmit_base = 1\n  retransmit_tries = 2\n")
	t.Cleanup(func() {
		if t.Failed() {
			for _, d := range []string{"g", "0", "1"} {
				b, _ := os.ReadFile(filepath.Join(dir, d, "log"))
				t.Logf("charon log %s:\n%s", d, tail(string(b), 40))
			}
		}
	})
	azSocks := make([]string, 2)
	azCmds := make([]*exec.Cmd, 2)
	for i, az := range azs {
		azSocks[i], azCmds[i] = startTestCharonCmd(t, bin, az, filepath.Join(dir, fmt.Sprint(i)), "")
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(i), "swanctl.conf"), []byte(azureInstanceConf(g, azAddrs[i])), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := netns(t, az, "swanctl", "--load-all", "--noprompt", "--file", filepath.Join(dir, fmt.Sprint(i), "swanctl.conf"), "--uri", "unix://"+azSocks[i]); err != nil {
			t.Fatalf("loading instance %d: %v\n%s", i, err, out)
		}
	}
	gwConf := filepath.Join(dir, "g", "swanctl.conf")
	if err := os.WriteFile(gwConf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := netns(t, gw, "swanctl", "--load-all", "--noprompt", "--file", gwConf, "--uri", "unix://"+gwSock); err != nil {
		t.Fatalf("loading the gateway: %v\n%s", err, out)
	}

	names := []string{g.ConnectionName, SecondConnectionName(g.ConnectionName)}
	waitFor(t, 20*time.Second, "both tunnels INSTALLED on the gateway", func() bool {
		sas := listChildren(t, gw, gwSock)
		return sas[names[0]].installed && sas[names[1]].installed
	})
	sas := listChildren(t, gw, gwSock)
	for _, n := range names {
		if got, want := sas[n].remoteTS, joinPrefixes(g.RemotePrefixes, " "); got != want {
			t.Errorf("%s carries remote_ts %q, want %q (both tunnels the same selectors)", n, got, want)
		}
	}
	ping := func() bool {
		_, err := netns(t, gw, "ping", "-c1", "-W1", "-I", "10.0.1.2", "10.1.1.4")
		return err == nil
	}
	waitFor(t, 10*time.Second, "a ping through the tunnels", ping)
	before := listChildren(t, gw, gwSock)
	for range 3 {
		ping()
	}
	after := listChildren(t, gw, gwSock)
	carrier := -1
	for i, n := range names {
		if after[n].outBytes > before[n].outBytes {
			carrier = i
		}
	}
	if carrier < 0 {
		t.Fatalf("pings got through but neither CHILD_SA's bytes-out grew: %+v -> %+v", before, after)
	}
	other := 1 - carrier
	t.Logf("the tunnel to instance %d (%s) carries the gateway's traffic", carrier, azAddrs[carrier])

	gone := time.Now()
	switch mode {
	case "stop":
		_ = azCmds[carrier].Process.Signal(syscall.SIGTERM)
	case "crash":
		_ = azCmds[carrier].Process.Kill()
		if out, err := netns(t, azs[carrier], "ip", "link", "set", fmt.Sprintf("%sa%d", p, carrier), "down"); err != nil {
			t.Fatalf("taking instance %d's link down: %v\n%s", carrier, err, out)
		}
	}
	_ = azCmds[carrier].Wait()
	waitFor(t, 30*time.Second, "pings through the other tunnel", ping)
	took := time.Since(gone)
	before = listChildren(t, gw, gwSock)
	for range 3 {
		if !ping() {
			t.Fatalf("ping failed again after the first got through over the other tunnel")
		}
	}
	after = listChildren(t, gw, gwSock)
	if after[names[other]].outBytes <= before[names[other]].outBytes {
		t.Errorf("pings get through but the tunnel to instance %d did not carry them: %+v -> %+v", other, before, after)
	}
	if after[names[carrier]].installed {
		t.Errorf("the gateway still has an installed CHILD_SA to the vanished instance %d", carrier)
	}
	t.Logf("%s: traffic moved to instance %d's tunnel %.1fs after instance %d went away", mode, other, took.Seconds(), carrier)
}

// azureInstanceConf is one Azure instance as a responder for g's traffic
// selectors, the way the lab's Azure charon answers (internal/sim/lab).
func azureInstanceConf(g Gateway, self netip.Addr) string {
	return fmt.Sprintf(`connections {
  az {
    version = 2
    local_addrs = %[1]s
    remote_addrs = %[2]s
    proposals = %[3]s
    mobike = no
    local { auth = psk
      id = %[1]s }
    remote { auth = psk
      id = %[2]s }
    children {
      az {
        local_ts = %[4]s
        remote_ts = %[5]s
        esp_proposals = %[6]s
        start_action = none
        dpd_action = clear
      }
    }
  }
}
secrets { ike-az { id-1 = %[1]s
  id-2 = %[2]s
  secret = %[7]q } }
`, self, g.LocalAddress, g.IKEProposal, joinPrefixes(g.RemotePrefixes, ","), joinPrefixes(g.LocalPrefixes, ","), g.ESPProposal, g.SharedKey)
}

// startTestCharon starts charon in ns under a private /run with
// kernel-libipsec and returns its vici socket; the test's cleanup stops it.
func startTestCharon(t *testing.T, bin, ns, dir, extra string) string {
	sock, _ := startTestCharonCmd(t, bin, ns, dir, extra)
	return sock
}

// child is one CHILD_SA as list-sas reports it.
type child struct {
	installed bool
	remoteTS  string
	outBytes  int64
}

// childRE picks one CHILD_SA out of `swanctl --list-sas --raw`.
var childRE = regexp.MustCompile(`\bname=(\S+) uniqueid=\d+ reqid=\d+ state=(\S+) .*?bytes-out=(\d+) .*?remote-ts=\[([^\]]*)\]`)

// listChildren returns the CHILD_SAs of a charon by child name, from
// swanctl, whose C client returns every list-sa event before the reply.
func listChildren(t *testing.T, ns, sock string) map[string]child {
	t.Helper()
	raw, err := netns(t, ns, "swanctl", "--list-sas", "--raw", "--uri", "unix://"+sock)
	if err != nil {
		t.Fatalf("swanctl --list-sas: %v\n%s", err, raw)
	}
	out := map[string]child{}
	for _, m := range childRE.FindAllStringSubmatch(raw, -1) {
		n, _ := strconv.ParseInt(m[3], 10, 64)
		cur := out[m[1]]
		if m[2] == "INSTALLED" {
			cur.installed, cur.remoteTS = true, m[4]
		}
		cur.outBytes += n
		out[m[1]] = cur
	}
	return out
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
