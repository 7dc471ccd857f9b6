package hcloudsim

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

func TestNetworkIPRangeRules(t *testing.T) {
	tests := []struct {
		name, rng string
		ok        bool
	}{
		{"rfc1918 /16", "10.0.0.0/16", true},
		{"rfc1918 172.16/12", "172.16.0.0/12", true},
		{"minimum size /24", "192.168.5.0/24", true},
		{"public range refused", "8.8.0.0/16", false},
		{"100.64 CGNAT is not RFC1918", "100.64.0.0/16", false},
		{"smaller than /24 refused", "10.0.0.0/25", false},
	}
	f := newFixture(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.client.Network.Create(ctx(t), hcloud.NetworkCreateOpts{Name: "n" + string(rune('a'+i)), IPRange: cidr(tc.rng)})
			if tc.ok {
				if err != nil {
					t.Fatalf("want accepted, got %v", err)
				}
				return
			}
			wantField(t, err, "ip_range")
		})
	}
}

func TestNetworkSubnetRules(t *testing.T) {
	tests := []struct {
		name  string
		sub   hcloud.NetworkSubnet
		field string
	}{
		{"outside network range", hcloud.NetworkSubnet{Type: "cloud", IPRange: cidr("10.1.0.0/24"), NetworkZone: "eu-central"}, "ip_range"},
		{"overlaps existing subnet", hcloud.NetworkSubnet{Type: "cloud", IPRange: cidr("10.0.1.128/25"), NetworkZone: "eu-central"}, "ip_range"},
		{"overlaps route destination", hcloud.NetworkSubnet{Type: "cloud", IPRange: cidr("10.0.200.0/24"), NetworkZone: "eu-central"}, "ip_range"},
		{"second network zone", hcloud.NetworkSubnet{Type: "cloud", IPRange: cidr("10.0.2.0/24"), NetworkZone: "us-east"}, "network_zone"},
		{"unknown zone", hcloud.NetworkSubnet{Type: "cloud", IPRange: cidr("10.0.2.0/24"), NetworkZone: "mars"}, "network_zone"},
		{"unknown type", hcloud.NetworkSubnet{Type: "public", IPRange: cidr("10.0.2.0/24"), NetworkZone: "eu-central"}, "type"},
		{"vswitch without id", hcloud.NetworkSubnet{Type: "vswitch", IPRange: cidr("10.0.2.0/24"), NetworkZone: "eu-central"}, "vswitch_id"},
	}
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	a, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("10.0.200.0/24"), Gateway: net.ParseIP("10.0.1.5")}})
	f.mustWait(t, "add route", a, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.client.Network.AddSubnet(ctx(t), n, hcloud.NetworkAddSubnetOpts{Subnet: tc.sub})
			wantField(t, err, tc.field)
		})
	}
	t.Run("valid subnet gets the network's first IP as gateway", func(t *testing.T) {
		a, _, err := f.client.Network.AddSubnet(ctx(t), n, hcloud.NetworkAddSubnetOpts{Subnet: hcloud.NetworkSubnet{Type: "cloud", IPRange: cidr("10.0.2.0/24"), NetworkZone: "eu-central"}})
		f.mustWait(t, "add subnet", a, err)
		got := snapshotNetwork(t, f.sim, n.ID)
		if len(got.Subnets) != 2 || got.Subnets[1].Gateway != "10.0.0.1" {
			t.Fatalf("subnets = %+v, want second with gateway 10.0.0.1", got.Subnets)
		}
	})
}

func TestNetworkRouteRules(t *testing.T) {
	tests := []struct {
		name, dest, gw, field, msg string
	}{
		{"destination not RFC1918", "100.64.0.0/16", "10.0.1.5", "destination", "RFC1918"},
		{"destination overlaps subnet", "10.0.1.0/25", "10.0.1.5", "destination", "overlaps with another subnetwork"},
		{"destination overlaps route", "10.0.64.0/20", "10.0.1.5", "destination", "overlaps with another subnetwork or network route"},
		{"destination holds first IP", "10.0.0.0/24", "10.0.1.5", "destination", "first IP"},
		{"gateway outside network", "10.0.150.0/24", "192.168.1.1", "gateway", "network route gateway not part of the network IP range (10.0.0.0/16)"},
		{"gateway is first IP", "10.0.150.0/24", "10.0.0.1", "gateway", "reserved"},
	}
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	add := func(dest, gw string) (*hcloud.Action, error) {
		a, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr(dest), Gateway: net.ParseIP(gw)}})
		return a, err
	}
	a, err := add("10.0.64.0/18", "10.0.1.5")
	f.mustWait(t, "add route", a, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := add(tc.dest, tc.gw)
			wantField(t, err, tc.field)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
	t.Run("0.0.0.0/0 is accepted", func(t *testing.T) {
		a, err := add("0.0.0.0/0", "10.0.1.5")
		f.mustWait(t, "default route refused", a, err)
		if got := snapshotNetwork(t, f.sim, n.ID).Routes; len(got) != 2 || got[1].Destination != "0.0.0.0/0" {
			t.Fatalf("routes = %+v", got)
		}
	})
	t.Run("RFC1918 destination outside the range is accepted", func(t *testing.T) {
		// The current reference text has no containment rule (netrules.go).
		a, err := add("10.1.0.0/16", "10.0.1.5")
		f.mustWait(t, "out-of-range destination refused", a, err)
		a, _, err = f.client.Network.DeleteRoute(ctx(t), n, hcloud.NetworkDeleteRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("10.1.0.0/16"), Gateway: net.ParseIP("10.0.1.5")}})
		f.mustWait(t, "delete route", a, err)
	})
	t.Run("gateway 172.31.1.1 refused", func(t *testing.T) {
		n2 := f.mustNetwork(t, "big", "172.16.0.0/12", "172.16.1.0/24")
		_, _, err := f.client.Network.AddRoute(ctx(t), n2, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("172.20.0.0/16"), Gateway: net.ParseIP("172.31.1.1")}})
		wantField(t, err, "gateway")
	})
	t.Run("delete route removes it", func(t *testing.T) {
		a, _, err := f.client.Network.DeleteRoute(ctx(t), n, hcloud.NetworkDeleteRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr("0.0.0.0/0"), Gateway: net.ParseIP("10.0.1.5")}})
		f.mustWait(t, "delete route", a, err)
		if got := snapshotNetwork(t, f.sim, n.ID).Routes; len(got) != 1 {
			t.Fatalf("routes after delete = %+v", got)
		}
	})
}

func TestNetworkChangeIPRange(t *testing.T) {
	tests := []struct {
		name, rng string
		ok        bool
	}{
		{"shrinking refused", "10.0.0.0/17", false},
		{"disjoint refused", "10.1.0.0/16", false},
		{"not RFC1918 refused", "0.0.0.0/0", false},
		{"growing accepted", "10.0.0.0/8", true},
	}
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, _, err := f.client.Network.ChangeIPRange(ctx(t), n, hcloud.NetworkChangeIPRangeOpts{IPRange: cidr(tc.rng)})
			if !tc.ok {
				wantField(t, err, "ip_range")
				return
			}
			f.mustWait(t, "change_ip_range", a, err)
			got := snapshotNetwork(t, f.sim, n.ID)
			if got.IPRange != tc.rng || got.Subnets[0].IPRange != "10.0.1.0/24" {
				t.Fatalf("network after grow = %+v", got)
			}
		})
	}
}

// A network with a running action answers `locked` to the next change until
// the action finishes (the API text says conflict; see checkLocked).
func TestNetworkLockedWhileActionRuns(t *testing.T) {
	fc := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	f := newFixture(t, withClock(fc))
	f.env.Clock.Scale = 1
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	route := func(dest string) (*hcloud.Action, error) {
		a, _, err := f.client.Network.AddRoute(ctx(t), n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: cidr(dest), Gateway: net.ParseIP("10.0.1.5")}})
		return a, err
	}
	first, err := route("10.0.100.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if first.Status != hcloud.ActionStatusRunning {
		t.Fatalf("action status %s, want running", first.Status)
	}
	_, err = route("10.0.101.0/24")
	wantCode(t, err, hcloud.ErrorCodeLocked)
	fc.advance(3 * time.Second)
	if err := f.client.Action.WaitFor(ctx(t), first); err != nil {
		t.Fatalf("first action: %v", err)
	}
	if _, err := route("10.0.101.0/24"); err != nil {
		t.Fatalf("after the action finished the network must accept changes: %v", err)
	}
}

func TestNetworkDeleteDetachesServers(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "vm", Networks: []*hcloud.Network{n}})
	if _, err := f.client.Network.Delete(ctx(t), n); err != nil {
		t.Fatalf("delete network with attached server: %v", err)
	}
	got, _ := f.sim.Server(s.ID)
	if len(got.PrivateNet) != 0 {
		t.Fatalf("server still attached: %+v", got.PrivateNet)
	}
	if ev := f.events.kinds(); !slices.Contains(ev, "hcloud.network.deleted:1") || !slices.Contains(ev, "hcloud.server.updated:1") {
		t.Fatalf("events = %v", ev)
	}
}

func TestDeleteProtection(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16")
	a, _, err := f.client.Network.ChangeProtection(ctx(t), n, hcloud.NetworkChangeProtectionOpts{Delete: new(true)})
	f.mustWait(t, "change_protection", a, err)
	_, err = f.client.Network.Delete(ctx(t), n)
	wantCode(t, err, hcloud.ErrorCodeProtected)

	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "vm"})
	a, _, err = f.client.Server.ChangeProtection(ctx(t), s, hcloud.ServerChangeProtectionOpts{Delete: new(true), Rebuild: new(true)})
	f.mustWait(t, "server change_protection", a, err)
	_, _, err = f.client.Server.DeleteWithResult(ctx(t), s)
	wantCode(t, err, hcloud.ErrorCodeProtected)
	if len(f.sim.Networks()) != 1 || len(f.sim.Servers()) != 1 {
		t.Fatal("a protected resource was deleted")
	}
}

func TestUniqueNames(t *testing.T) {
	f := newFixture(t)
	f.mustNetwork(t, "dup", "10.0.0.0/16")
	f.mustServer(t, hcloud.ServerCreateOpts{Name: "dup"})
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0hUOemQ5L5fjqcrCFYMqO0ndr1T0ghLmTtkZ37RsqA test"
	other := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHm9fgqZ4WJcFwBN9BqN0rsH5LSPZf2TwJLOuW5o8CeL other"
	tests := []struct {
		name string
		do   func() error
	}{
		{"network", func() error {
			_, _, err := f.client.Network.Create(ctx(t), hcloud.NetworkCreateOpts{Name: "dup", IPRange: cidr("10.1.0.0/16")})
			return err
		}},
		{"server", func() error {
			_, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "dup", ServerType: &hcloud.ServerType{Name: "cx23"}, Image: &hcloud.Image{Name: "debian-12"}})
			return err
		}},
		{"firewall", func() error {
			if _, _, err := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "dup"}); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "dup"})
			return err
		}},
		{"ssh key name", func() error {
			if _, _, err := f.client.SSHKey.Create(ctx(t), hcloud.SSHKeyCreateOpts{Name: "dup", PublicKey: key}); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.client.SSHKey.Create(ctx(t), hcloud.SSHKeyCreateOpts{Name: "dup", PublicKey: other})
			return err
		}},
		{"ssh key fingerprint", func() error {
			_, _, err := f.client.SSHKey.Create(ctx(t), hcloud.SSHKeyCreateOpts{Name: "again", PublicKey: key})
			return err
		}},
		{"primary ip", func() error {
			opts := hcloud.PrimaryIPCreateOpts{Name: "dup", Type: hcloud.PrimaryIPTypeIPv4, AssigneeType: "server", Location: "nbg1"}
			if _, _, err := f.client.PrimaryIP.Create(ctx(t), opts); err != nil {
				t.Fatal(err)
			}
			_, _, err := f.client.PrimaryIP.Create(ctx(t), opts)
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.do(), hcloud.ErrorCodeUniquenessError) })
	}
}

func TestListFiltersAndPagination(t *testing.T) {
	f := newFixture(t)
	for i, env := range []string{"prod", "prod", "dev", "prod", "test"} {
		_, _, err := f.client.Network.Create(ctx(t), hcloud.NetworkCreateOpts{
			Name: "n" + string(rune('0'+i)), IPRange: cidr("10.0.0.0/16"), Labels: map[string]string{"env": env}})
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		opts hcloud.NetworkListOpts
		want int
	}{
		{hcloud.NetworkListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "env=prod"}}, 3},
		{hcloud.NetworkListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "env!=prod"}}, 2},
		{hcloud.NetworkListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "env in (dev,test)"}}, 2},
		{hcloud.NetworkListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "!env"}}, 0},
		{hcloud.NetworkListOpts{Name: "n3"}, 1},
		{hcloud.NetworkListOpts{ListOpts: hcloud.ListOpts{PerPage: 2}}, 5},
	}
	for _, tc := range tests {
		got, err := f.client.Network.AllWithOpts(ctx(t), tc.opts)
		if err != nil || len(got) != tc.want {
			t.Errorf("%+v: got %d networks (%v), want %d", tc.opts, len(got), err, tc.want)
		}
	}
	page, resp, err := f.client.Network.List(ctx(t), hcloud.NetworkListOpts{ListOpts: hcloud.ListOpts{Page: 2, PerPage: 2}, Sort: []string{"id:desc"}})
	if err != nil || len(page) != 2 || page[0].ID != 3 || resp.Meta.Pagination.LastPage != 3 || resp.Meta.Pagination.TotalEntries != 5 {
		t.Fatalf("page 2 = %v (meta %+v), err %v", page, resp.Meta.Pagination, err)
	}
	_, _, err = f.client.Network.List(ctx(t), hcloud.NetworkListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "env in prod"}})
	wantField(t, err, "label_selector")
}

func TestDeleteSubnetWithServers(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24")
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "vm", Networks: []*hcloud.Network{n}})
	_, _, err := f.client.Network.DeleteSubnet(ctx(t), n, hcloud.NetworkDeleteSubnetOpts{Subnet: hcloud.NetworkSubnet{IPRange: cidr("10.0.1.0/24")}})
	wantCode(t, err, hcloud.ErrorCodeServiceError)
	a, _, err := f.client.Network.DeleteSubnet(ctx(t), n, hcloud.NetworkDeleteSubnetOpts{Subnet: hcloud.NetworkSubnet{IPRange: cidr("10.0.2.0/24")}})
	f.mustWait(t, "deleting an empty subnet", a, err)
	if got := snapshotNetwork(t, f.sim, n.ID).Subnets; len(got) != 1 || got[0].IPRange != "10.0.1.0/24" || s.ID == 0 {
		t.Fatalf("subnets = %+v", got)
	}
}
