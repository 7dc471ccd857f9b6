package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// How the lab follows a machine's boot from outside: the container's
// systemd is found among nspawn's descendants, cloud-init's result is read
// through the container's root, systemd is asked for failed units.

// poll updates the status of the current boot from inside the container.
func (m *Machine) poll(nspawnPid int, lastUnits *time.Time) {
	m.mu.Lock()
	leader, ci := m.leader, m.st.CloudInit
	m.mu.Unlock()
	if leader == 0 {
		if leader = findDescendant(nspawnPid, "systemd"); leader == 0 {
			return
		}
		m.mu.Lock()
		m.leader, m.st.State = leader, StateRunning
		m.mu.Unlock()
	}
	if ci == "" || ci == "running" {
		s, ok := m.cloudInitResult(leader)
		if !ok {
			if _, err := os.Stat(m.inside(leader, "/run/cloud-init")); err == nil && ci == "" {
				m.mu.Lock()
				m.st.CloudInit = "running"
				m.mu.Unlock()
			}
			return
		}
		// Publish the result together with the failed units, so nobody
		// reads "done" without them.
		units, _ := m.failedUnits(context.Background())
		m.mu.Lock()
		m.st.CloudInit, m.st.Took, m.st.FailedUnits = s, time.Since(m.st.Since), units
		m.mu.Unlock()
		*lastUnits = time.Now()
		return
	}
	if time.Since(*lastUnits) < 5*time.Second {
		return
	}
	*lastUnits = time.Now()
	if units, err := m.failedUnits(context.Background()); err == nil {
		m.mu.Lock()
		m.st.FailedUnits = units
		m.mu.Unlock()
	}
}

// inside is path p inside the container as the host reaches it (through
// the leader's root, so the container's own /run tmpfs is visible).
func (m *Machine) inside(leader int, p string) string {
	return fmt.Sprintf("/proc/%d/root%s", leader, p)
}

// cloudInitResult reads /run/cloud-init/result.json, which cloud-init writes
// when its last stage of this boot has finished (/run is per boot).
func (m *Machine) cloudInitResult(leader int) (string, bool) {
	b, err := os.ReadFile(m.inside(leader, "/run/cloud-init/result.json"))
	if err != nil {
		return "", false
	}
	var res struct {
		V1 struct {
			Errors []string `json:"errors"`
		} `json:"v1"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return "", false // being written
	}
	if len(res.V1.Errors) == 0 {
		return "done", true
	}
	msg := "error: " + strings.Join(res.V1.Errors, "; ")
	if apt := aptErrors(filepath.Join(m.root, "var/log/cloud-init-output.log")); apt != "" {
		msg += " (" + apt + ")"
	}
	return msg, true
}

// aptErrors picks apt's and dpkg's "E:" lines out of cloud-init's output
// log: they say which package failed and why, where cloud-init only says
// that a module failed.
func aptErrors(path string) string {
	b, _ := os.ReadFile(path)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "E: ") && len(lines) < 3 {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return strings.Join(lines, "; ")
}

func (m *Machine) failedUnits(ctx context.Context) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := m.Exec(ctx, "systemctl", "--failed", "--plain", "--no-legend", "--no-pager")
	if err != nil {
		return nil, err
	}
	units := []string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			units = append(units, f[0])
		}
	}
	return units, nil
}

// findDescendant returns the first descendant of pid whose command is comm
// (breadth first), scanning /proc since this kernel has no
// /proc/PID/task/TID/children.
func findDescendant(pid int, comm string) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	children := map[int][]int{}
	names := map[int]string{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], p)
		names[p] = s[open+1 : close]
	}
	queue := children[pid]
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if names[p] == comm {
			return p
		}
		queue = append(queue, children[p]...)
	}
	return 0
}
