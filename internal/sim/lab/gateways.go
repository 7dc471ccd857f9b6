package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
)

// startCharon starts (or restarts) the daemon of one namespace.
func (l *Lab) startCharon(ctx context.Context, ns, dir string, conf CharonConf) (*Charon, error) {
	l.mu.Lock()
	old := l.charons[ns]
	delete(l.charons, ns)
	l.mu.Unlock()
	old.Stop()
	c, err := StartCharon(ctx, ns, filepath.Join(dir, "charon"), conf)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.charons[ns] = c
	l.mu.Unlock()
	return c, nil
}

// SetAzureConnection adds or replaces one connection on the Azure gateway
// (starting its charon on first use) and reloads all of them, since swanctl
// --load-all unloads what the file does not list. On an active-active
// gateway the second instance gets the same connection on its own address.
func (l *Lab) SetAzureConnection(ctx context.Context, conn AzureConnection) error {
	text, err := AzureConfig(conn)
	if err != nil {
		return err
	}
	second := ""
	if ip := l.secondIP(); ip.IsValid() {
		c2 := conn
		c2.LocalAddr = ip
		if second, err = AzureConfig(c2); err != nil {
			return err
		}
	}
	l.mu.Lock()
	l.azureConf[conn.Name] = text
	l.azureConns[conn.Name] = conn
	if second != "" {
		l.azureConf2[conn.Name] = second
	}
	l.mu.Unlock()
	return l.reloadAzure(ctx)
}

// DeleteAzureConnection removes a connection from the Azure gateway; its
// SA is torn down as swanctl unloads the config.
func (l *Lab) DeleteAzureConnection(ctx context.Context, name string) error {
	l.mu.Lock()
	_, ok := l.azureConf[name]
	delete(l.azureConf, name)
	delete(l.azureConf2, name)
	delete(l.azureConns, name)
	l.mu.Unlock()
	if !ok {
		return nil
	}
	if err := l.reloadAzure(ctx); err != nil {
		return err
	}
	for _, c := range l.azureCharons() {
		if c == nil {
			continue
		}
		_, err := run(ctx, "swanctl", "--terminate", "--ike", SwanctlName(name), "--force", "--uri", "unix://"+c.Socket)
		if err != nil && !strings.Contains(err.Error(), "no matching SAs") {
			return err
		}
	}
	return nil
}

func (l *Lab) azureCharon() *Charon {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.charons[l.azureGW]
}

// azureCharons are the Azure instances' daemons, first instance first; an
// active-standby gateway has one, and a daemon not started yet is nil.
func (l *Lab) azureCharons() []*Charon {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []*Charon{l.charons[l.azureGW]}
	if l.azureGW2 != "" {
		out = append(out, l.charons[l.azureGW2])
	}
	return out
}

// AzureInstance is the charon of instance i (0 or 1) of the Azure gateway,
// nil before its first connection or when there is no such instance. Tests
// stop or kill it to take one instance of an active-active gateway away.
func (l *Lab) AzureInstance(i int) *Charon {
	cs := l.azureCharons()
	if i < 0 || i >= len(cs) {
		return nil
	}
	return cs[i]
}

func (l *Lab) secondIP() netip.Addr {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.azureIP2
}

func (l *Lab) reloadAzure(ctx context.Context) error {
	instances := []struct {
		ns, what string
		conf     map[string]string
	}{{l.azureGW, "azure gateway", l.azureConf}}
	if l.azureGW2 != "" {
		instances = append(instances, struct {
			ns, what string
			conf     map[string]string
		}{l.azureGW2, "azure gateway's second instance", l.azureConf2})
	}
	for _, in := range instances {
		l.mu.Lock()
		c := l.charons[in.ns]
		l.mu.Unlock()
		// A daemon that exited (a test stopped an instance) starts again
		// with the next change, as Azure brings an instance back.
		if !c.Running() {
			var err error
			if c, err = l.startCharon(ctx, in.ns, l.instanceDir(in.ns), CharonConf{}); err != nil {
				return fmt.Errorf("%s: %w", in.what, err)
			}
		}
		l.mu.Lock()
		names := make([]string, 0, len(in.conf))
		for n := range in.conf {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		for _, n := range names {
			b.WriteString(in.conf[n])
		}
		l.mu.Unlock()
		if err := c.LoadConfig(ctx, b.String()); err != nil {
			return fmt.Errorf("%s: %w", in.what, err)
		}
	}
	if l.azureGW2 == "" {
		return nil
	}
	peers := map[string]bool{}
	l.mu.Lock()
	for _, conn := range l.azureConns {
		for _, p := range conn.RemotePrefixes {
			peers[p.Masked().String()] = true
		}
	}
	l.mu.Unlock()
	return l.fabricRoutes(ctx, peers)
}

// AzureStatus reports the IKE state of one Azure connection as the Azure
// gateway's charons see it; use AzureConnectionStatus on the result for
// Azure's connectionStatus, InBytes/OutBytes for ingress/egress bytes. On
// an active-active gateway it is the best instance's state (a connection
// with one tunnel up carries traffic) with both instances' bytes.
func (l *Lab) AzureStatus(ctx context.Context, connectionName string) (SAStatus, error) {
	tunnels, err := l.AzureTunnels(ctx, connectionName)
	var best SAStatus
	var in, out int64
	for _, st := range tunnels {
		if rank(st) > rank(best) {
			best = st
		}
		in, out = in+st.InBytes, out+st.OutBytes
	}
	best.InBytes, best.OutBytes = in, out
	return best, err
}

// AzureTunnels reports one connection's state per Azure gateway instance,
// first instance first (one entry for an active-active gateway's each
// instance, Azure's tunnelConnectionStatus). An instance whose charon is
// not running reports the zero SAStatus (NotConnected).
func (l *Lab) AzureTunnels(ctx context.Context, connectionName string) ([]SAStatus, error) {
	var out []SAStatus
	var errs []error
	for _, c := range l.azureCharons() {
		if c == nil || !c.Running() {
			out = append(out, SAStatus{})
			continue
		}
		st, err := c.Status(ctx, SwanctlName(connectionName))
		if err == nil {
			st.InBytes, st.OutBytes, err = azureBytes(ctx, c, connectionName)
		}
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, st)
	}
	return out, errors.Join(errs...)
}
