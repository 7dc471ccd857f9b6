package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/labsync"
)

// TestBinaryEndToEnd builds the real crosscloud-sim, starts it on a free
// port, reads its env file the way a user's shell does, calls both APIs
// with and without the token, and stops it with SIGTERM.
func TestBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "crosscloud-sim")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	envFile := filepath.Join(dir, "sim.env")
	stateFile := filepath.Join(dir, "state.json")
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-env-file", envFile, "-state-file", stateFile, "-time-scale", "0.001")
	// A file, not a buffer: it is read while the process still writes.
	logFile, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stderr = logFile
	logs := func() string { b, _ := os.ReadFile(logFile.Name()); return string(b) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the start-up line: %v; stderr:\n%s", err, logs())
	}
	url := strings.TrimPrefix(strings.TrimSpace(line), "crosscloud-sim listening on ")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("start-up line %q does not name the URL", line)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	env := sourceEnv(t, envFile)
	if env["CROSSCLOUD_SIM_URL"] != url || env["HCLOUD_ENDPOINT"] != url+"/hcloud/v1" || env["ARM_RESOURCE_MANAGER_ENDPOINT"] != url+"/azure" {
		t.Errorf("env file endpoints %v do not match the printed URL %s", env, url)
	}
	if env["ARM_SUBSCRIPTION_ID"] == "" || env["ARM_TENANT_ID"] == "" {
		t.Errorf("env file lacks Azure IDs: %v", env)
	}
	if strings.Contains(logs(), env["HCLOUD_TOKEN"]) {
		t.Error("the token appears in the log")
	}

	subs := env["ARM_RESOURCE_MANAGER_ENDPOINT"] + "/subscriptions/" + env["ARM_SUBSCRIPTION_ID"] + "/resourcegroups?api-version=2021-04-01"
	tests := []struct {
		name, url, token string
		want             int
	}{
		{"hcloud with token", env["HCLOUD_ENDPOINT"] + "/locations", env["HCLOUD_TOKEN"], 200},
		{"hcloud without token", env["HCLOUD_ENDPOINT"] + "/locations", "", 401},
		{"hcloud with wrong token", env["HCLOUD_ENDPOINT"] + "/locations", "nope", 401},
		{"azure with token", subs, env["ARM_ACCESS_TOKEN"], 200},
		{"azure without token", subs, "", 401},
		{"sim state without token", url + "/_sim/state", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(t, tt.url, tt.token); got != tt.want {
				t.Errorf("GET %s = %d, want %d", tt.url, got, tt.want)
			}
		})
	}

	var stats struct {
		RequestsByCloud map[string]int64 `json:"requests_by_cloud"`
	}
	resp, err := http.Get(url + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil || stats.RequestsByCloud["hcloud"] != 3 || stats.RequestsByCloud["azure"] != 2 {
		t.Errorf("stats = %+v (%v), want hcloud 3 and azure 2 requests", stats, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, logs())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit within 20s of SIGTERM")
	}
	for _, f := range []string{envFile, stateFile} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("after shutdown: %v (the env file stays, the state file is written)", err)
		}
	}
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// sourceEnv runs `. file && env` in sh and returns the exported variables:
// exactly what `. FILE && terraform apply` hands to terraform.
func sourceEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	cmd := exec.Command("sh", "-c", `. "$1" && env -0`, "sh", file)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sourcing %s: %v", file, err)
	}
	m := map[string]string{}
	for kv := range strings.SplitSeq(string(out), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad faults", []string{"-faults", "error_rate=x"}, "error_rate"},
		{"bad time scale", []string{"-time-scale", "-2"}, "time scale -2"},
		{"stray argument", []string{"serve"}, `unexpected argument "serve"`},
		{"zero gateway duration", []string{"-gateway-duration", "0s"}, "-gateway-duration 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, tt.args...), &stdout, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and a message containing %q", code, stderr.String(), tt.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q although it never listened", stdout.String())
			}
		})
	}
}

// TestLabFlag starts the emulator with -lab: on a machine that can run the
// lab it must serve, refuse a second emulator on the same prefix (exit 1,
// naming -lab-prefix) instead of sweeping the first one's lab, shut down on
// cancel with exit 0 and leave no namespace behind; elsewhere it must refuse
// with exit 1 and say what is missing. It uses a prefix of its own, so a
// `make demo` running next to the tests keeps its lab.
func TestLabFlag(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	prefix := fmt.Sprintf("cst%d-", os.Getpid()%100000)
	t.Cleanup(func() { os.Remove(filepath.Join(os.TempDir(), prefix+"lab.lock")) })
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-lab", "-lab-prefix", prefix}, pw, stderr)
		pw.Close()
	}()
	if err := labsync.Preflight(); err != nil {
		if code := <-done; code != 1 || !strings.Contains(stderr.String(), "cannot run on this machine") {
			t.Fatalf("exit %d, stderr %q; want 1 and the missing prerequisites", code, stderr.String())
		}
		return
	}
	sc := bufio.NewScanner(pr)
	if !sc.Scan() || !strings.Contains(sc.Text(), "listening on") {
		t.Fatalf("no listening line; stderr %q", stderr.String())
	}
	go io.Copy(io.Discard, pr)
	second := &syncBuffer{}
	if code := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-lab", "-lab-prefix", prefix}, io.Discard, second); code != 1 ||
		!strings.Contains(second.String(), "in use") || !strings.Contains(second.String(), "-lab-prefix") {
		t.Errorf("a second -lab on prefix %s: exit %d, stderr %q; want 1, naming the owner and -lab-prefix", prefix, code, second.String())
	}
	if code := run(context.Background(), []string{"-lab", "-lab-prefix", "Bad_"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("an invalid -lab-prefix: exit %d, want 2", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after cancel, stderr %q", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the lab emulator did not shut down within 30s of cancel")
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), prefix) {
		t.Fatalf("namespaces left behind:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the emulator goroutine to write
// while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
