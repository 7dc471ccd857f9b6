package labplane

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// hostedConn is a connection loaded on the lab's Azure gateway.
type hostedConn struct {
	id   string
	text string
}

// reconcile makes the lab match the clouds. It runs only on the loop
// goroutine; each step's failure is recorded and retried on the next pass.
func (p *Plane) reconcile(ctx context.Context) {
	d := p.observe()
	errs := append([]string(nil), d.problems...)
	l := p.Lab()
	if d.site == nil {
		if l != nil {
			p.teardown(ctx, l, "the Azure VPN gateway or the Hetzner network is gone")
		}
		p.publish(errs)
		return
	}
	if l == nil || d.site.key != p.built {
		if l != nil {
			p.teardown(ctx, l, "the network layout changed (subnets, address space or gateway)")
		}
		topo := d.site.topo
		topo.Prefix = p.prefix
		var err error
		if l, err = lab.Build(ctx, topo); err != nil {
			p.publish(append(errs, fmt.Sprintf("building the lab: %v", err)))
			return
		}
		p.built = d.site.key
		p.mu.Lock()
		p.lab = l
		p.mu.Unlock()
		p.log.Info("lab built", "hetzner_network", topo.Hetzner.NetworkRange, "hetzner_subnets", topo.Hetzner.Subnets,
			"azure_gateway", topo.Azure.GatewayPublicIP, "azure_subnets", topo.Azure.Subnets)
	}
	errs = append(errs, p.syncServers(ctx, l, d)...)
	if err := l.ApplyRoutes(ctx, d.routes); err != nil {
		errs = append(errs, err.Error())
	}
	errs = append(errs, p.syncConnections(ctx, l, d)...)
	p.publish(errs)
}

// syncServers removes namespaces of servers that are gone or changed, adds
// the new ones, and boots (or, when its charon died, restarts) each gateway.
func (p *Plane) syncServers(ctx context.Context, l *lab.Lab, d desired) []string {
	var errs []string
	for _, name := range sortedKeys(p.servers) {
		have := p.servers[name]
		want, ok := d.servers[name]
		if ok && sameServer(have, want) {
			continue
		}
		if err := l.RemoveServer(ctx, name); err != nil {
			errs = append(errs, fmt.Sprintf("removing server %s from the lab: %v", name, err))
		}
		delete(p.servers, name)
		p.log.Info("server left the lab", "server", name)
	}
	for _, name := range sortedKeys(d.servers) {
		want := d.servers[name]
		have, ok := p.servers[name]
		if !ok {
			if _, err := l.AddServer(ctx, want.server); err != nil {
				_ = l.RemoveServer(ctx, name)
				errs = append(errs, fmt.Sprintf("adding server %s to the lab: %v", name, err))
				continue
			}
			p.log.Info("server joined the lab", "server", name, "public_ip", want.server.PublicIP, "private_ip", want.server.PrivateIP, "gateway", want.isGateway)
			have = want
		}
		if want.isGateway && !alive(ctx, have.charon) {
			restart := have.charon != nil
			c, skipped, err := l.StartHetznerGateway(ctx, name, want.userData)
			if err != nil {
				errs = append(errs, fmt.Sprintf("starting strongSwan on gateway server %s: %v", name, err))
			} else if restart {
				p.log.Warn("gateway's charon had died; restarted it as systemd's Restart=on-abnormal would", "server", name)
			} else {
				p.log.Info("gateway's strongSwan started from its cloud-init files", "server", name, "host_sysctls_skipped", skipped)
			}
			have.charon = c
		}
		p.servers[name] = have
	}
	return errs
}

// syncConnections reloads the Azure gateway with every connection that is
// new or changed and unloads the ones that are gone. A changed connection
// is dropped first, as Azure drops the tunnel when a policy is updated.
func (p *Plane) syncConnections(ctx context.Context, l *lab.Lab, d desired) []string {
	var errs []string
	for _, name := range sortedKeys(p.hosted) {
		want, ok := d.conns[name]
		if ok && want.text == p.hosted[name].text {
			continue
		}
		if err := l.DeleteAzureConnection(ctx, name); err != nil {
			errs = append(errs, fmt.Sprintf("unloading connection %s from the Azure gateway: %v", name, err))
			continue
		}
		p.setHosted(name, hostedConn{}, false)
		p.log.Info("connection unloaded from the Azure gateway", "connection", name)
	}
	for _, name := range sortedKeys(d.conns) {
		if _, ok := p.hosted[name]; ok {
			continue
		}
		want := d.conns[name]
		if err := l.SetAzureConnection(ctx, want.conn); err != nil {
			errs = append(errs, fmt.Sprintf("loading connection %s on the Azure gateway: %v", name, err))
			continue
		}
		p.setHosted(name, hostedConn{id: want.id, text: want.text}, true)
		p.log.Info("connection loaded on the Azure gateway", "connection", name, "peer", want.conn.RemoteAddr, "custom_policy", want.conn.Policy != nil)
		if want.conn.ConnectionMode != "ResponderOnly" {
			continue // Azure initiates itself (nudge.go)
		}
		for _, s := range p.servers {
			if s.isGateway && s.server.PublicIP == want.conn.RemoteAddr && s.charon != nil {
				p.nudge(ctx, s.charon, want.conn.LocalAddr)
			}
		}
	}
	return errs
}

// setHosted records (or forgets) a loaded connection, and publishes the
// connection ID -> name mapping ConnectionStatus reads.
func (p *Plane) setHosted(name string, h hostedConn, loaded bool) {
	old := p.hosted[name]
	if loaded {
		p.hosted[name] = h
	} else {
		delete(p.hosted, name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, strings.ToLower(old.id))
	if loaded {
		p.conns[strings.ToLower(h.id)] = name
	}
}

// teardown removes the whole lab; the next pass builds it again if the
// clouds still describe one.
func (p *Plane) teardown(ctx context.Context, l *lab.Lab, why string) {
	p.mu.Lock()
	p.lab, p.conns = nil, map[string]string{}
	p.mu.Unlock()
	p.nudges.Wait()
	if err := l.Close(ctx); err != nil {
		p.log.Warn("removing the lab", "err", err)
	}
	p.built, p.servers, p.hosted = siteKey{}, map[string]serverSpec{}, map[string]hostedConn{}
	p.log.Info("lab removed", "why", why)
}

// publish makes the pass's problems visible in GET /_sim/lab/status and
// logs them when they change (not every two seconds).
func (p *Plane) publish(errs []string) {
	p.mu.Lock()
	p.errs = errs
	p.mu.Unlock()
	if s := strings.Join(errs, "; "); s != p.lastErr {
		p.lastErr = s
		if s != "" {
			p.log.Warn("lab is not (yet) what the APIs describe; retrying", "problems", s)
		}
	}
}

func sameServer(a, b serverSpec) bool {
	return a.id == b.id && a.server == b.server && a.userData == b.userData
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
