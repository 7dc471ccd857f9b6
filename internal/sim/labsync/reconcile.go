package labsync

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

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
		topo.Prefix, topo.CacheDir, topo.Logger, topo.API = p.prefix, p.cacheDir, p.log, p.api
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
			"azure_gateway", topo.Azure.GatewayPublicIP, "azure_second_instance", topo.Azure.SecondGatewayPublicIP, "azure_subnets", topo.Azure.Subnets)
	}
	errs = append(errs, p.syncServers(ctx, l, d)...)
	if err := l.ApplyRoutes(ctx, d.routes); err != nil {
		errs = append(errs, err.Error())
	}
	errs = append(errs, p.syncConnections(ctx, l, d)...)
	p.publish(errs)
}

// syncServers removes namespaces of servers that are gone or changed, adds
// the new ones, and powers each gateway machine on or off with the API.
func (p *Plane) syncServers(ctx context.Context, l *lab.Lab, d desired) []string {
	var errs []string
	for _, name := range sortedKeys(p.servers) {
		have := p.servers[name]
		want, ok := d.servers[name]
		if ok && sameServer(have, want) {
			continue
		}
		if ok && sameMachine(have, want) {
			// Only its interfaces changed: a running server keeps running.
			if err := l.UpdateServer(ctx, have.server, want.server); err != nil {
				errs = append(errs, fmt.Sprintf("changing server %s's interfaces in the lab: %v", name, err))
				continue
			}
			p.log.Info("server's interfaces changed", "server", name, "public_ip", want.server.PublicIP, "private_ip", want.server.PrivateIP)
			have.server = want.server
			p.servers[name] = have
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
		have.status = want.status
		if want.isGateway {
			if err := p.syncMachine(ctx, l, name, &have); err != nil {
				errs = append(errs, err.Error())
			}
		}
		p.servers[name] = have
	}
	return errs
}

// poweredOn says whether a server with this API status is running (or
// on its way there): everything but off and stopping.
func poweredOn(status string) bool { return status != "off" && status != "stopping" }

// syncMachine boots a gateway server on first sight (once the image is
// there), follows the API's power actions, and reports each boot once in
// the emulator's log and, while it is broken, in the pass's problems.
func (p *Plane) syncMachine(ctx context.Context, l *lab.Lab, name string, s *serverSpec) error {
	switch {
	case s.machine == nil && poweredOn(s.status):
		img, err := p.image()
		if err != nil {
			return fmt.Errorf("gateway server %s cannot boot yet: %v", name, err)
		}
		m, err := l.BootGateway(ctx, name, *img, lab.Seed{InstanceID: strconv.FormatInt(s.id, 10), Hostname: name, UserData: s.userData})
		if err != nil {
			return fmt.Errorf("booting gateway server %s: %v", name, err)
		}
		s.machine = m
		p.log.Info("gateway server booting: systemd and cloud-init run its user_data", "server", name, "image", img.Name)
	case s.machine == nil:
	case !poweredOn(s.status) && s.machine.Status().State != lab.StateOff:
		s.machine.PowerOff(20 * time.Second)
		s.apiOff = true
		p.log.Info("gateway server powered off, as the API says", "server", name)
	case poweredOn(s.status) && s.apiOff && s.machine.Status().State == lab.StateOff:
		if err := s.machine.Boot(); err != nil {
			return fmt.Errorf("powering gateway server %s on: %v", name, err)
		}
		s.apiOff = false
		p.log.Info("gateway server powered on, as the API says", "server", name)
	}
	if s.machine == nil {
		return nil
	}
	st := s.machine.Status()
	report := fmt.Sprintf("%d %s %s %v %s", st.Boots, st.State, st.CloudInit, st.FailedUnits, st.Err)
	if report != s.reported {
		s.reported = report
		p.logBoot(name, st)
	}
	switch {
	case st.Err != "":
		return fmt.Errorf("gateway server %s is off: %s", name, st.Err)
	case strings.HasPrefix(st.CloudInit, "error"):
		return fmt.Errorf("gateway server %s: boot %d failed, so its tunnel cannot connect: cloud-init %s; failed units %v", name, st.Boots, st.CloudInit, st.FailedUnits)
	case len(st.FailedUnits) > 0:
		return fmt.Errorf("gateway server %s: failed units %v", name, st.FailedUnits)
	}
	return nil
}

// logBoot tells the person running the lab how a gateway's boot went.
func (p *Plane) logBoot(name string, st lab.BootStatus) {
	args := []any{"server", name, "boot", st.Boots, "state", st.State}
	switch {
	case st.Err != "":
		p.log.Warn("gateway server stopped", append(args, "err", st.Err)...)
	case st.State == lab.StateOff:
		p.log.Info("gateway server is off", args...)
	case st.CloudInit == "done" && len(st.FailedUnits) == 0:
		p.log.Info("gateway server booted: cloud-init done", append(args, "took", st.Took.Round(100*time.Millisecond))...)
	case st.CloudInit == "done" || strings.HasPrefix(st.CloudInit, "error"):
		p.log.Warn("gateway server boot failed", append(args, "cloud_init", st.CloudInit, "failed_units", st.FailedUnits)...)
	}
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
			if s.isGateway && s.server.PublicIP == want.conn.RemoteAddr && s.machine != nil {
				if sock := s.machine.ViciSocket(); sock != "" {
					p.nudge(ctx, s.machine.NS, sock, want.conn.LocalAddr)
				}
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
	return a.id == b.id && a.server.Equal(b.server) && a.userData == b.userData
}

// sameMachine says whether b is a, at most with other addresses.
func sameMachine(a, b serverSpec) bool {
	return a.id == b.id && a.userData == b.userData && a.server.Name == b.server.Name && a.server.IsGateway == b.server.IsGateway
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
