package lab

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"strings"
	"testing"
)

func gzB64(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func TestParseUserData(t *testing.T) {
	for _, tc := range []struct {
		name     string
		userData string
		want     []File
		wantErr  string
	}{
		{"plain and permissions", "#cloud-config\nwrite_files:\n- path: /etc/a\n  content: hello\n  permissions: '0600'\n- path: /etc/b\n  content: x\n",
			[]File{{"/etc/a", []byte("hello"), 0o600}, {"/etc/b", []byte("x"), 0o644}}, ""},
		{"unquoted octal permissions", "#cloud-config\nwrite_files:\n- path: /etc/a\n  content: hi\n  permissions: 0640\n",
			[]File{{"/etc/a", []byte("hi"), 0o640}}, ""},
		{"b64", "#cloud-config\nwrite_files:\n- path: /etc/a\n  encoding: b64\n  content: " + base64.StdEncoding.EncodeToString([]byte("secret\n")) + "\n",
			[]File{{"/etc/a", []byte("secret\n"), 0o644}}, ""},
		{"gz+b64", "#cloud-config\nwrite_files:\n- path: /etc/a\n  encoding: gz+b64\n  content: " + gzB64("zipped") + "\n",
			[]File{{"/etc/a", []byte("zipped"), 0o644}}, ""},
		{"append", "#cloud-config\nwrite_files:\n- path: /etc/a\n  content: one\n- path: /etc/a\n  content: two\n  append: true\n",
			[]File{{"/etc/a", []byte("onetwo"), 0o644}}, ""},
		{"later replaces", "#cloud-config\nwrite_files:\n- path: /etc/a\n  content: one\n- path: /etc/a\n  content: two\n",
			[]File{{"/etc/a", []byte("two"), 0o644}}, ""},
		{"no write_files", "#cloud-config\nruncmd: [reboot]\n", nil, ""},
		{"shell script", "#!/bin/sh\necho hi\n", nil, "#cloud-config"},
		{"relative path", "#cloud-config\nwrite_files:\n- path: etc/a\n  content: x\n", nil, "write_files[0].path"},
		{"bad base64", "#cloud-config\nwrite_files:\n- path: /etc/a\n  encoding: b64\n  content: '***'\n", nil, "base64"},
		{"unknown encoding", "#cloud-config\nwrite_files:\n- path: /etc/a\n  encoding: rot13\n  content: x\n", nil, "rot13"},
		{"bad permissions", "#cloud-config\nwrite_files:\n- path: /etc/a\n  content: x\n  permissions: rwx\n", nil, "permissions"},
		{"bad yaml", "#cloud-config\nwrite_files: [\n", nil, "YAML"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUserData(tc.userData)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d files %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				if got[i].Path != tc.want[i].Path || !bytes.Equal(got[i].Content, tc.want[i].Content) || got[i].Permissions != tc.want[i].Permissions {
					t.Errorf("file %d = {%s %q %o}, want {%s %q %o}", i, got[i].Path, got[i].Content, got[i].Permissions,
						tc.want[i].Path, tc.want[i].Content, tc.want[i].Permissions)
				}
			}
		})
	}
}

func TestNamespacedSysctl(t *testing.T) {
	for key, want := range map[string]bool{
		"net.ipv4.ip_forward": true, "net.ipv6.conf.all.forwarding": true, "net.ipv4.conf.all.rp_filter": true,
		"kernel.panic": false, "vm.swappiness": false, "net.core.rmem_max": false, "fs.file-max": false,
	} {
		if got := NamespacedSysctl(key); got != want {
			t.Errorf("NamespacedSysctl(%q) = %v, want %v", key, got, want)
		}
	}
	if err := Sysctl(t.Context(), "nowhere", "kernel.panic", "1"); err == nil || !strings.Contains(err.Error(), "host") {
		t.Errorf("Sysctl must refuse host-wide keys before running anything, got %v", err)
	}
}

func TestCharonConf(t *testing.T) {
	conf := CharonConf{ViciSocket: "/tmp/x/charon.vici", LogFile: "/tmp/x/charon.log"}.String()
	// Later settings win in strongswan.conf, so the order is the contract:
	// system plugin defaults first, then the lab's must-haves.
	order := []string{"include /etc/strongswan.d/charon/*.conf", "kernel-libipsec {\n      load = yes", "socket = unix:///tmp/x/charon.vici", "path = /tmp/x/charon.log"}
	last := -1
	for _, s := range order {
		i := strings.Index(conf, s)
		if i < 0 || i < last {
			t.Fatalf("%q missing or out of order in:\n%s", s, conf)
		}
		last = i
	}
	if o := (CharonConf{ViciSocket: "/s"}).String(); !strings.Contains(o, "socket = unix:///s") || strings.Contains(o, "filelog") {
		t.Errorf("CharonConf without a log = %s", o)
	}
}
