package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// EnvKeys are the variables the env file exports, in file order: everything
// the provider (and hcloud/az tooling) needs to talk to the emulator, so
// that `. FILE && terraform apply` works.
var EnvKeys = []string{
	"HCLOUD_TOKEN",
	"HCLOUD_ENDPOINT",
	"HCLOUD_POLL_INTERVAL",
	"ARM_SUBSCRIPTION_ID",
	"ARM_TENANT_ID",
	"ARM_ACCESS_TOKEN",
	"ARM_RESOURCE_MANAGER_ENDPOINT",
	"ARM_POLL_INTERVAL",
	"CROSSCLOUD_SIM_URL",
}

// Env returns the provider settings for this emulator, keyed by EnvKeys;
// valid after Start. Both clouds accept the same token.
func (s *Sim) Env() map[string]string {
	return map[string]string{
		"HCLOUD_TOKEN":                  s.env.Token,
		"HCLOUD_ENDPOINT":               s.url + HCloudPrefix,
		"HCLOUD_POLL_INTERVAL":          pollInterval(s.opts.TimeScale).String(),
		"ARM_SUBSCRIPTION_ID":           s.opts.SubscriptionID,
		"ARM_TENANT_ID":                 s.opts.TenantID,
		"ARM_ACCESS_TOKEN":              s.env.Token,
		"ARM_RESOURCE_MANAGER_ENDPOINT": s.url + AzurePrefix,
		"ARM_POLL_INTERVAL":             scaledPoll(10*time.Second, s.opts.TimeScale).String(),
		"CROSSCLOUD_SIM_URL":            s.url,
	}
}

// pollInterval is how often the provider should poll Hetzner actions: the
// provider's real-world 1s scaled like every other duration, but at least
// 10ms so a tiny time scale does not turn polling into a busy loop (and
// into Hetzner's rate limit, which the emulator does not scale).
func pollInterval(scale float64) time.Duration { return scaledPoll(time.Second, scale) }

// scaledPoll scales a real-world poll interval like every other duration,
// between 10ms and the real value. ARM's 10s default governs waits that get
// no Retry-After (a connection coming up).
func scaledPoll(d time.Duration, scale float64) time.Duration {
	return min(max(time.Duration(float64(d)*scale), 10*time.Millisecond), d)
}

// writeEnvFile writes `export KEY='value'` lines for env in EnvKeys order.
// The file holds the token, so it is 0600, and it is replaced atomically so
// a script waiting for it never reads half a file.
func writeEnvFile(path string, env map[string]string) error {
	var b strings.Builder
	b.WriteString("# crosscloud-sim provider settings; load them with: . FILE\n")
	for _, k := range EnvKeys {
		fmt.Fprintf(&b, "export %s=%s\n", k, shellQuote(env[k]))
	}
	if err := writeFileAtomic(path, []byte(b.String())); err != nil {
		return fmt.Errorf("-env-file: %w", err)
	}
	return nil
}

// shellQuote quotes s for POSIX sh: inside single quotes nothing is special,
// and a single quote itself becomes quote, backslash-quote, quote.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ReadEnvFile parses an env file the way `. FILE` in sh reads it, for the
// programs that start the emulator (internal/harness): it is the inverse of
// writeEnvFile and shellQuote, kept next to them so the format has one
// owner. Lines that are not exports are skipped; a malformed export is an
// error: the file is written atomically, so it is never half-written.
func ReadEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for s := string(b); s != ""; {
		rest, ok := strings.CutPrefix(s, "export ")
		if !ok { // a comment, a blank line or anything else sh would not export
			_, s, _ = strings.Cut(s, "\n")
			continue
		}
		k, rest, ok2 := strings.Cut(rest, "=")
		if !ok2 {
			return nil, fmt.Errorf("%s: not an export line: %.40q", path, s)
		}
		var v string
		if v, s, err = shellUnquote(rest); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		if s, ok = strings.CutPrefix(s, "\n"); !ok && s != "" {
			return nil, fmt.Errorf("%s: %s: text after the closing quote", path, k)
		}
		env[k] = v
	}
	return env, nil
}

// shellUnquote reads one shellQuote'd word off the front of s: quoted runs
// joined by \' (a literal quote), as sh reads them.
func shellUnquote(s string) (value, rest string, err error) {
	var b strings.Builder
	for {
		if !strings.HasPrefix(s, "'") {
			return "", "", errors.New("value is not single-quoted")
		}
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "", errors.New("unterminated quote")
		}
		b.WriteString(s[1 : 1+end])
		s = s[2+end:]
		var esc bool
		if s, esc = strings.CutPrefix(s, `\'`); !esc {
			return b.String(), s, nil
		}
		b.WriteByte('\'')
	}
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file in the same directory and a rename, so readers see either the old
// or the new content, never a mix.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	// CreateTemp makes the file 0600 already; Chmod keeps that true even
	// under an unusual umask or filesystem.
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
