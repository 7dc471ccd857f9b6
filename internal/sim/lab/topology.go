package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
)

// PublicSegments is the lab's "internet": documentation ranges, so nothing
// here can collide with a real address. Hetzner servers take public IPs from
// the first, Azure public IPs from the second; the "internet" namespace
// routes between them from each segment's last host address.
var PublicSegments = []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("198.51.100.0/24")}

// Topology is the plain description of both sites the lab builds.
type Topology struct {
	// Prefix starts every namespace name (see ValidatePrefix).
	Prefix string
	// Dir holds charon files; "" = a new directory in os.TempDir() that Sweep knows.
	Dir string
	// CacheDir holds the gateway image and the Debian mirror's cache; ""
	// = CacheDir().
	CacheDir string
	// Logger gets the lab mirror's warnings; nil discards.
	Logger *slog.Logger
	// API, when set, is served on APIAddr:80 inside the internet namespace
	// for the gateways' failover agents (api.go says why).
	API     http.Handler
	Hetzner HetznerSite
	Azure   AzureSite
}

// HetznerSite is one Hetzner network with its servers and routes.
type HetznerSite struct {
	NetworkRange netip.Prefix
	// RouterIP is the network's router (its first IP when zero).
	RouterIP netip.Addr
	// Subnets each get a probe host on their last usable address.
	Subnets []netip.Prefix
	Servers []Server
	Routes  []Route
}

// Server is one Hetzner server; a zero PublicIP or PrivateIP means it has
// no such interface.
type Server struct {
	Name                string
	PublicIP, PrivateIP netip.Addr
	IsGateway           bool
	// FloatingIPs are the Floating IPs assigned to it (floating.go).
	FloatingIPs []netip.Addr
}

// Route is a Hetzner network route.
type Route struct {
	Destination netip.Prefix
	Gateway     netip.Addr
}

// AzureSite is the VNet behind one Azure VPN gateway.
type AzureSite struct {
	GatewayPublicIP netip.Addr
	// SecondGatewayPublicIP is the second instance's public IP of an
	// active-active gateway (zero = active-standby): the lab runs a second
	// Azure charon for it in a namespace of its own (azurenet.go).
	SecondGatewayPublicIP netip.Addr
	VNetPrefixes          []netip.Prefix
	// Subnets are VM subnets; each gets a probe on its .4, the first
	// address Azure hands to a VM.
	Subnets []netip.Prefix
}

// Host is one namespace as GET /_sim/lab/hosts lists it.
type Host struct {
	Name  string `json:"name"`
	Cloud string `json:"cloud"`
	Role  string `json:"role"` // gateway, router, probe or server
	IP    string `json:"ip"`
	// Boot is set for a gateway server booted as a machine.
	*HostBoot
}

// Booted says whether h is a machine whose cloud-init has finished its
// current boot, done or failed (what failed shows in FailedUnits).
func (h Host) Booted() bool {
	return h.HostBoot != nil && h.CloudInit != "" && h.CloudInit != "running"
}

// HostBoot is a gateway machine's boot as GET /_sim/lab/hosts shows it.
type HostBoot struct {
	// State is booting, running or off.
	State string `json:"state"`
	// CloudInit is "running", "done" or "error: ..." for the current boot
	// ("" until cloud-init starts).
	CloudInit   string   `json:"cloud_init"`
	FailedUnits []string `json:"failed_units"`
	Boots       int      `json:"boots"`
	// Error says why the machine is off when it did not shut down itself.
	Error string `json:"error,omitempty"`
}

// Lab is a built topology. Its methods are safe for concurrent use.
type Lab struct {
	prefix, dir string
	cacheDir    string
	network     netip.Prefix
	routerIP    netip.Addr
	inet        string
	router      string
	azureGW     string
	// azureGW2 is the second instance's namespace ("" = active-standby).
	azureGW2 string

	mu        sync.Mutex
	hosts     []Host
	servers   map[string]string // server name -> namespace
	probes    map[netip.Prefix]Host
	nextIf    int
	charons   map[string]*Charon  // namespace -> daemon
	machines  map[string]*Machine // namespace -> gateway machine
	azureConf map[string]string   // connection name -> swanctl text
	// azureConf2 is the second instance's swanctl text per connection.
	azureConf2 map[string]string
	// azureConns are the loaded connections, for the fabric's routes.
	azureConns map[string]AzureConnection
	azureIP2   netip.Addr
	floating   map[netip.Addr]string // Floating IP -> server it is routed to

	mirror    *Mirror
	mirrorSrv *http.Server
	apiSrv    *http.Server // Topology.API, nil without one
}

// protoLab tags the router's network routes so ApplyRoutes can find the
// ones it installed; addressing routes keep the default proto.
const protoLab = "static"

// Build creates the namespaces and links of t. On error it removes what it
// made. The caller owns the Lab and must Close it.
func Build(ctx context.Context, t Topology) (_ *Lab, err error) {
	if err := ValidatePrefix(t.Prefix); err != nil {
		return nil, err
	}
	h := t.Hetzner
	if !h.NetworkRange.Addr().Is4() {
		return nil, fmt.Errorf("hetzner network range %v must be an IPv4 prefix", h.NetworkRange)
	}
	if !h.RouterIP.IsValid() {
		h.RouterIP = h.NetworkRange.Masked().Addr().Next()
	}
	if !h.NetworkRange.Contains(h.RouterIP) {
		return nil, fmt.Errorf("hetzner router IP %v is outside the network range %v", h.RouterIP, h.NetworkRange)
	}
	l := &Lab{prefix: t.Prefix, dir: t.Dir, cacheDir: t.CacheDir, network: h.NetworkRange.Masked(), routerIP: h.RouterIP,
		inet: t.Prefix + "inet", router: t.Prefix + "hrouter", azureGW: t.Prefix + "agw",
		servers: map[string]string{}, probes: map[netip.Prefix]Host{}, charons: map[string]*Charon{},
		machines: map[string]*Machine{}, azureConf: map[string]string{}, azureConf2: map[string]string{}, azureConns: map[string]AzureConnection{}}
	if t.Azure.SecondGatewayPublicIP.IsValid() {
		l.azureGW2, l.azureIP2 = t.Prefix+"agw2", t.Azure.SecondGatewayPublicIP
	}
	if l.cacheDir == "" {
		l.cacheDir = CacheDir()
	}
	if l.dir == "" {
		if l.dir, err = os.MkdirTemp("", t.Prefix+"lab-"); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			_ = l.Close(context.WithoutCancel(ctx))
		}
	}()
	if err := l.buildInternet(ctx); err != nil {
		return nil, err
	}
	if err := l.startMirror(ctx, t.Logger); err != nil {
		return nil, err
	}
	if t.API != nil {
		if err := l.startAPI(ctx, t.API); err != nil {
			return nil, err
		}
	}
	if err := l.buildRouter(ctx); err != nil {
		return nil, err
	}
	for _, s := range h.Servers {
		if _, err := l.AddServer(ctx, s); err != nil {
			return nil, err
		}
	}
	for i, sn := range h.Subnets {
		if err := l.addHetznerProbe(ctx, i, sn); err != nil {
			return nil, err
		}
	}
	if err := l.ApplyRoutes(ctx, h.Routes); err != nil {
		return nil, err
	}
	if err := l.buildAzure(ctx, t.Azure); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Lab) buildInternet(ctx context.Context) error {
	if err := AddNS(ctx, l.prefix, l.inet); err != nil {
		return err
	}
	if err := AddBridge(ctx, l.inet, "br0"); err != nil {
		return err
	}
	for _, seg := range PublicSegments {
		if err := AddAddr(ctx, l.inet, "br0", lastHost(seg).String()+fmt.Sprintf("/%d", seg.Bits())); err != nil {
			return err
		}
	}
	return Sysctl(ctx, l.inet, "net.ipv4.ip_forward", "1")
}

func (l *Lab) buildRouter(ctx context.Context) error {
	if err := AddNS(ctx, l.prefix, l.router); err != nil {
		return err
	}
	l.hosts = append(l.hosts, Host{Name: l.router, Cloud: "hcloud", Role: "router", IP: l.routerIP.String()})
	return Sysctl(ctx, l.router, "net.ipv4.ip_forward", "1")
}

// attachPublic plugs ns into the internet bridge with ip on eth0 and a
// default route through the segment's router.
func (l *Lab) attachPublic(ctx context.Context, ns string, ip netip.Addr) error {
	var seg netip.Prefix
	for _, s := range PublicSegments {
		if s.Contains(ip) && ip != lastHost(s) {
			seg = s
		}
	}
	if !seg.IsValid() {
		return fmt.Errorf("public IP %v is outside the lab's public segments %v (and not their router address): use an address from those documentation ranges", ip, PublicSegments)
	}
	port := l.ifName("p")
	if err := AddVeth(ctx, ns, "eth0", l.inet, port); err != nil {
		return err
	}
	if err := SetMaster(ctx, l.inet, port, "br0"); err != nil {
		return err
	}
	if err := AddAddr(ctx, ns, "eth0", fmt.Sprintf("%s/%d", ip, seg.Bits())); err != nil {
		return err
	}
	return ReplaceRoute(ctx, ns, "default", "via", lastHost(seg).String(), "dev", "eth0")
}

// attachPrivate links ns to the Hetzner router the way Hetzner addresses a
// server: ip/32 on eth1, an on-link route to the router, the network range
// via the router.
func (l *Lab) attachPrivate(ctx context.Context, ns string, ip netip.Addr) error {
	if !l.network.Contains(ip) || ip == l.routerIP {
		return fmt.Errorf("private IP %v must lie in the network %v and not be its router address %v", ip, l.network, l.routerIP)
	}
	port := l.ifName("v")
	if err := AddVeth(ctx, ns, "eth1", l.router, port); err != nil {
		return err
	}
	steps := []func() error{
		func() error { return AddAddr(ctx, l.router, port, l.routerIP.String()+"/32") },
		func() error { return ReplaceRoute(ctx, l.router, ip.String()+"/32", "dev", port) },
		func() error { return AddAddr(ctx, ns, "eth1", ip.String()+"/32") },
		func() error { return ReplaceRoute(ctx, ns, l.routerIP.String()+"/32", "dev", "eth1", "scope", "link") },
		func() error {
			return ReplaceRoute(ctx, ns, l.network.String(), "via", l.routerIP.String(), "dev", "eth1")
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// AddServer creates the namespace of one Hetzner server and returns its name.
func (l *Lab) AddServer(ctx context.Context, s Server) (string, error) {
	ns := l.prefix + "h-" + nsSafe(s.Name)
	l.mu.Lock()
	_, dup := l.servers[s.Name]
	l.mu.Unlock()
	if dup {
		return "", fmt.Errorf("hetzner server %q is already in the lab", s.Name)
	}
	if err := AddNS(ctx, l.prefix, ns); err != nil {
		return "", fmt.Errorf("hetzner server %q: %w", s.Name, err)
	}
	l.mu.Lock()
	l.servers[s.Name] = ns
	l.mu.Unlock()
	role := "server"
	if s.IsGateway {
		role = "gateway"
	}
	l.mu.Lock()
	l.hosts = append(l.hosts, Host{Name: ns, Cloud: "hcloud", Role: role})
	l.mu.Unlock()
	return ns, l.UpdateServer(ctx, Server{Name: s.Name}, s)
}

// UpdateServer changes a server's interfaces from old's to s's in place, as
// Hetzner's attach_to_network, detach_from_network and primary IP actions
// do to a running server: its machine keeps running and sees eth0 or eth1
// come or go.
func (l *Lab) UpdateServer(ctx context.Context, old, s Server) error {
	ns, ok := l.ServerNS(s.Name)
	if !ok {
		return fmt.Errorf("hetzner server %q is not in the lab", s.Name)
	}
	for _, c := range []struct {
		dev      string
		was, now netip.Addr
		attach   func(context.Context, string, netip.Addr) error
	}{{"eth0", old.PublicIP, s.PublicIP, l.attachPublic}, {"eth1", old.PrivateIP, s.PrivateIP, l.attachPrivate}} {
		if c.was == c.now {
			continue
		}
		if c.was.IsValid() {
			// The veth's other end, its address and routes go with it.
			if _, err := ipCmd(ctx, ns, "link", "del", c.dev); err != nil {
				return fmt.Errorf("hetzner server %q: %w", s.Name, err)
			}
		}
		if c.now.IsValid() {
			if err := c.attach(ctx, ns, c.now); err != nil {
				return fmt.Errorf("hetzner server %q: %w", s.Name, err)
			}
		}
	}
	if err := l.routeFloatingIPs(ctx, old, s); err != nil {
		return fmt.Errorf("hetzner server %q: %w", s.Name, err)
	}
	ip := ""
	if s.PrivateIP.IsValid() {
		ip = s.PrivateIP.String()
	}
	l.mu.Lock()
	for i := range l.hosts {
		if l.hosts[i].Name == ns {
			l.hosts[i].IP = ip
		}
	}
	l.mu.Unlock()
	return nil
}

// RemoveServer deletes a server: its machine is powered off and its disk
// dropped, then its namespace is removed.
func (l *Lab) RemoveServer(ctx context.Context, name string) error {
	l.mu.Lock()
	ns, ok := l.servers[name]
	m := l.machines[ns]
	delete(l.servers, name)
	delete(l.machines, ns)
	l.hosts = removeHost(l.hosts, ns)
	l.mu.Unlock()
	if !ok {
		return nil
	}
	err := errors.Join(m.Close(), l.unrouteServer(ctx, name))
	if m != nil {
		err = errors.Join(err, removeTree(filepath.Join(l.instanceDir(ns), "machine")))
	}
	return errors.Join(err, DelNS(ctx, ns))
}

// addHetznerProbe puts a probe on the subnet's last usable address.
func (l *Lab) addHetznerProbe(ctx context.Context, i int, sn netip.Prefix) error {
	if !l.network.Contains(sn.Addr()) {
		return fmt.Errorf("hetzner subnet %v lies outside the network %v", sn, l.network)
	}
	ns, ip := fmt.Sprintf("%shprobe%d", l.prefix, i), lastHost(sn)
	if err := AddNS(ctx, l.prefix, ns); err != nil {
		return err
	}
	if err := l.attachPrivate(ctx, ns, ip); err != nil {
		return fmt.Errorf("probe for hetzner subnet %v: %w", sn, err)
	}
	h := Host{Name: ns, Cloud: "hcloud", Role: "probe", IP: ip.String()}
	l.mu.Lock()
	l.hosts, l.probes[sn.Masked()] = append(l.hosts, h), h
	l.mu.Unlock()
	return nil
}
