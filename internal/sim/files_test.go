package sim

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// sourceEnv runs `. file` in a real POSIX shell and returns the named
// variables as the shell sees them: what `. FILE && terraform apply` gets.
func sourceEnv(t *testing.T, file string, keys []string) map[string]string {
	t.Helper()
	script := `. "$1" || exit 1; shift; for k in "$@"; do eval "printf '%s\0' \"\$$k\""; done`
	out, err := exec.Command("sh", append([]string{"-c", script, "sh", file}, keys...)...).Output()
	if err != nil {
		t.Fatalf("sourcing %s: %v", file, err)
	}
	vals := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(vals) != len(keys) {
		t.Fatalf("sourcing %s gave %d values for %d keys", file, len(vals), len(keys))
	}
	m := map[string]string{}
	for i, k := range keys {
		m[k] = vals[i]
	}
	return m
}

func TestEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sim.env")
	o := testOptions()
	o.EnvFile = path
	s := startFake(t, o)

	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("env file not written once listening: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode = %v, want 0600 (it holds the token)", fi.Mode().Perm())
	}
	got := sourceEnv(t, path, EnvKeys)
	parsed, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"HCLOUD_TOKEN":                  s.env.Token,
		"HCLOUD_ENDPOINT":               s.URL() + "/hcloud/v1",
		"HCLOUD_POLL_INTERVAL":          "1s",
		"ARM_SUBSCRIPTION_ID":           o.SubscriptionID,
		"ARM_TENANT_ID":                 o.TenantID,
		"ARM_ACCESS_TOKEN":              s.env.Token,
		"ARM_RESOURCE_MANAGER_ENDPOINT": s.URL() + "/azure",
		"ARM_POLL_INTERVAL":             "10s",
		"CROSSCLOUD_SIM_URL":            s.URL(),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
		if parsed[k] != v {
			t.Errorf("ReadEnvFile: %s = %q, want %q", k, parsed[k], v)
		}
		if s.Env()[k] != v {
			t.Errorf("Env()[%s] = %q, want %q", k, s.Env()[k], v)
		}
	}
	if len(s.env.Token) != 64 {
		t.Errorf("token has %d hex digits, want 64 (32 random bytes)", len(s.env.Token))
	}
	// Another process gets another token.
	if other := startFake(t, testOptions()); other.env.Token == s.env.Token {
		t.Error("two emulators share a token")
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left behind: %v", matches)
	}
}

func TestPollIntervalFollowsTimeScale(t *testing.T) {
	tests := []struct {
		scale float64
		want  time.Duration
	}{
		{1, time.Second},
		{10, time.Second}, // slower clouds: polling stays at the provider default
		{0.1, 100 * time.Millisecond},
		{0.001, 10 * time.Millisecond}, // floor: no busy polling
	}
	for _, tt := range tests {
		if got := pollInterval(tt.scale); got != tt.want {
			t.Errorf("pollInterval(%v) = %v, want %v", tt.scale, got, tt.want)
		}
	}
}

func TestShellQuoteSurvivesSh(t *testing.T) {
	values := []string{"", "plain", "with space", "it's", `a"b`, "$HOME", "`id`", `back\slash`, "new\nline", "''"}
	path := filepath.Join(t.TempDir(), "q.env")
	var b strings.Builder
	var keys []string
	for i, v := range values {
		k := "V" + string(rune('A'+i))
		keys = append(keys, k)
		b.WriteString("export " + k + "=" + shellQuote(v) + "\n")
	}
	if err := writeFileAtomic(path, []byte(b.String())); err != nil {
		t.Fatal(err)
	}
	got := sourceEnv(t, path, keys)
	parsed, err := ReadEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		if got[keys[i]] != v {
			t.Errorf("shellQuote(%q) read back by sh as %q", v, got[keys[i]])
		}
		if parsed[keys[i]] != v {
			t.Errorf("shellQuote(%q) read back by ReadEnvFile as %q", v, parsed[keys[i]])
		}
	}
}

// ReadEnvFile refuses what writeEnvFile never writes, rather than guessing.
func TestReadEnvFileRejectsOtherShapes(t *testing.T) {
	for _, content := range []string{
		"export HCLOUD_TOKEN=x\n",  // unquoted
		"export HCLOUD_TOKEN='x\n", // unterminated
		"export HCLOUD_TOKEN='x' y\n",
	} {
		path := filepath.Join(t.TempDir(), "bad.env")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if env, err := ReadEnvFile(path); err == nil {
			t.Errorf("ReadEnvFile(%q) = %v, want an error", content, env)
		}
	}
}

func TestStateFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	o := testOptions()
	o.StateFile = path
	o.PersistDelay = 5 * time.Millisecond
	s := startFake(t, o)
	do(t, s, "POST", "/hcloud/v1/things?name=net", true)
	do(t, s, "POST", "/azure/things?name=vnet", true)

	// Written shortly after the mutation, without waiting for shutdown.
	deadline := time.Now().Add(5 * time.Second)
	for !fileContains(path, "vnet") {
		if time.Now().After(deadline) {
			t.Fatal("state file not written within 5s of a mutation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	do(t, s, "POST", "/hcloud/v1/things?name=late", true)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !fileContains(path, "late") {
		t.Error("Close did not persist the last change")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}

	restored := startFake(t, o)
	var got []string
	for _, r := range restored.Resources() {
		got = append(got, r.Cloud+":"+r.Name)
	}
	if want := "azure:vnet hcloud:late hcloud:net"; strings.Join(got, " ") != want {
		t.Errorf("restored resources = %v, want %q", got, want)
	}
}

func fileContains(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.Contains(b, []byte(s))
}

func TestStateFileLoadErrors(t *testing.T) {
	tests := []struct {
		name, content string
		badHCloud     bool
		want          string
	}{
		{"not JSON", "hello", false, "not a crosscloud-sim state file"},
		{"cloud refuses its part", `{"hcloud":["a"]}`, true, "hcloud: unsupported state version"},
		{"cloud part of wrong type", `{"azure":{"x":1}}`, false, "azure: json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			o := testOptions()
			o.StateFile = path
			hc := func(env *simenv.Env) Cloud {
				c := makeFake("hcloud", env)
				c.badState = tt.badHCloud
				return c
			}
			s, err := New(o, hc, newFake("azure"))
			if err != nil {
				t.Fatal(err)
			}
			err = s.Start(context.Background())
			_ = s.Close()
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start error = %v, want one naming %s and containing %q", err, path, tt.want)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Errorf("a state file that failed to load was overwritten with %q", b)
			}
		})
	}
}

func TestMissingStateFileStartsEmpty(t *testing.T) {
	o := testOptions()
	o.StateFile = filepath.Join(t.TempDir(), "new.json")
	s := startFake(t, o)
	if n := len(s.Resources()); n != 0 {
		t.Errorf("fresh emulator has %d resources", n)
	}
}

// ReadEnvFile skips comments and lines that are not exports, and undoes
// the shell quoting of a value with a quote in it.
func TestReadEnvFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sim.env")
	content := "# comment\nexport HCLOUD_TOKEN='abc'\nexport ODD='it'\\''s'\nnot an export\n"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env, err := ReadEnvFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if env["HCLOUD_TOKEN"] != "abc" || env["ODD"] != "it's" || len(env) != 2 {
		t.Errorf("env = %v", env)
	}
}
