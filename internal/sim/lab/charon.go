package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/strongswan/govici/vici"
)

// charonCandidates are the daemons we can run, in order of preference.
// Debian's charon-systemd (what CI installs) writes no pid file; the classic
// /usr/lib/ipsec/charon (package strongswan-charon) does, which is why every
// instance gets a private /run anyway.
var charonCandidates = []string{"/usr/sbin/charon-systemd", "/usr/lib/ipsec/charon", "/usr/libexec/ipsec/charon"}

// CharonBinary returns the strongSwan daemon to run, or an error saying what
// to install. Tests use it to decide whether the lab can run at all.
func CharonBinary() (string, error) {
	for _, c := range charonCandidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	if p, err := exec.LookPath("charon-systemd"); err == nil {
		return p, nil
	}
	return "", errors.New("no strongSwan daemon found (looked for charon-systemd and charon): install charon-systemd, strongswan-swanctl and libcharon-extra-plugins")
}

// Charon is one strongSwan daemon running inside one namespace, with its own
// strongswan.conf, vici socket and log in Dir.
type Charon struct {
	NS  string
	Dir string
	// Socket is the vici socket path (clients use unix://Socket).
	Socket string
	// Log is charon's log file, worth reading when an SA does not come up.
	Log string

	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	err  error
}

// StartCharon starts charon in namespace ns under a private /run (docs/facts/ipsec.md,
// "two charons"), writes its strongswan.conf into dir and waits until its vici socket
// answers. extra carries include files (e.g. strongswan.d files a cloud-init
// wrote); its ViciSocket and LogFile are set here, inside dir.
func StartCharon(ctx context.Context, ns, dir string, extra CharonConf) (*Charon, error) {
	bin, err := CharonBinary()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	c := &Charon{NS: ns, Dir: dir, Socket: filepath.Join(dir, "charon.vici"), Log: filepath.Join(dir, "charon.log"), done: make(chan struct{})}
	if len(c.Socket) > 100 {
		return nil, fmt.Errorf("vici socket path %q is longer than a unix socket allows (about 100 bytes): use a shorter lab directory", c.Socket)
	}
	extra.ViciSocket, extra.LogFile = c.Socket, c.Log
	conf := filepath.Join(dir, "strongswan.conf")
	if err := os.WriteFile(conf, []byte(extra.String()), 0o600); err != nil {
		return nil, err
	}
	_ = os.Remove(c.Socket)
	script := fmt.Sprintf("mount -t tmpfs tmpfs /run && STRONGSWAN_CONF=%s exec %s", shellQuote(conf), shellQuote(bin))
	c.cmd = exec.Command("ip", "netns", "exec", ns, "unshare", "-m", "sh", "-c", script)
	out, err := os.Create(filepath.Join(dir, "charon.out"))
	if err != nil {
		return nil, err
	}
	c.cmd.Stdout, c.cmd.Stderr = out, out
	if err := c.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting charon in %s: %w", ns, err)
	}
	go func() {
		err := c.cmd.Wait()
		out.Close()
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
	}()
	if err := c.waitSocket(ctx, 15*time.Second); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// waitSocket polls until a vici session opens, failing early if charon died.
func (c *Charon) waitSocket(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if s, err := vici.NewSession(vici.WithSocketPath(c.Socket)); err == nil {
			_, verr := s.Call(ctx, "version", nil)
			s.Close()
			if verr == nil {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("charon in %s exited before its vici socket came up (%v): %s", c.NS, c.err, c.tail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("charon in %s: vici socket %s did not answer within %s: %s", c.NS, c.Socket, limit, c.tail())
		}
	}
}

// tail returns the end of charon's output and log for error messages.
func (c *Charon) tail() string {
	var parts []string
	for _, f := range []string{filepath.Join(c.Dir, "charon.out"), c.Log} {
		b, _ := os.ReadFile(f)
		if len(b) > 4000 {
			b = b[len(b)-4000:]
		}
		if len(b) > 0 {
			parts = append(parts, filepath.Base(f)+": "+string(b))
		}
	}
	return strings.Join(parts, "\n")
}

// Stop terminates charon (SIGTERM, then SIGKILL after 5 s) and waits for it.
func (c *Charon) Stop() {
	if c == nil || c.cmd == nil || c.cmd.Process == nil {
		return
	}
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// Kill ends charon with SIGKILL, as a crash would: it sends no DELETE, so
// peers notice only through dead peer detection. It waits for the exit.
func (c *Charon) Kill() {
	if c == nil || c.cmd == nil || c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

// Running says whether the daemon has not exited.
func (c *Charon) Running() bool {
	if c == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// LoadConfig writes a swanctl.conf text into the instance directory and
// loads it (connections and secrets), replacing what was loaded before.
func (c *Charon) LoadConfig(ctx context.Context, swanctlConf string) error {
	path := filepath.Join(c.Dir, "swanctl.conf")
	if err := os.WriteFile(path, []byte(swanctlConf), 0o600); err != nil {
		return err
	}
	return c.LoadFile(ctx, path)
}

// LoadFile loads a swanctl.conf file with `swanctl --load-all`, the same
// tool a real gateway's strongswan.service runs after start.
func (c *Charon) LoadFile(ctx context.Context, path string) error {
	out, err := run(ctx, "swanctl", "--load-all", "--noprompt", "--file", path, "--uri", "unix://"+c.Socket)
	if err != nil {
		return fmt.Errorf("loading %s into charon in %s: %w (%s)", path, c.NS, err, out)
	}
	return nil
}

// Algorithms names the negotiated suites the way strongSwan prints them
// (e.g. IKE "AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384").
type Algorithms struct {
	IKE string
	ESP string
}

// SAStatus is the state of one IKE SA and its CHILD_SAs as charon reports it.
type SAStatus struct {
	// State is the IKE_SA state (ESTABLISHED, CONNECTING, ...); "" = no SA.
	State string
	// ChildState is the best CHILD_SA state (INSTALLED, ...); "" = none.
	ChildState string
	// InBytes and OutBytes sum the CHILD_SAs' counters: what Azure reports
	// as ingressBytesTransferred / egressBytesTransferred.
	InBytes, OutBytes int64
	Algorithms        Algorithms
}

// Up reports whether traffic can flow: IKE established and a CHILD_SA installed.
func (s SAStatus) Up() bool { return s.State == "ESTABLISHED" && s.ChildState == "INSTALLED" }

// AzureConnectionStatus maps the SA onto Azure's connectionStatus values
// (Connected, Connecting, NotConnected), which is what the emulator returns.
func (s SAStatus) AzureConnectionStatus() string {
	switch {
	case s.Up():
		return "Connected"
	case s.State == "CONNECTING" || s.State == "ESTABLISHED" || s.State == "REKEYING":
		return "Connecting"
	default:
		return "NotConnected"
	}
}

type childSA struct {
	State    string `vici:"state"`
	EncrAlg  string `vici:"encr-alg"`
	EncrKey  string `vici:"encr-keysize"`
	IntegAlg string `vici:"integ-alg"`
	DHGroup  string `vici:"dh-group"`
	BytesIn  string `vici:"bytes-in"`
	BytesOut string `vici:"bytes-out"`
}

type ikeSA struct {
	State    string             `vici:"state"`
	EncrAlg  string             `vici:"encr-alg"`
	EncrKey  string             `vici:"encr-keysize"`
	IntegAlg string             `vici:"integ-alg"`
	PRFAlg   string             `vici:"prf-alg"`
	DHGroup  string             `vici:"dh-group"`
	Children map[string]childSA `vici:"child-sas"`
}

// Status asks charon (list-sas over vici) for the IKE SA of connection ike
// ("" = any). With several SAs (e.g. during a rekey) the most advanced wins.
func (c *Charon) Status(ctx context.Context, ike string) (SAStatus, error) {
	s, err := vici.NewSession(vici.WithSocketPath(c.Socket))
	if err != nil {
		return SAStatus{}, fmt.Errorf("connecting to charon in %s at %s: %w", c.NS, c.Socket, err)
	}
	defer s.Close()
	// No "noblock": with it, charon skips IKE_SAs that are busy at that
	// instant (a packet or DPD being processed), so a healthy tunnel could
	// read as down under load. Waiting for a busy SA takes milliseconds.
	in := vici.NewMessage()
	if ike != "" {
		_ = in.Set("ike", ike)
	}
	var best SAStatus
	for m, err := range s.CallStreaming(ctx, "list-sas", "list-sa", in) {
		if err != nil {
			return SAStatus{}, fmt.Errorf("list-sas on charon in %s: %w", c.NS, err)
		}
		for _, name := range m.Keys() {
			sm, ok := m.Get(name).(*vici.Message)
			if !ok {
				continue
			}
			var sa ikeSA
			if err := vici.UnmarshalMessage(sm, &sa); err != nil {
				return SAStatus{}, fmt.Errorf("decoding list-sas entry %q from charon in %s: %w", name, c.NS, err)
			}
			if st := summarize(sa); rank(st) > rank(best) {
				best = st
			}
		}
	}
	return best, nil
}

// summarize turns one list-sas entry into an SAStatus.
func summarize(sa ikeSA) SAStatus {
	st := SAStatus{State: sa.State, Algorithms: Algorithms{IKE: suite(sa.EncrAlg, sa.EncrKey, sa.IntegAlg, sa.PRFAlg, sa.DHGroup)}}
	for _, ch := range sa.Children {
		in, _ := strconv.ParseInt(ch.BytesIn, 10, 64)
		out, _ := strconv.ParseInt(ch.BytesOut, 10, 64)
		st.InBytes += in
		st.OutBytes += out
		if st.ChildState != "INSTALLED" {
			st.ChildState = ch.State
			st.Algorithms.ESP = suite(ch.EncrAlg, ch.EncrKey, ch.IntegAlg, "", ch.DHGroup)
		}
	}
	return st
}

// suite joins algorithm names like strongSwan's own output does.
func suite(encr, keysize, integ, prf, dh string) string {
	if encr != "" && keysize != "" {
		encr += "_" + keysize
	}
	var parts []string
	for _, p := range []string{encr, integ, prf, dh} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// rank orders statuses so Status reports the most useful SA.
func rank(s SAStatus) int {
	switch {
	case s.Up():
		return 3
	case s.State == "ESTABLISHED":
		return 2
	case s.State != "":
		return 1
	}
	return 0
}

// shellQuote quotes s for sh -c.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
