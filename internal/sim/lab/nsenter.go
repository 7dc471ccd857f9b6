package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// InNetNS runs f on an OS thread switched into network namespace ns, then
// switches the thread back. Sockets f creates stay in ns for their whole
// life, whichever thread later uses them: that is how the lab's Debian
// mirror listens inside the lab's "internet" and how tests dial and capture
// inside probe namespaces, without a helper process per socket.
//
// Go never starts new threads from a locked thread (since Go 1.10), so no
// other goroutine ends up in ns. If the switch back fails, the thread stays
// locked and Go discards it when the goroutine ends.
func InNetNS(ns string, f func() error) error {
	target, err := os.Open(filepath.Join("/run/netns", ns))
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", ns, err)
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer self.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("entering network namespace %s: %w", ns, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it dies with this goroutine.
			errc <- fmt.Errorf("leaving network namespace %s: %w (after: %v)", ns, err, ferr)
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
