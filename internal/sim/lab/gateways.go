package lab

import (
	"context"
	"fmt"
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
// --load-all unloads what the file does not list.
func (l *Lab) SetAzureConnection(ctx context.Context, conn AzureConnection) error {
	text, err := AzureConfig(conn)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.azureConf[conn.Name] = text
	l.mu.Unlock()
	return l.reloadAzure(ctx)
}

// DeleteAzureConnection removes a connection from the Azure gateway; its
// SA is torn down as swanctl unloads the config.
func (l *Lab) DeleteAzureConnection(ctx context.Context, name string) error {
	l.mu.Lock()
	_, ok := l.azureConf[name]
	delete(l.azureConf, name)
	l.mu.Unlock()
	if !ok {
		return nil
	}
	if err := l.reloadAzure(ctx); err != nil {
		return err
	}
	c := l.azureCharon()
	if c == nil {
		return nil
	}
	_, err := run(ctx, "swanctl", "--terminate", "--ike", SwanctlName(name), "--force", "--uri", "unix://"+c.Socket)
	if err != nil && !strings.Contains(err.Error(), "no matching SAs") {
		return err
	}
	return nil
}

func (l *Lab) azureCharon() *Charon {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.charons[l.azureGW]
}

func (l *Lab) reloadAzure(ctx context.Context) error {
	c := l.azureCharon()
	if c == nil {
		var err error
		if c, err = l.startCharon(ctx, l.azureGW, l.instanceDir(l.azureGW), CharonConf{}); err != nil {
			return fmt.Errorf("azure gateway: %w", err)
		}
	}
	l.mu.Lock()
	names := make([]string, 0, len(l.azureConf))
	for n := range l.azureConf {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(l.azureConf[n])
	}
	l.mu.Unlock()
	if err := c.LoadConfig(ctx, b.String()); err != nil {
		return fmt.Errorf("azure gateway: %w", err)
	}
	return nil
}

// AzureStatus reports the IKE state of one Azure connection as the Azure
// gateway's charon sees it; use AzureConnectionStatus on the result for
// Azure's connectionStatus, InBytes/OutBytes for ingress/egress bytes.
func (l *Lab) AzureStatus(ctx context.Context, connectionName string) (SAStatus, error) {
	c := l.azureCharon()
	if c == nil {
		return SAStatus{}, nil
	}
	st, err := c.Status(ctx, SwanctlName(connectionName))
	if err != nil {
		return st, err
	}
	st.InBytes, st.OutBytes, err = l.azureBytes(ctx, connectionName)
	return st, err
}
