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

	"golang.org/x/sys/unix"
)

// A Machine is one Hetzner gateway server booted for real: the gateway
// image under an overlay, systemd as its init (systemd-nspawn) inside the
// server's network namespace, and cloud-init running the server's user_data
// from a NoCloud seed. Whatever the first boot does (packages, files,
// sysctls, units, runcmd) happens inside the container and survives reboots
// in the overlay's upper layer, as on a server's disk.

// Seed is what the NoCloud datasource hands cloud-init.
type Seed struct {
	// InstanceID is the server's ID; cloud-init runs its once-per-instance
	// modules (packages, write_files, runcmd) only on the first boot with it.
	InstanceID string
	Hostname   string
	UserData   string
}

// Boot states (Machine.Status().State).
const (
	StateBooting = "booting" // nspawn started, systemd not up yet
	StateRunning = "running"
	StateOff     = "off" // powered off (or nspawn failed)
)

// BootStatus is what the lab reports about a machine's current boot.
type BootStatus struct {
	State string
	// CloudInit is "" before systemd runs, then "running", "done", or
	// "error: ..." with cloud-init's own errors.
	CloudInit string
	// FailedUnits are systemd's failed units (systemctl --failed).
	FailedUnits []string
	// Boots counts boots; a reboot adds one.
	Boots int
	// Since is when the current boot started; Took how long cloud-init
	// needed (zero while running).
	Since time.Time
	Took  time.Duration
	// Err says why the machine is off when it did not power off itself.
	Err string
}

// Machine is a running (or stopped) gateway container.
type Machine struct {
	NS   string
	dir  string // upper, work, root, console log
	root string

	mu     sync.Mutex
	st     BootStatus
	cmd    *exec.Cmd
	leader int
	done   chan struct{} // closed when the current nspawn exits
	stop   bool          // set by PowerOff/Close: do not boot again
	quit   chan struct{} // closed by Close: stop the monitor
}

// NewMachine prepares the machine's disk: an overlay of img in dir, with
// the NoCloud seed written into it. It does not boot.
func NewMachine(ns, dir string, img Image, seed Seed) (*Machine, error) {
	m := &Machine{NS: ns, dir: dir, root: filepath.Join(dir, "root"), quit: make(chan struct{}), st: BootStatus{State: StateOff}}
	for _, d := range []string{"upper", "work", "root"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", img.Dir, filepath.Join(dir, "upper"), filepath.Join(dir, "work"))
	if err := unix.Mount("overlay", m.root, "overlay", 0, opts); err != nil {
		return nil, fmt.Errorf("mounting the gateway's disk (overlay of %s): %w", img.Dir, err)
	}
	seedDir := filepath.Join(m.root, "var/lib/cloud/seed/nocloud")
	meta := fmt.Sprintf("instance-id: %q\nlocal-hostname: %q\n", seed.InstanceID, seed.Hostname)
	err := errors.Join(os.MkdirAll(seedDir, 0o755),
		os.WriteFile(filepath.Join(seedDir, "meta-data"), []byte(meta), 0o600),
		os.WriteFile(filepath.Join(seedDir, "user-data"), []byte(seed.UserData), 0o600))
	if err != nil {
		m.unmount()
		return nil, fmt.Errorf("writing the NoCloud seed: %w", err)
	}
	return m, nil
}

// Root is the machine's "/" as the host sees it (the mounted overlay).
func (m *Machine) Root() string { return m.root }

// ConsoleLog is where the container's console output goes.
func (m *Machine) ConsoleLog() string { return filepath.Join(m.dir, "console.log") }

// Boot powers the machine on. It returns once nspawn has started; Status
// follows the boot. Booting a running machine is a no-op.
func (m *Machine) Boot() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return nil
	}
	m.stop = false
	return m.startLocked()
}

// nspawnArgs boots the root under its own systemd in the server's
// namespace. Each flag is needed on this machine kind (facts in
// docs/facts/strongswan-and-lab.md): the host is not run by systemd
// (--register=no --keep-unit), charon-systemd needs netlink
// (CAP_NET_ADMIN; CAP_NET_RAW for ping), the namespace is already
// configured (no resolv.conf or timezone copying), and --console=pipe
// needs no pseudo-terminal.
func (m *Machine) nspawnArgs() []string {
	return []string{"-D", m.root, "--machine=" + machineName(m.NS), "--register=no", "--keep-unit",
		"--network-namespace-path=/run/netns/" + m.NS, "--resolv-conf=off", "--timezone=off", "--link-journal=no",
		"--capability=CAP_NET_ADMIN,CAP_NET_RAW", "--console=pipe", "--boot"}
}

// machineName is a valid machine (host) name for ns.
func machineName(ns string) string {
	s := strings.Trim(nsUnsafe.ReplaceAllString(strings.ToLower(ns), "-"), "-")
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

func (m *Machine) startLocked() error {
	console, err := os.OpenFile(m.ConsoleLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command("systemd-nspawn", m.nspawnArgs()...)
	// /proc/sys/net is read-only in the container without this, so the
	// gateway's sysctls (ip_forward) could not apply.
	cmd.Env = append(os.Environ(), "SYSTEMD_NSPAWN_API_VFS_WRITABLE=network")
	cmd.Stdout, cmd.Stderr = console, console
	// Its own process group: a Ctrl-C meant for the emulator must not halt
	// the container behind the lab's back.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		console.Close()
		return fmt.Errorf("starting systemd-nspawn: %w", err)
	}
	done := make(chan struct{})
	m.cmd, m.done, m.leader = cmd, done, 0
	m.st = BootStatus{State: StateBooting, Boots: m.st.Boots + 1, Since: time.Now()}
	go m.watch(cmd, console, done)
	return nil
}

// nspawnReboot is nspawn's exit status when the container rebooted
// (systemd-nspawn@.service restarts on it: RestartForceExitStatus=133).
const nspawnReboot = 133

// watch follows one nspawn run: it finds the container's systemd, tracks
// cloud-init and failed units, and on exit boots again after a reboot.
func (m *Machine) watch(cmd *exec.Cmd, console *os.File, done chan struct{}) {
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var err error
	lastUnits := time.Time{}
loop:
	for {
		select {
		case err = <-exited:
			break loop
		case <-tick.C:
			m.poll(cmd.Process.Pid, &lastUnits)
		}
	}
	console.Close()
	close(done)
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err == nil {
		code = 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cmd, m.leader = nil, 0
	if code == nspawnReboot && !m.stop {
		if err := m.startLocked(); err == nil {
			return
		} else {
			m.st.Err = err.Error()
		}
	}
	m.st.State = StateOff
	if code != 0 && code != nspawnReboot && !m.stop && m.st.Err == "" {
		m.st.Err = fmt.Sprintf("systemd-nspawn exited (%v): %s", err, tailFile(m.ConsoleLog(), 400))
	}
}

// Status returns a copy of the current boot's status.
func (m *Machine) Status() BootStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.st
	st.FailedUnits = append([]string(nil), m.st.FailedUnits...)
	return st
}

// Leader is the container's init (its PID 1) as the host numbers it, or 0.
func (m *Machine) Leader() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.leader
}

// ViciSocket is the path of the gateway's own charon vici socket, reached
// through the container's root; "" while the machine is not running.
func (m *Machine) ViciSocket() string {
	if l := m.Leader(); l != 0 {
		return m.inside(l, "/run/charon.vici")
	}
	return ""
}

// Exec runs a command inside the container (all its namespaces) and returns
// its combined output.
func (m *Machine) Exec(ctx context.Context, name string, args ...string) (string, error) {
	leader := m.Leader()
	if leader == 0 {
		return "", fmt.Errorf("gateway %s is not running", m.NS)
	}
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(leader), "-a", "--", name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in gateway %s: %s %s: %w: %s", m.NS, name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// Reboot reboots the machine from inside, as `reboot` on the server does;
// it comes back with the same disk and cloud-init sees the same instance.
// It returns once the old boot has ended.
func (m *Machine) Reboot(ctx context.Context) error {
	m.mu.Lock()
	done := m.done
	m.mu.Unlock()
	if _, err := m.Exec(ctx, "systemctl", "reboot"); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PowerOff halts the container (nspawn turns SIGTERM into an orderly
// shutdown), killing it if it has not stopped within limit.
func (m *Machine) PowerOff(limit time.Duration) {
	m.mu.Lock()
	m.stop = true
	cmd, done := m.cmd, m.done
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(limit):
		// Kill the whole container: nspawn's child would outlive nspawn.
		if l := m.Leader(); l != 0 {
			_ = syscall.Kill(l, syscall.SIGKILL)
		}
		_ = cmd.Process.Kill()
		<-done
	}
}

// Close powers the machine off and unmounts its disk.
func (m *Machine) Close() error {
	if m == nil {
		return nil
	}
	m.PowerOff(20 * time.Second)
	return m.unmount()
}

func (m *Machine) unmount() error {
	return unmountUnder(m.root)
}
