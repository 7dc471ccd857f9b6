package labsync

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// owner is the lock that makes one emulator the owner of a lab prefix. Start
// sweeps everything named with its prefix, so without it a second
// `crosscloud-sim -lab` (a second `make demo`, or a test next to a demo)
// would tear down the first one's lab. The lock is an flock on a file in
// the temp directory: the kernel drops it when the owner exits or crashes,
// so a crashed lab never blocks the next start.
type owner struct{ f *os.File }

// ownerPath is outside Sweep's "<prefix>lab-*" pattern, so a sweep never
// removes a live owner's lock.
func ownerPath(prefix string) string { return filepath.Join(os.TempDir(), prefix+"lab.lock") }

// claim takes the prefix or says who holds it and what to do.
func claim(prefix string) (*owner, error) {
	f, err := os.OpenFile(ownerPath(prefix), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lab prefix %q: %w", prefix, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		b, _ := os.ReadFile(f.Name())
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			who := "another process"
			if pid := strings.TrimSpace(string(b)); pid != "" {
				who = "process " + pid
			}
			return nil, fmt.Errorf("lab prefix %q is in use by %s (another crosscloud-sim -lab): stop it, or give this one its own prefix with -lab-prefix", prefix, who)
		}
		return nil, fmt.Errorf("lab prefix %q: locking %s: %w", prefix, f.Name(), err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &owner{f: f}, nil
}

// release gives the prefix up; the file stays (removing it would race with
// a new owner that opened it already).
func (o *owner) release() {
	if o != nil && o.f != nil {
		_ = unix.Flock(int(o.f.Fd()), unix.LOCK_UN)
		_ = o.f.Close()
	}
}
