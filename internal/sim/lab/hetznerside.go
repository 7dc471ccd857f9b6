package lab

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is one entry of cloud-init's write_files, decoded: what the Hetzner
// gateway's first boot would leave on disk.
type File struct {
	Path        string
	Content     []byte
	Permissions os.FileMode
}

// writeFile mirrors cloud-init's write_files schema (cc_write_files).
type writeFile struct {
	Path        string    `yaml:"path"`
	Content     string    `yaml:"content"`
	Encoding    string    `yaml:"encoding"`
	Permissions yaml.Node `yaml:"permissions"`
	Append      bool      `yaml:"append"`
}

// ParseUserData extracts write_files from a #cloud-config user_data, the
// only part of it the lab uses: it writes the files for the gateway
// namespace but never runs runcmd/bootcmd on the host. Later entries for the
// same path replace earlier ones unless they set append.
func ParseUserData(userData string) ([]File, error) {
	first, _, _ := strings.Cut(userData, "\n")
	if strings.TrimSpace(first) != "#cloud-config" {
		return nil, errors.New("user_data: the lab understands only #cloud-config documents (first line \"#cloud-config\"); scripts and MIME multipart are not run")
	}
	var doc struct {
		WriteFiles []writeFile `yaml:"write_files"`
	}
	if err := yaml.Unmarshal([]byte(userData), &doc); err != nil {
		return nil, fmt.Errorf("user_data: not valid YAML: %w", err)
	}
	var files []File
	index := map[string]int{}
	for i, wf := range doc.WriteFiles {
		if !strings.HasPrefix(wf.Path, "/") {
			return nil, fmt.Errorf("user_data: write_files[%d].path %q must be an absolute path", i, wf.Path)
		}
		content, err := decodeContent(wf.Content, wf.Encoding)
		if err != nil {
			return nil, fmt.Errorf("user_data: write_files[%d] (%s): %w", i, wf.Path, err)
		}
		perm := os.FileMode(0o644)
		if v := strings.TrimPrefix(wf.Permissions.Value, "0o"); v != "" {
			p, err := strconv.ParseUint(v, 8, 32)
			if err != nil {
				return nil, fmt.Errorf("user_data: write_files[%d].permissions %q is not an octal mode like '0600'", i, wf.Permissions.Value)
			}
			perm = os.FileMode(p)
		}
		if j, ok := index[wf.Path]; ok {
			if wf.Append {
				files[j].Content = append(files[j].Content, content...)
			} else {
				files[j].Content = content
			}
			files[j].Permissions = perm
			continue
		}
		index[wf.Path] = len(files)
		files = append(files, File{Path: wf.Path, Content: content, Permissions: perm})
	}
	return files, nil
}

// decodeContent applies cloud-init's encodings (b64, gzip and both).
func decodeContent(content, encoding string) ([]byte, error) {
	enc := strings.ToLower(strings.TrimSpace(encoding))
	data := []byte(content)
	switch enc {
	case "", "text/plain":
		return data, nil
	case "b64", "base64", "gz+b64", "gz+base64", "gzip+b64", "gzip+base64":
		d, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(content), ""))
		if err != nil {
			return nil, fmt.Errorf("encoding %q: content is not valid base64: %w", encoding, err)
		}
		data = d
		if !strings.HasPrefix(enc, "gz") {
			return data, nil
		}
	case "gz", "gzip":
	default:
		return nil, fmt.Errorf("encoding %q is not one cloud-init knows (use b64, gzip or gz+b64)", encoding)
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("encoding %q: content is not gzip: %w", encoding, err)
	}
	return io.ReadAll(zr)
}

// CharonConf is the per-instance strongswan.conf the lab gives every charon.
// It keeps the system's plugin defaults, adds the gateway's own strongswan.d
// files, and then forces what the lab needs: kernel-libipsec (the test
// kernel has no in-kernel ESP) and a private vici socket.
type CharonConf struct {
	// ViciSocket is the absolute path of the unix socket.
	ViciSocket string
	// LogFile, when set, gets an IKE log (charon-systemd otherwise logs to the
	// journal, which a namespace may not have).
	LogFile string
	// Includes are top-level strongswan.conf fragments (/etc/strongswan.d/*.conf).
	Includes []string
	// PluginIncludes are plugin fragments (/etc/strongswan.d/charon/*.conf).
	PluginIncludes []string
}

// String renders the strongswan.conf.
func (c CharonConf) String() string {
	var b strings.Builder
	b.WriteString("# written by crosscloud-sim -lab\ncharon {\n  load_modular = yes\n  plugins {\n    include /etc/strongswan.d/charon/*.conf\n")
	for _, inc := range c.PluginIncludes {
		fmt.Fprintf(&b, "    include %s\n", inc)
	}
	b.WriteString("  }\n}\n")
	for _, inc := range c.Includes {
		fmt.Fprintf(&b, "include %s\n", inc)
	}
	fmt.Fprintf(&b, "charon {\n  plugins {\n    kernel-libipsec {\n      load = yes\n    }\n    vici {\n      socket = unix://%s\n    }\n  }\n", c.ViciSocket)
	if c.LogFile != "" {
		fmt.Fprintf(&b, "  filelog {\n    lab {\n      path = %s\n      time_format = %%T\n      flush_line = yes\n      default = 1\n      ike = 2\n    }\n  }\n", c.LogFile)
	}
	b.WriteString("}\n")
	return b.String()
}

// StrongswanOverride is the strongswan.conf that turns a plain charon into a
// lab gateway: system plugin defaults plus kernel-libipsec and viciSocket.
func StrongswanOverride(viciSocket string) string {
	return CharonConf{ViciSocket: viciSocket}.String()
}

// SysctlSetting is one line of a sysctl.d file.
type SysctlSetting struct {
	Key, Value string
	// IgnoreFailure is set by a leading "-", as systemd-sysctl does.
	IgnoreFailure bool
}

// GatewayFiles says where a gateway's cloud-init files landed and how the
// namespace's charon should use them.
type GatewayFiles struct {
	// Root is the directory standing in for the server's "/".
	Root string
	// SwanctlConf is a swanctl.conf that includes every swanctl file the
	// cloud-init wrote; load it with Charon.LoadFile.
	SwanctlConf string
	// Charon holds the strongswan.d fragments to pass to StartCharon.
	Charon CharonConf
	// Sysctls are the settings of /etc/sysctl.conf and /etc/sysctl.d/*.conf,
	// in the order systemd-sysctl applies them.
	Sysctls []SysctlSetting
}

// WriteGatewayFiles writes files under root (root/etc/... for /etc/...)
// and works out what charon must load: any /etc/swanctl/swanctl.conf and
// /etc/swanctl/conf.d/*.conf (via a generated wrapper), strongswan.d
// fragments, and sysctl settings.
func WriteGatewayFiles(root string, files []File) (GatewayFiles, error) {
	g := GatewayFiles{Root: root}
	var swanctl, sysctlFiles []string
	for _, f := range files {
		clean := filepath.Clean("/" + f.Path)
		dst := filepath.Join(root, clean)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return g, err
		}
		if err := os.WriteFile(dst, f.Content, f.Permissions.Perm()); err != nil {
			return g, fmt.Errorf("writing %s for the gateway namespace: %w", f.Path, err)
		}
		switch dir, base := filepath.Dir(clean), filepath.Base(clean); {
		case clean == "/etc/swanctl/swanctl.conf" || (dir == "/etc/swanctl/conf.d" && strings.HasSuffix(base, ".conf")):
			swanctl = append(swanctl, dst)
		case dir == "/etc/strongswan.d/charon" && strings.HasSuffix(base, ".conf"):
			g.Charon.PluginIncludes = append(g.Charon.PluginIncludes, dst)
		case dir == "/etc/strongswan.d" && strings.HasSuffix(base, ".conf"):
			g.Charon.Includes = append(g.Charon.Includes, dst)
		case clean == "/etc/sysctl.conf" || (dir == "/etc/sysctl.d" && strings.HasSuffix(base, ".conf")):
			sysctlFiles = append(sysctlFiles, clean)
		}
	}
	if len(swanctl) == 0 {
		return g, errors.New("user_data writes no swanctl configuration (/etc/swanctl/swanctl.conf or /etc/swanctl/conf.d/*.conf), so the gateway's strongSwan would have nothing to load")
	}
	sort.Strings(swanctl)
	sort.Strings(g.Charon.PluginIncludes)
	sort.Strings(g.Charon.Includes)
	var b strings.Builder
	b.WriteString("# written by crosscloud-sim -lab: the gateway's swanctl files\n")
	for _, s := range swanctl {
		fmt.Fprintf(&b, "include %s\n", s)
	}
	g.SwanctlConf = filepath.Join(root, "lab-swanctl.conf")
	if err := os.WriteFile(g.SwanctlConf, []byte(b.String()), 0o600); err != nil {
		return g, err
	}
	// systemd-sysctl order: sysctl.d files by name, then /etc/sysctl.conf.
	sort.Slice(sysctlFiles, func(i, j int) bool {
		if (sysctlFiles[i] == "/etc/sysctl.conf") != (sysctlFiles[j] == "/etc/sysctl.conf") {
			return sysctlFiles[j] == "/etc/sysctl.conf"
		}
		return filepath.Base(sysctlFiles[i]) < filepath.Base(sysctlFiles[j])
	})
	for _, f := range sysctlFiles {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return g, err
		}
		settings, err := ParseSysctl(string(data))
		if err != nil {
			return g, fmt.Errorf("%s: %w", f, err)
		}
		g.Sysctls = append(g.Sysctls, settings...)
	}
	return g, nil
}

// ParseSysctl reads sysctl.d(5) syntax: "key = value", '#' and ';'
// comments, '/' as separator, '-' to ignore failures.
func ParseSysctl(text string) ([]SysctlSetting, error) {
	var out []SysctlSetting
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d %q: expected \"key = value\"", n+1, line)
		}
		s := SysctlSetting{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)}
		if strings.HasPrefix(s.Key, "-") {
			s.IgnoreFailure, s.Key = true, strings.TrimPrefix(s.Key, "-")
		}
		s.Key = strings.ReplaceAll(s.Key, "/", ".")
		out = append(out, s)
	}
	return out, nil
}

// ApplySysctls sets the per-namespace settings inside ns and returns the
// keys it skipped because they are host-wide (kernel.*, vm.*, ...): a lab
// must never change the host.
func ApplySysctls(ctx context.Context, ns string, settings []SysctlSetting) (skipped []string, err error) {
	var errs []error
	for _, s := range settings {
		if !NamespacedSysctl(s.Key) {
			skipped = append(skipped, s.Key)
			continue
		}
		if err := Sysctl(ctx, ns, s.Key, s.Value); err != nil && !s.IgnoreFailure {
			errs = append(errs, err)
		}
	}
	return skipped, errors.Join(errs...)
}
