// Package lab holds the primitives of the emulator's data plane
// (`crosscloud-sim -lab`; internal/sim/labsync keeps them in sync with the
// emulated APIs): Hetzner servers, the Hetzner network router and the Azure
// VPN gateway become Linux network namespaces joined by veth links, and two
// real strongSwan daemons build the tunnel between them. It needs root,
// iproute2, nftables and strongSwan; everything it creates carries one name
// prefix so that a crash leaves nothing Sweep cannot find. Traffic never
// leaves the namespaces.
//
// The package speaks in plain inputs (addresses, prefixes, user_data text,
// policy strings) so that labsync can drive it from the emulators' state
// without the lab knowing their types, and so that its Azure translation
// stays independent of internal/ipsec: the two are meant to catch each
// other's mistakes.
package lab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ifNameMax is IFNAMSIZ-1: Linux refuses longer interface names with a
// confusing "Numerical result out of range", so we check first.
const ifNameMax = 15

// prefixRE is what Sweep accepts as a prefix. An empty or sloppy prefix would
// let Sweep delete namespaces that belong to someone else.
var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,10}-$`)

// ValidatePrefix says whether prefix is safe to own namespaces with: 3-12
// characters, lower-case letters and digits, ending in "-" (e.g. "ccl-").
func ValidatePrefix(prefix string) error {
	if !prefixRE.MatchString(prefix) {
		return fmt.Errorf("lab prefix %q is invalid: use 2-11 lower-case letters or digits starting with a letter, then \"-\" (for example \"ccl-\"); a loose prefix would let Sweep delete namespaces it does not own", prefix)
	}
	return nil
}

// run executes one command and returns its trimmed stdout; the error carries
// the command line and stderr, because "exit status 2" alone is useless when
// a route or an address is refused.
func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// ipCmd runs `ip` inside namespace ns ("" = the caller's namespace).
func ipCmd(ctx context.Context, ns string, args ...string) (string, error) {
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	return run(ctx, "ip", args...)
}

// InNS runs a program inside a namespace and returns its combined output;
// tests and the wiring layer use it for ping, traceroute and nft.
func InNS(ctx context.Context, ns string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in namespace %s: %s %s: %w: %s", ns, name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// AddNS creates namespace name with its loopback up. It refuses names that
// do not carry prefix, so nothing the lab makes escapes Sweep.
func AddNS(ctx context.Context, prefix, name string) error {
	if err := ValidatePrefix(prefix); err != nil {
		return err
	}
	if !strings.HasPrefix(name, prefix) {
		return fmt.Errorf("namespace %q does not start with the lab prefix %q; every lab object must carry it so Sweep can remove it", name, prefix)
	}
	if _, err := ipCmd(ctx, "", "netns", "add", name); err != nil {
		return err
	}
	_, err := ipCmd(ctx, name, "link", "set", "lo", "up")
	return err
}

// DelNS kills every process in the namespace, then deletes it and its
// /etc/netns directory. A namespace that is already gone is not an error.
func DelNS(ctx context.Context, name string) error {
	killNSPids(ctx, name)
	_ = os.RemoveAll(filepath.Join("/etc/netns", name))
	if _, err := os.Stat(filepath.Join("/var/run/netns", name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	_, err := ipCmd(ctx, "", "netns", "del", name)
	return err
}

// killNSPids sends SIGTERM to the namespace's processes (charon cleans up its
// TUN device and routes on TERM), then SIGKILL to whatever is left after 2 s.
func killNSPids(ctx context.Context, name string) {
	pids := func() []int {
		out, _ := ipCmd(ctx, "", "netns", "pids", name)
		var ps []int
		for _, f := range strings.Fields(out) {
			if p, err := strconv.Atoi(f); err == nil {
				ps = append(ps, p)
			}
		}
		return ps
	}
	ps := pids()
	for _, p := range ps {
		_ = syscall.Kill(p, syscall.SIGTERM)
	}
	for deadline := time.Now().Add(2 * time.Second); len(ps) > 0 && time.Now().Before(deadline); ps = pids() {
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range ps {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// ListNS returns the namespaces whose names start with prefix.
func ListNS(ctx context.Context, prefix string) ([]string, error) {
	out, err := ipCmd(ctx, "", "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// Sweep removes everything a lab with this prefix may have left behind after
// a crash: namespaces (their processes killed first), /etc/netns/<name>
// directories and the lab's run directories under os.TempDir(). Run it at
// start-up and on exit.
func Sweep(ctx context.Context, prefix string) error {
	if err := ValidatePrefix(prefix); err != nil {
		return err
	}
	names, err := ListNS(ctx, prefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		errs = append(errs, DelNS(ctx, n))
	}
	for _, pattern := range []string{filepath.Join("/etc/netns", prefix+"*"), filepath.Join(os.TempDir(), prefix+"lab-*")} {
		dirs, _ := filepath.Glob(pattern)
		for _, d := range dirs {
			errs = append(errs, removeTree(d)) // a crashed lab's machine disks are still mounted
		}
	}
	return errors.Join(errs...)
}

// checkIfName rejects interface names Linux would refuse (IFNAMSIZ).
func checkIfName(name string) error {
	if name == "" || len(name) > ifNameMax || strings.ContainsAny(name, "/ \t") {
		return fmt.Errorf("interface name %q is invalid: Linux allows 1-%d characters without '/' or spaces", name, ifNameMax)
	}
	return nil
}

// AddVeth creates a veth pair with one end in each namespace and both ends
// up. Creating the ends directly in their namespaces means the names only
// need to be unique there, never in the host's namespace.
func AddVeth(ctx context.Context, nsA, ifA, nsB, ifB string) error {
	if err := errors.Join(checkIfName(ifA), checkIfName(ifB)); err != nil {
		return err
	}
	if _, err := ipCmd(ctx, nsA, "link", "add", ifA, "type", "veth", "peer", "name", ifB, "netns", nsB); err != nil {
		return err
	}
	if _, err := ipCmd(ctx, nsA, "link", "set", ifA, "up"); err != nil {
		return err
	}
	_, err := ipCmd(ctx, nsB, "link", "set", ifB, "up")
	return err
}

// AddBridge creates a bridge inside ns (never in the host's namespace),
// with a MAC address of its own. A Linux bridge otherwise takes the lowest
// MAC among its ports and changes it as ports come and go, which flushes
// its neighbour table and leaves every other port with a stale entry for
// it: on the internet bridge, deleting one server cut the public traffic
// of the others (the surviving gateway's IKE, its API calls) for up to a
// minute, until their ARP entries for the router timed out. Hetzner's
// router does not change its MAC when a neighbour's server is deleted.
func AddBridge(ctx context.Context, ns, name string) error {
	if err := checkIfName(name); err != nil {
		return err
	}
	if _, err := ipCmd(ctx, ns, "link", "add", name, "address", bridgeMAC(ns, name), "type", "bridge"); err != nil {
		return err
	}
	_, err := ipCmd(ctx, ns, "link", "set", name, "up")
	return err
}

// bridgeMAC is a locally administered unicast MAC derived from the
// bridge's namespace and name: stable, and distinct between labs.
func bridgeMAC(ns, name string) string {
	h := sha256.Sum256([]byte(ns + "/" + name))
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3], h[4])
}

// SetMaster attaches interface dev to bridge br inside ns.
func SetMaster(ctx context.Context, ns, dev, br string) error {
	_, err := ipCmd(ctx, ns, "link", "set", dev, "master", br)
	return err
}

// AddAddr adds cidr (e.g. "10.0.1.1/32") to dev inside ns.
func AddAddr(ctx context.Context, ns, dev, cidr string) error {
	_, err := ipCmd(ctx, ns, "addr", "add", cidr, "dev", dev)
	return err
}

// ReplaceRoute installs or updates a route inside ns; args follow
// `ip route replace`, e.g. ("10.1.0.0/16", "via", "10.0.1.1").
func ReplaceRoute(ctx context.Context, ns string, args ...string) error {
	_, err := ipCmd(ctx, ns, append([]string{"route", "replace"}, args...)...)
	return err
}

// DelRoute removes a route inside ns.
func DelRoute(ctx context.Context, ns string, args ...string) error {
	_, err := ipCmd(ctx, ns, append([]string{"route", "del"}, args...)...)
	return err
}

// RoutesByProto lists the destinations of the IPv4 main-table routes in ns
// tagged with proto, so the lab can tell its network routes from the
// addressing routes it made itself.
func RoutesByProto(ctx context.Context, ns, proto string) ([]string, error) {
	out, err := ipCmd(ctx, ns, "-j", "-4", "route", "show", "proto", proto)
	if err != nil {
		return nil, err
	}
	var rs []struct {
		Dst string `json:"dst"`
	}
	if out != "" {
		if err := json.Unmarshal([]byte(out), &rs); err != nil {
			return nil, fmt.Errorf("parsing `ip -j route show` in %s: %w", ns, err)
		}
	}
	dsts := make([]string, 0, len(rs))
	for _, r := range rs {
		dsts = append(dsts, r.Dst)
	}
	return dsts, nil
}

// Sysctl sets key=value inside ns. Only per-namespace keys (net.ipv4.*,
// net.ipv6.*) are allowed: anything else would change the host.
func Sysctl(ctx context.Context, ns, key, value string) error {
	if !NamespacedSysctl(key) {
		return fmt.Errorf("sysctl %q is not per network namespace; setting it inside %s would change the host", key, ns)
	}
	_, err := InNS(ctx, ns, "sysctl", "-q", "-w", key+"="+value)
	return err
}

// NamespacedSysctl reports whether key belongs to the network namespace
// (and so is safe to set for one emulated host).
func NamespacedSysctl(key string) bool {
	return strings.HasPrefix(key, "net.ipv4.") || strings.HasPrefix(key, "net.ipv6.")
}

// SweepAbandoned removes what killed test runs left behind. Tests name lab
// objects tag + (pid % 100000) + letters + "-"; a test binary stopped by its
// timeout never runs its cleanup, and its pid-based prefix is never used
// again, so its machines would run on. A prefix is swept only when no live
// process has a pid that maps to it.
func SweepAbandoned(ctx context.Context, tag string) error {
	re, err := regexp.Compile("^" + regexp.QuoteMeta(tag) + `(\d+)[a-z]*-`)
	if err != nil {
		return err
	}
	names, err := ListNS(ctx, tag)
	if err != nil {
		return err
	}
	live := map[int]bool{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if p, err := strconv.Atoi(e.Name()); err == nil {
			live[p%100000] = true
		}
	}
	swept := map[string]bool{}
	var errs []error
	for _, n := range names {
		m := re.FindStringSubmatch(n)
		if m == nil || swept[m[0]] {
			continue
		}
		if p, _ := strconv.Atoi(m[1]); live[p] || ValidatePrefix(m[0]) != nil {
			continue
		}
		swept[m[0]] = true
		errs = append(errs, Sweep(ctx, m[0]))
	}
	return errors.Join(errs...)
}
