package hcloudsim

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

func TestServerPrivateIPAllocation(t *testing.T) {
	tests := []struct {
		name, rng, subnet string
		want              []string
	}{
		// The network's first IP (10.0.0.1) is the gateway of every subnet.
		{"subnet at network start skips the gateway", "10.0.0.0/16", "10.0.0.0/24", []string{"10.0.0.2", "10.0.0.3"}},
		{"subnet inside the network starts at .1", "10.0.0.0/16", "10.0.1.0/24", []string{"10.0.1.1", "10.0.1.2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			n := f.mustNetwork(t, "net", tc.rng, tc.subnet)
			for i, want := range tc.want {
				s := f.mustServer(t, hcloud.ServerCreateOpts{Name: fmt.Sprintf("vm%d", i), Networks: []*hcloud.Network{n}})
				if len(s.PrivateNet) != 1 || s.PrivateNet[0].IP.String() != want {
					t.Fatalf("server %d private net %+v, want IP %s", i, s.PrivateNet, want)
				}
				if s.PrivateNet[0].MACAddress == "" || s.PrivateNet[0].Network.ID != n.ID {
					t.Fatalf("private net lacks MAC or network: %+v", s.PrivateNet[0])
				}
			}
			if got := snapshotNetwork(t, f.sim, n.ID).Servers; len(got) != len(tc.want) {
				t.Fatalf("network.servers = %v", got)
			}
		})
	}
}

func TestAttachToNetworkRules(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	other := f.mustNetwork(t, "overlapping", "10.0.0.0/8", "10.1.1.0/24")
	first := f.mustServer(t, hcloud.ServerCreateOpts{Name: "first", Networks: []*hcloud.Network{n}})
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "vm"})
	us := f.mustServer(t, hcloud.ServerCreateOpts{Name: "us", ServerType: &hcloud.ServerType{Name: "cpx22"}, Location: &hcloud.Location{Name: "ash"}})
	attach := func(srv *hcloud.Server, net *hcloud.Network, ip string, aliases ...string) error {
		opts := hcloud.ServerAttachToNetworkOpts{Network: net}
		if ip != "" {
			opts.IP = parseIP(ip)
		}
		for _, a := range aliases {
			opts.AliasIPs = append(opts.AliasIPs, parseIP(a))
		}
		a, _, err := f.client.Server.AttachToNetwork(ctx(t), srv, opts)
		return f.waited(t, a, err)
	}
	wantCodes(t, []codeCase{
		{"ip taken by another server", func() error { return attach(s, n, first.PrivateNet[0].IP.String()) }, hcloud.ErrorCodeIPNotAvailable},
		{"ip outside every subnet", func() error { return attach(s, n, "10.0.9.9") }, hcloud.ErrorCodeInvalidInput},
		{"network gateway is not a host", func() error { return attach(s, n, "10.0.0.1") }, hcloud.ErrorCodeInvalidInput},
		{"alias ip taken", func() error { return attach(s, n, "10.0.1.50", first.PrivateNet[0].IP.String()) }, hcloud.ErrorCodeIPNotAvailable},
		{"no subnet in the server's zone", func() error { return attach(us, n, "") }, hcloud.ErrorCodeNoSubnetAvailable},
		{"already attached", func() error { return attach(first, n, "") }, hcloud.ErrorCodeServerAlreadyAttached},
		{"overlapping networks", func() error { return attach(first, other, "") }, hcloud.ErrorCodeNetworksOverlap},
	})
	t.Run("pinned ip and alias ips", func(t *testing.T) {
		if err := attach(s, n, "10.0.1.50", "10.0.1.51"); err != nil {
			t.Fatal(err)
		}
		got, _ := f.sim.Server(s.ID)
		if len(got.PrivateNet) != 1 || got.PrivateNet[0].IP != "10.0.1.50" || strings.Join(got.PrivateNet[0].AliasIPs, ",") != "10.0.1.51" {
			t.Fatalf("private net = %+v", got.PrivateNet)
		}
	})
	t.Run("detach frees the ip", func(t *testing.T) {
		a, _, err := f.client.Server.DetachFromNetwork(ctx(t), s, hcloud.ServerDetachFromNetworkOpts{Network: n})
		f.mustWait(t, "detach", a, err)
		if err := attach(first, n, ""); err == nil {
			t.Fatal("still attached twice")
		}
		s2 := f.mustServer(t, hcloud.ServerCreateOpts{Name: "reuse"})
		if err := attach(s2, n, "10.0.1.50"); err != nil {
			t.Fatalf("freed IP not reusable: %v", err)
		}
	})
}

func parseIP(s string) net.IP { return net.IP(netip.MustParseAddr(s).AsSlice()) }

func TestServerUserDataLimit(t *testing.T) {
	tests := []struct {
		size int
		ok   bool
	}{{32 * 1024, true}, {32*1024 + 1, false}}
	f := newFixture(t)
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			name := fmt.Sprintf("ud%d", tc.size)
			_, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: name, ServerType: &hcloud.ServerType{Name: "cx23"},
				Image: &hcloud.Image{Name: "debian-12"}, UserData: strings.Repeat("x", tc.size)})
			if !tc.ok {
				wantField(t, err, "user_data")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			srv, _, _ := f.client.Server.GetByName(ctx(t), name)
			if ud, ok := f.sim.UserData(srv.ID); !ok || len(ud) != tc.size {
				t.Fatalf("user data stored with %d bytes", len(ud))
			}
		})
	}
}

func TestServerCatalogReferences(t *testing.T) {
	tests := []struct {
		name, typ, image, loc, field string
	}{
		{"unknown server type", "cx999", "debian-12", "nbg1", "server_type"},
		{"unknown image", "cx23", "windows-95", "nbg1", "image"},
		{"unknown location", "cx23", "debian-12", "mars1", "location"},
		{"type not offered in location", "cx23", "debian-12", "ash", "location"},
	}
	f := newFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "vm", ServerType: &hcloud.ServerType{Name: tc.typ},
				Image: &hcloud.Image{Name: tc.image}, Location: &hcloud.Location{Name: tc.loc}})
			wantField(t, err, tc.field)
		})
	}
	t.Run("arm type gets the arm image of the same name", func(t *testing.T) {
		s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "arm", ServerType: &hcloud.ServerType{Name: "cax11"}, Image: &hcloud.Image{Name: "ubuntu-24.04"}})
		if s.Image.Architecture != hcloud.ArchitectureARM || s.ServerType.Architecture != hcloud.ArchitectureARM {
			t.Fatalf("image %s / type %s, want arm", s.Image.Architecture, s.ServerType.Architecture)
		}
	})
	if len(f.sim.Servers()) != 1 {
		t.Fatalf("refused creates left servers behind: %d", len(f.sim.Servers()))
	}
}

func TestServerLifecycle(t *testing.T) {
	f := newFixture(t)
	res, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "vm", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Labels: map[string]string{"role": "gw"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Server.Status != hcloud.ServerStatusInitializing || res.Action.Command != "create_server" || res.RootPassword == "" || len(res.NextActions) != 1 {
		t.Fatalf("create response: status %s, action %s, next %d", res.Server.Status, res.Action.Command, len(res.NextActions))
	}
	if err := f.client.Action.WaitFor(ctx(t), append(res.NextActions, res.Action)...); err != nil {
		t.Fatal(err)
	}
	s, _, _ := f.client.Server.GetByID(ctx(t), res.Server.ID)
	if s.Status != hcloud.ServerStatusRunning {
		t.Fatalf("status after create %s", s.Status)
	}
	if !netip.MustParsePrefix("203.0.113.0/24").Contains(netip.MustParseAddr(s.PublicNet.IPv4.IP.String())) ||
		!netip.MustParsePrefix("2001:db8::/32").Contains(netip.MustParseAddr(s.PublicNet.IPv6.IP.String())) {
		t.Fatalf("public IPs %s / %s not from documentation ranges", s.PublicNet.IPv4.IP, s.PublicNet.IPv6.Network)
	}
	for _, step := range []struct {
		do   func() (*hcloud.Action, *hcloud.Response, error)
		want hcloud.ServerStatus
	}{
		{func() (*hcloud.Action, *hcloud.Response, error) { return f.client.Server.Shutdown(ctx(t), s) }, hcloud.ServerStatusOff},
		{func() (*hcloud.Action, *hcloud.Response, error) { return f.client.Server.Poweron(ctx(t), s) }, hcloud.ServerStatusRunning},
		{func() (*hcloud.Action, *hcloud.Response, error) { return f.client.Server.Reboot(ctx(t), s) }, hcloud.ServerStatusRunning},
		{func() (*hcloud.Action, *hcloud.Response, error) { return f.client.Server.Poweroff(ctx(t), s) }, hcloud.ServerStatusOff},
	} {
		a, _, err := step.do()
		f.mustWait(t, string(step.want), a, err)
		if got, _, _ := f.client.Server.GetByID(ctx(t), s.ID); got.Status != step.want {
			t.Fatalf("after %s want %s, got %s", a.Command, step.want, got.Status)
		}
	}
	ips, _ := f.client.PrimaryIP.All(ctx(t))
	if len(ips) != 2 || !ips[0].AutoDelete {
		t.Fatalf("auto-created primary IPs: %+v", ips)
	}
	dr, _, err := f.client.Server.DeleteWithResult(ctx(t), s)
	if err != nil || f.client.Action.WaitFor(ctx(t), dr.Action) != nil {
		t.Fatalf("delete: %v", err)
	}
	if ips, _ := f.client.PrimaryIP.All(ctx(t)); len(ips) != 0 {
		t.Fatalf("auto_delete primary IPs survived the server: %d", len(ips))
	}
	if got, _, _ := f.client.Server.GetByID(ctx(t), s.ID); got != nil {
		t.Fatal("server still there")
	}
}

// Parallel creates must not lose updates or hand out one IP twice.
func TestParallelServerCreates(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	const count = 24
	var wg sync.WaitGroup
	errs := make(chan error, count)
	for i := range count {
		wg.Go(func() {
			res, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: fmt.Sprintf("vm%d", i),
				ServerType: &hcloud.ServerType{Name: "cx23"}, Image: &hcloud.Image{Name: "debian-12"}, Networks: []*hcloud.Network{n}})
			if err == nil {
				err = f.client.Action.WaitFor(ctx(t), res.Action)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	servers := f.sim.Servers()
	private, public := map[string]bool{}, map[string]bool{}
	for _, s := range servers {
		private[s.PrivateNet[0].IP] = true
		public[s.PublicNet.IPv4.IP] = true
	}
	if len(servers) != count || len(private) != count || len(public) != count {
		t.Fatalf("%d servers, %d distinct private IPs, %d distinct public IPs; want %d each", len(servers), len(private), len(public), count)
	}
	if got := snapshotNetwork(t, f.sim, n.ID).Servers; len(got) != count {
		t.Fatalf("network lists %d servers", len(got))
	}
}
