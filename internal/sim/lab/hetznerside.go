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

// ParseUserData extracts write_files from a #cloud-config user_data. The
// lab uses it only to recognise a gateway (a server whose first boot writes
// a swanctl configuration); the gateway's cloud-init itself runs for real
// inside its machine. Later entries for the same path replace earlier ones
// unless they set append.
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

// CharonConf is the per-instance strongswan.conf of a charon the lab runs
// itself (the Azure gateway): the system's plugin defaults, then what the
// lab needs: kernel-libipsec (the test kernel has no in-kernel ESP) and a
// private vici socket. The Hetzner gateway's charon runs inside its machine
// from its own configuration instead.
type CharonConf struct {
	// ViciSocket is the absolute path of the unix socket.
	ViciSocket string
	// LogFile, when set, gets an IKE log (charon-systemd otherwise logs to the
	// journal, which a namespace may not have).
	LogFile string
}

// String renders the strongswan.conf.
func (c CharonConf) String() string {
	var b strings.Builder
	b.WriteString("# written by crosscloud-sim -lab\ncharon {\n  load_modular = yes\n  plugins {\n    include /etc/strongswan.d/charon/*.conf\n  }\n}\n")
	fmt.Fprintf(&b, "charon {\n  plugins {\n    kernel-libipsec {\n      load = yes\n    }\n    vici {\n      socket = unix://%s\n    }\n  }\n", c.ViciSocket)
	if c.LogFile != "" {
		fmt.Fprintf(&b, "  filelog {\n    lab {\n      path = %s\n      time_format = %%T\n      flush_line = yes\n      default = 1\n      ike = 2\n    }\n  }\n", c.LogFile)
	}
	b.WriteString("}\n")
	return b.String()
}

// BootGateway makes Hetzner server name a real machine: img under an
// overlay, booted by systemd-nspawn in the server's namespace, with seed as
// its NoCloud data (the server's user_data exactly as the API stores it).
// It returns once the machine is booting; Machine.Status follows the boot
// and Hosts reports it.
func (l *Lab) BootGateway(ctx context.Context, name string, img Image, seed Seed) (*Machine, error) {
	ns, ok := l.ServerNS(name)
	if !ok {
		return nil, fmt.Errorf("hetzner server %q is not in the lab; add it before booting it", name)
	}
	l.mu.Lock()
	old := l.machines[ns]
	l.mu.Unlock()
	if old != nil {
		return old, old.Boot()
	}
	m, err := NewMachine(ns, filepath.Join(l.instanceDir(ns), "machine"), img, seed)
	if err != nil {
		return nil, fmt.Errorf("hetzner server %q: %w", name, err)
	}
	if err := m.Boot(); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("hetzner server %q: %w", name, err)
	}
	l.mu.Lock()
	l.machines[ns] = m
	l.mu.Unlock()
	return m, nil
}

// Gateway returns the machine of Hetzner server name, if it was booted.
func (l *Lab) Gateway(name string) (*Machine, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.machines[l.servers[name]]
	return m, ok
}
