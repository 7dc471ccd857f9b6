package lab

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// startModeTunnel builds the origin topology, starts the Hetzner gateway's
// strongSwan from the fixture's swanctl file (initiating, as the provider's
// gateway does, or passive: it only responds) and then loads the Azure
// connection in the given connection mode. The Hetzner side is a plain
// charon: who initiates does not depend on how the server booted.
func startModeTunnel(t *testing.T, ctx context.Context, prefix, mode string, hetznerInitiates bool) (*Lab, *Charon) {
	t.Helper()
	l := buildOrigin(t, ctx, prefix)
	files, err := ParseUserData(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var conf string
	ns, _ := l.ServerNS("gw")
	for _, f := range files {
		switch {
		case strings.HasPrefix(f.Path, "/etc/swanctl/conf.d/"):
			conf = string(f.Content)
		case strings.HasPrefix(f.Path, "/etc/sysctl.d/"): // forwarding, as the booted server sets it
			for _, line := range strings.Split(string(f.Content), "\n") {
				key, value, ok := strings.Cut(line, "=")
				if key = strings.TrimSpace(key); ok && NamespacedSysctl(key) {
					if err := Sysctl(ctx, ns, key, strings.TrimSpace(value)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	if !hetznerInitiates {
		conf = strings.NewReplacer("start_action = start", "start_action = none", "close_action = start", "close_action = none",
			"dpd_action = restart", "dpd_action = clear").Replace(conf)
	}
	hz, err := l.startCharon(ctx, ns, l.instanceDir(ns), CharonConf{})
	if err != nil {
		t.Fatal(err)
	}
	if err := hz.LoadConfig(ctx, conf); err != nil {
		t.Fatal(err)
	}
	conn := azureConn(gcmPolicy)
	conn.ConnectionMode = mode
	if err := l.SetAzureConnection(ctx, conn); err != nil {
		t.Fatalf("SetAzureConnection: %v", err)
	}
	return l, hz
}

// upChildren waits until the Azure side has an installed CHILD_SA and
// returns the installed ones (nil if none came within limit).
func upChildren(ctx context.Context, t *testing.T, l *Lab, limit time.Duration) []AzureChild {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		children, err := l.AzureChildren(ctx, "hel1-weu")
		if err != nil {
			t.Fatalf("AzureChildren: %v", err)
		}
		children = slices.DeleteFunc(children, func(c AzureChild) bool { return c.State != "INSTALLED" })
		if len(children) > 0 || time.Now().After(deadline) {
			return children
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Who initiates, per connection mode, and what the tunnel carries then. In
// Default mode Azure initiates with 0.0.0.0/0 selectors; a strict peer (the
// provider's gateway: local_ts/remote_ts of the two networks) narrows them,
// and the SA carries the two networks on both sides. In ResponderOnly mode
// Azure never initiates: the tunnel exists only if the peer initiates, and
// then with the peer's selectors. With both initiating, a tunnel forms.
func TestLabWhoInitiates(t *testing.T) {
	requireLab(t)
	vnet, hetzner := []string{"10.1.0.0/16"}, []string{"10.0.0.0/12"}
	for _, tc := range []struct {
		name, mode        string
		hetznerInitiates  bool
		wantChild         string // "" = no tunnel
		wantUpWithinLimit time.Duration
	}{
		{"default mode, azure initiates any-to-any, the peer narrows", "Default", false, "hel1-weu-init", 15 * time.Second},
		{"responder only, nobody initiates", "ResponderOnly", false, "", 6 * time.Second},
		{"responder only, the peer initiates", "ResponderOnly", true, "hel1-weu", 15 * time.Second},
		{"default mode, both initiate", "Default", true, "*", 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			l, hz := startModeTunnel(t, ctx, testPrefix("i"), tc.mode, tc.hetznerInitiates)
			children := upChildren(ctx, t, l, tc.wantUpWithinLimit)
			if tc.wantChild == "" {
				if len(children) != 0 {
					t.Fatalf("a tunnel formed although nobody should initiate: %+v", children)
				}
				if st, _ := hz.Status(ctx, "azure"); st.State != "" {
					t.Errorf("the passive Hetzner side has an IKE SA: %+v", st)
				}
				return
			}
			if len(children) == 0 {
				t.Fatalf("no tunnel within %s", tc.wantUpWithinLimit)
			}
			for _, c := range children {
				if tc.wantChild != "*" && c.Name != tc.wantChild {
					t.Errorf("CHILD_SA from config %s, want %s (who initiated)", c.Name, tc.wantChild)
				}
				if !slices.Equal(c.LocalTS, vnet) || !slices.Equal(c.RemoteTS, hetzner) {
					t.Errorf("CHILD_SA %s carries %v === %v, want the narrowed %v === %v", c.Name, c.LocalTS, c.RemoteTS, vnet, hetzner)
				}
			}
			worker, _ := l.ServerNS("worker")
			if out, err := InNS(ctx, worker, "ping", "-c", "2", "-W", "2", azProbe.String()); err != nil {
				t.Fatalf("ping through the tunnel: %v\n%s", err, out)
			}
		})
	}
}
