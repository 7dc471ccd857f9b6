package lab

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Checks of a booted gateway machine, shared by the lab tests. Each looks
// at the real thing: systemd's and cloud-init's own answers, the kernel's
// sysctl, nftables' ruleset, and packets captured at the far end.

// waitBoot waits until boot number n of m has finished cloud-init and
// returns its status.
func waitBoot(t *testing.T, m *Machine, n int, limit time.Duration) BootStatus {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st := m.Status()
		if st.Boots == n && st.CloudInit != "" && st.CloudInit != "running" {
			return st
		}
		if st.Boots > n || (st.State == StateOff && st.Boots == n) {
			t.Fatalf("machine %s: boot %d ended before cloud-init finished: %+v\nconsole:\n%s", m.NS, n, st, tailFile(m.ConsoleLog(), 2000))
		}
		if time.Now().After(deadline) {
			t.Fatalf("machine %s: boot %d did not finish cloud-init within %s: %+v", m.NS, n, limit, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkUnits asserts that the gateway's two units are active and enabled,
// as systemctl inside the machine sees them.
func checkUnits(t *testing.T, ctx context.Context, m *Machine) {
	t.Helper()
	for _, unit := range []string{"strongswan.service", "crosscloud-mss.service"} {
		for _, q := range []struct{ verb, want string }{{"is-active", "active"}, {"is-enabled", "enabled"}} {
			out, _ := m.Exec(ctx, "systemctl", q.verb, unit)
			if got := strings.TrimSpace(out); got != q.want {
				t.Errorf("systemctl %s %s = %q, want %q", q.verb, unit, got, q.want)
			}
		}
	}
}

// checkMSSTable asserts the clamp is loaded in the machine's nftables.
func checkMSSTable(t *testing.T, ctx context.Context, m *Machine, mss int) {
	t.Helper()
	out, err := m.Exec(ctx, "nft", "list", "table", "inet", "crosscloud_mss")
	if err != nil {
		t.Errorf("the MSS table is not loaded: %v", err)
		return
	}
	if !strings.Contains(out, fmt.Sprintf("maxseg size set %d", mss)) {
		t.Errorf("crosscloud_mss does not clamp to %d:\n%s", mss, out)
	}
}

// forwarding reads net.ipv4.ip_forward of namespace ns from the kernel.
func forwarding(t *testing.T, ctx context.Context, ns string) string {
	t.Helper()
	out, err := InNS(ctx, ns, "cat", "/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

func TestParseSYN(t *testing.T) {
	ip := []byte{0x45, 0, 0, 44, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 1, 2, 10, 1, 1, 4}
	tcp := []byte{0x9c, 0x40, 0x13, 0x89, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xfa, 0xf0, 0, 0, 0, 0,
		2, 4, 0x05, 0x46} // MSS 1350
	if mss, ok := parseSYN(append(append([]byte{}, ip...), tcp...), 5001); !ok || mss != 1350 {
		t.Errorf("parseSYN = %d, %v; want 1350", mss, ok)
	}
	synack := append([]byte{}, tcp...)
	synack[13] = 0x12
	if _, ok := parseSYN(append(append([]byte{}, ip...), synack...), 5001); ok {
		t.Errorf("a SYN-ACK is not the SYN")
	}
	if _, ok := parseSYN(append(append([]byte{}, ip...), tcp...), 5002); ok {
		t.Errorf("another port's SYN must not match")
	}
}

var errTimeout = errors.New("timed out")

// eventuallyErr polls f until it returns nil or limit passes.
func eventuallyErr(limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s: %v", errTimeout, limit, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
