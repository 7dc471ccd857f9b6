package harness

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssWatch follows the provider processes terraform starts during one
// command. Terraform launches the provider several times per command
// (validate, plan, apply), each for a short while, so the watcher samples
// /proc often and keeps the highest VmHWM ("peak resident set size", which
// the kernel maintains itself) of every matching process it saw. A process
// is matched by its process group (terraform's, which the provider inherits)
// and by its executable name, so concurrent runs do not mix.
type rssWatch struct {
	pgid int
	name string
	quit chan struct{}
	done chan struct{}

	mu   sync.Mutex
	peak int64
}

// rssPollInterval is short because VmHWM is lost with the process: only
// growth in the last interval before a provider exits can be missed.
const rssPollInterval = 20 * time.Millisecond

func watchRSS(pgid int, name string) *rssWatch {
	w := &rssWatch{pgid: pgid, name: name, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(rssPollInterval)
		defer t.Stop()
		for {
			w.sample()
			select {
			case <-w.quit:
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) stop() int64 {
	close(w.quit)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

func (w *rssWatch) sample() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		if pgidOf(pid) != w.pgid {
			continue
		}
		exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || !strings.HasPrefix(filepath.Base(exe), w.name) {
			continue
		}
		if hwm := vmHWM(pid); hwm > 0 {
			w.mu.Lock()
			w.peak = max(w.peak, hwm)
			w.mu.Unlock()
		}
	}
}

// pgidOf reads the process group from /proc/PID/stat (field 5; the command
// name in field 2 may contain spaces, so fields are counted after its ')').
func pgidOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 3 {
		return -1
	}
	n, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return n
}

// vmHWM is the process's peak resident set size in bytes.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb * 1024
				}
			}
		}
	}
	return 0
}
