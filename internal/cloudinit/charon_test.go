package cloudinit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// charonBinary finds a strongSwan IKE daemon: the plain one (package
// strongswan-charon) or charon-systemd, which Debian ships to real gateways
// and which, unlike charon, writes no pid file.
func charonBinary() (string, bool) {
	for _, p := range []string{"/usr/lib/ipsec/charon", "/usr/libexec/ipsec/charon"} {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	p, err := exec.LookPath("charon-systemd")
	return p, err == nil
}

// requireLab skips (or, in CI, fails) unless this process can create
// network namespaces and run charon.
func requireLab(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "not root: network namespaces and charon need CAP_NET_ADMIN")
	}
	bin, ok := charonBinary()
	if !ok {
		skipOrFail(t, "no charon or charon-systemd binary (install strongswan-swanctl charon-systemd libcharon-extra-plugins)")
	}
	for _, tool := range []string{"ip", "unshare", "swanctl", "nft", "sysctl"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" is not on PATH")
		}
	}
	return bin
}

// netns runs argv inside namespace ns and returns its combined output.
func netns(t *testing.T, ns string, argv ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...).CombinedOutput()
	return string(out), err
}

// TestGatewayFilesApplyInNetns gives every file Render writes to the tool
// that consumes it on the server, inside a private network namespace: charon
// must load the swanctl.conf with its exact proposals, nft the MSS rules
// (twice, as on every boot), and sysctl the forwarding settings.
func TestGatewayFilesApplyInNetns(t *testing.T) {
	bin := requireLab(t)
	for i, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			_, cc := renderedConfig(t, tc.g)
			dir, err := os.MkdirTemp("", "cci") // short: vici socket paths are limited to 107 bytes
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			files := map[string]string{}
			for _, path := range []string{SwanctlPath(tc.g.ConnectionName), MSSPath, SysctlPath} {
				f, ok := cc.file(path)
				if !ok {
					t.Fatalf("user_data has no %s", path)
				}
				files[path] = filepath.Join(dir, filepath.Base(path))
				if err := os.WriteFile(files[path], []byte(f.Content), 0o600); err != nil {
					t.Fatal(err)
				}
			}

			ns := fmt.Sprintf("ccinit%d-%d", os.Getpid(), i)
			if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
				t.Fatalf("ip netns add %s: %v\n%s", ns, err, out)
			}
			t.Cleanup(func() {
				if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
					t.Errorf("ip netns del %s: %v\n%s", ns, err, out)
				}
			})
			for _, argv := range [][]string{
				{"ip", "link", "set", "lo", "up"},
				// local_addrs must be an address charon can bind to.
				{"ip", "addr", "add", tc.g.LocalAddress.String() + "/32", "dev", "lo"},
			} {
				if out, err := netns(t, ns, argv...); err != nil {
					t.Fatalf("%v: %v\n%s", argv, err, out)
				}
			}

			t.Run("sysctl", func(t *testing.T) {
				if out, err := netns(t, ns, "sysctl", "-p", files[SysctlPath]); err != nil {
					t.Fatalf("sysctl -p: %v\n%s", err, out)
				}
				if got, _ := netns(t, ns, "sysctl", "-n", "net.ipv4.ip_forward"); strings.TrimSpace(got) != "1" {
					t.Errorf("net.ipv4.ip_forward = %q after applying %s", got, SysctlPath)
				}
			})
			t.Run("nft", func(t *testing.T) {
				for range 2 { // the unit reloads the file on every boot
					if out, err := netns(t, ns, "nft", "-f", files[MSSPath]); err != nil {
						t.Fatalf("nft -f: %v\n%s", err, out)
					}
				}
				out, err := netns(t, ns, "nft", "list", "table", "inet", MSSTableName)
				if err != nil {
					t.Fatalf("nft list: %v\n%s", err, out)
				}
				want := fmt.Sprintf("maxseg size set %d", mssOf(tc.g))
				if strings.Count(out, want) != 2 || !strings.Contains(out, "hook forward") {
					t.Errorf("loaded table lacks two forward rules with %q:\n%s", want, out)
				}
			})
			t.Run("charon", func(t *testing.T) {
				testCharonLoads(t, bin, ns, dir, files[SwanctlPath(tc.g.ConnectionName)], tc)
			})
		})
	}
}

func testCharonLoads(t *testing.T, bin, ns, dir, conf string, tc goldenCase) {
	sock, _ := startTestCharonCmd(t, bin, ns, dir, "")
	logf := filepath.Join(dir, "log")

	uri := "unix://" + sock
	name := tc.g.ConnectionName
	out, err := netns(t, ns, "swanctl", "--load-all", "--noprompt", "--file", conf, "--uri", uri)
	if err != nil {
		t.Fatalf("swanctl --load-all: %v\n%s", err, out)
	}
	names := []string{name}
	if tc.g.SecondRemoteAddress.IsValid() {
		names = append(names, SecondConnectionName(name))
	}
	wantLoaded := []string{fmt.Sprintf("successfully loaded %d connections", len(names))}
	for _, n := range names {
		wantLoaded = append(wantLoaded, "loaded ike secret 'ike-"+n+"'", "loaded connection '"+n+"'")
	}
	for _, want := range wantLoaded {
		if !strings.Contains(out, want) {
			t.Errorf("swanctl --load-all output lacks %q:\n%s", want, out)
		}
	}

	g := tc.g.withDefaults()
	out, err = netns(t, ns, "swanctl", "--list-conns", "--uri", uri)
	if err != nil {
		t.Fatalf("swanctl --list-conns: %v\n%s", err, out)
	}
	for _, n := range names {
		for _, want := range []string{
			fmt.Sprintf("%s: IKEv2, no reauthentication, rekeying every %s", n, seconds(g.IKERekey)),
			fmt.Sprintf("%s: TUNNEL, rekeying every %s", n, seconds(g.childRekey())),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("swanctl --list-conns lacks %q:\n%s", want, out)
			}
		}
	}
	for _, want := range []string{
		fmt.Sprintf("dpd delay %s", seconds(g.DPDDelay)),
		"local:  " + joinPrefixes(g.LocalPrefixes, " "),
		"remote: " + joinPrefixes(g.RemotePrefixes, " "),
	} {
		if c := strings.Count(out, want); c != len(names) {
			t.Errorf("swanctl --list-conns shows %q %d times, want %d (once per tunnel):\n%s", want, c, len(names), out)
		}
	}
	// The raw form shows the child's actions; strongSwan 5.9 reports
	// dpd_action = restart as "start" (one enum for all three actions).
	out, err = netns(t, ns, "swanctl", "--list-conns", "--raw", "--uri", uri)
	if err != nil {
		t.Fatalf("swanctl --list-conns --raw: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`dpd_action=(re)?start close_action=start`).MatchString(out) {
		t.Errorf("child does not restart on DPD and close:\n%s", out)
	}

	// list-conns does not print proposals in 5.9; charon's cfg log shows
	// what it parsed from proposals/esp_proposals.
	var log []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		log, _ = os.ReadFile(logf)
		if strings.Contains(string(log), "proposals = "+tc.wantIKE) && strings.Contains(string(log), "proposals = "+tc.wantESP) {
			return
		}
	}
	t.Errorf("charon log lacks the parsed proposals %q and %q:\n%s", tc.wantIKE, tc.wantESP, log)
}

// startTestCharonCmd starts charon in ns under a private /run (charon's
// pid file path is fixed at compile time) with kernel-libipsec, logging to
// dir/log, and returns its vici socket and process; the test's cleanup
// stops it unless the test already has. extra is strongswan.conf text for
// the charon section (timeouts).
func startTestCharonCmd(t *testing.T, bin, ns, dir, extra string) (string, *exec.Cmd) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "v") // short: vici socket paths are limited to 107 bytes
	conf := filepath.Join(dir, "strongswan.conf")
	// charon-systemd reads its own section and falls back to "charon".
	// cfg = 2 logs the proposals charon parsed, which testCharonLoads
	// looks for.
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`%s {
  load_modular = yes
  %s
  filelog {
    test {
      path = %s
      default = 1
      cfg = 2
      flush_line = yes
    }
  }
  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec { load = yes }
    vici { socket = unix://%s }
  }
}
`, filepath.Base(bin), extra, filepath.Join(dir, "log"), sock)), 0o600); err != nil {
		t.Fatal(err)
	}
	output, err := os.Create(filepath.Join(dir, "output"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { output.Close() })
	cmd := exec.Command("ip", "netns", "exec", ns, "unshare", "-m", "sh", "-c",
		fmt.Sprintf("mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=%s exec %s", conf, bin))
	cmd.Stdout, cmd.Stderr = output, output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState != nil {
			return
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(sock); err == nil {
			return sock, cmd
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(output.Name())
			t.Fatalf("charon did not open %s in %s within 10s; its output:\n%s", sock, ns, out)
		}
	}
}
