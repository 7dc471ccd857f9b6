package hcloudsim

import (
	"net"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

func TestPrimaryIPRules(t *testing.T) {
	f := newFixture(t)
	create := func(name string, typ hcloud.PrimaryIPType, autoDelete bool) *hcloud.PrimaryIP {
		res, _, err := f.client.PrimaryIP.Create(ctx(t), hcloud.PrimaryIPCreateOpts{Name: name, Type: typ, AssigneeType: "server", Location: "nbg1", AutoDelete: new(autoDelete)})
		if err != nil {
			t.Fatal(err)
		}
		return res.PrimaryIP
	}
	v4 := create("gw-v4", hcloud.PrimaryIPTypeIPv4, false)
	if v4.IP.String() != "203.0.113.1" {
		t.Fatalf("first IPv4 = %s, want 203.0.113.1 (TEST-NET-3, in order)", v4.IP)
	}
	spare := create("spare-v4", hcloud.PrimaryIPTypeIPv4, false)
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw", PublicNet: &hcloud.ServerCreatePublicNet{EnableIPv4: true, IPv4: v4}})
	if s.PublicNet.IPv4.IP.String() != v4.IP.String() || s.PublicNet.IPv6.ID != 0 {
		t.Fatalf("server public net %+v, want only %s", s.PublicNet, v4.IP)
	}
	assign := func(p *hcloud.PrimaryIP) error {
		a, _, err := f.client.PrimaryIP.Assign(ctx(t), hcloud.PrimaryIPAssignOpts{ID: p.ID, AssigneeType: "server", AssigneeID: s.ID})
		return f.waited(t, a, err)
	}
	wantCodes(t, []codeCase{
		{"assign to a running server", func() error { return assign(spare) }, hcloud.ErrorCodeServerNotStopped},
		{"delete an assigned IP", func() error { _, err := f.client.PrimaryIP.Delete(ctx(t), v4); return err }, hcloud.ErrorCodePrimaryIPAssigned},
		{"use an assigned IP for a second server", func() error {
			_, _, err := f.client.Server.Create(ctx(t), hcloud.ServerCreateOpts{Name: "b", ServerType: &hcloud.ServerType{Name: "cx23"}, Image: &hcloud.Image{Name: "debian-12"},
				Location: &hcloud.Location{Name: "nbg1"}, PublicNet: &hcloud.ServerCreatePublicNet{EnableIPv4: true, IPv4: v4}})
			return err
		}, hcloud.ErrorCodePrimaryIPAssigned},
	})
	a, _, err := f.client.Server.Poweroff(ctx(t), s)
	f.mustWait(t, "poweroff", a, err)
	wantCode(t, assign(spare), hcloud.ErrorCodeServerHasIPv4)
	v6 := create("gw-v6", hcloud.PrimaryIPTypeIPv6, false)
	if err := assign(v6); err != nil {
		t.Fatalf("assign ipv6 to stopped server: %v", err)
	}
	a, _, err = f.client.PrimaryIP.Unassign(ctx(t), v4.ID)
	f.mustWait(t, "unassign", a, err)
	dr, _, err := f.client.Server.DeleteWithResult(ctx(t), s)
	if err != nil || f.client.Action.WaitFor(ctx(t), dr.Action) != nil {
		t.Fatal(err)
	}
	got, _, _ := f.client.PrimaryIP.GetByID(ctx(t), v6.ID)
	if got == nil || got.AssigneeID != 0 {
		t.Fatalf("primary IP without auto_delete must survive its server unassigned: %+v", got)
	}
	if _, err := f.client.PrimaryIP.Delete(ctx(t), v4); err != nil {
		t.Fatalf("delete unassigned primary IP: %v", err)
	}
}

func TestFirewallRules(t *testing.T) {
	port := func(p string) *string { return &p }
	anyIPv4 := []string{"0.0.0.0/0"}
	tests := []struct {
		name  string
		rule  hcloud.FirewallRule
		field string
	}{
		{"udp 500 in", hcloud.FirewallRule{Direction: "in", Protocol: "udp", Port: port("500"), SourceIPs: cidrs(anyIPv4)}, ""},
		{"esp without port", hcloud.FirewallRule{Direction: "in", Protocol: "esp", SourceIPs: cidrs(anyIPv4)}, ""},
		{"gre out", hcloud.FirewallRule{Direction: "out", Protocol: "gre", DestinationIPs: cidrs(anyIPv4)}, ""},
		{"tcp port range", hcloud.FirewallRule{Direction: "in", Protocol: "tcp", Port: port("80-85"), SourceIPs: cidrs(anyIPv4)}, ""},
		{"esp with port", hcloud.FirewallRule{Direction: "in", Protocol: "esp", Port: port("500"), SourceIPs: cidrs(anyIPv4)}, "rules[0].port"},
		{"icmp with port", hcloud.FirewallRule{Direction: "in", Protocol: "icmp", Port: port("1"), SourceIPs: cidrs(anyIPv4)}, "rules[0].port"},
		{"tcp without port", hcloud.FirewallRule{Direction: "in", Protocol: "tcp", SourceIPs: cidrs(anyIPv4)}, "rules[0].port"},
		{"port out of range", hcloud.FirewallRule{Direction: "in", Protocol: "udp", Port: port("70000"), SourceIPs: cidrs(anyIPv4)}, "rules[0].port"},
		{"unknown protocol", hcloud.FirewallRule{Direction: "in", Protocol: "sctp", SourceIPs: cidrs(anyIPv4)}, "rules[0].protocol"},
		{"unknown direction", hcloud.FirewallRule{Direction: "both", Protocol: "esp", SourceIPs: cidrs(anyIPv4)}, "rules[0].direction"},
		{"inbound without sources", hcloud.FirewallRule{Direction: "in", Protocol: "esp"}, "rules[0].source_ips"},
	}
	f := newFixture(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "fw" + string(rune('a'+i)), Rules: []hcloud.FirewallRule{tc.rule}})
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid rule refused: %v", err)
				}
				return
			}
			wantField(t, err, tc.field)
		})
	}
}

func TestFirewallApply(t *testing.T) {
	f := newFixture(t)
	n := f.mustNetwork(t, "net", "10.0.0.0/16", "10.0.1.0/24")
	gw := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw", Labels: map[string]string{"role": "vpn"}})
	private := f.mustServer(t, hcloud.ServerCreateOpts{Name: "private", Networks: []*hcloud.Network{n},
		PublicNet: &hcloud.ServerCreatePublicNet{EnableIPv4: false, EnableIPv6: false}})
	res, _, err := f.client.Firewall.Create(ctx(t), hcloud.FirewallCreateOpts{Name: "ike", ApplyTo: []hcloud.FirewallResource{
		{Type: hcloud.FirewallResourceTypeLabelSelector, LabelSelector: &hcloud.FirewallResourceLabelSelector{Selector: "role=vpn"}}}})
	if err != nil || f.client.Action.WaitFor(ctx(t), res.Actions...) != nil {
		t.Fatal(err)
	}
	fw := res.Firewall
	got, _ := f.sim.Server(gw.ID)
	if len(got.PublicNet.Firewalls) != 1 || got.PublicNet.Firewalls[0].ID != fw.ID {
		t.Fatalf("label selector did not apply the firewall: %+v", got.PublicNet.Firewalls)
	}
	_, _, err = f.client.Firewall.ApplyResources(ctx(t), fw, []hcloud.FirewallResource{{Type: hcloud.FirewallResourceTypeServer, Server: &hcloud.FirewallResourceServer{ID: private.ID}}})
	wantCode(t, err, hcloud.ErrorCodePrivateNetOnlyServer)
	_, err = f.client.Firewall.Delete(ctx(t), fw)
	wantCode(t, err, hcloud.ErrorCodeResourceInUse)
	acts, _, err := f.client.Firewall.RemoveResources(ctx(t), fw, fw.AppliedTo)
	if err != nil || f.client.Action.WaitFor(ctx(t), acts...) != nil {
		t.Fatalf("remove: %v", err)
	}
	// firewall_already_removed is no longer used by the API (hcloud-go
	// #748): removing what is not applied is a no-op here.
	if acts, _, err = f.client.Firewall.RemoveResources(ctx(t), fw, fw.AppliedTo); err != nil || len(acts) != 0 {
		t.Fatalf("second remove = %d actions, %v; want a no-op", len(acts), err)
	}
	if _, err := f.client.Firewall.Delete(ctx(t), fw); err != nil {
		t.Fatalf("delete unused firewall: %v", err)
	}
}

func cidrs(s []string) []net.IPNet {
	var out []net.IPNet
	for _, x := range s {
		out = append(out, *cidr(x))
	}
	return out
}

func TestSSHKeys(t *testing.T) {
	f := newFixture(t)
	const pub = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE0hUOemQ5L5fjqcrCFYMqO0ndr1T0ghLmTtkZ37RsqA me@host"
	k, _, err := f.client.SSHKey.Create(ctx(t), hcloud.SSHKeyCreateOpts{Name: "me", PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Fingerprint) != 47 {
		t.Fatalf("fingerprint %q is not an MD5 colon-hex fingerprint", k.Fingerprint)
	}
	byFP, _, err := f.client.SSHKey.GetByFingerprint(ctx(t), k.Fingerprint)
	if err != nil || byFP == nil || byFP.ID != k.ID {
		t.Fatalf("get by fingerprint: %v %v", byFP, err)
	}
	s := f.mustServer(t, hcloud.ServerCreateOpts{Name: "vm", SSHKeys: []*hcloud.SSHKey{k}})
	if s.ID == 0 {
		t.Fatal("no server")
	}
	_, _, err = f.client.SSHKey.Create(ctx(t), hcloud.SSHKeyCreateOpts{Name: "bad", PublicKey: "not a key"})
	wantField(t, err, "public_key")
	if _, err := f.client.SSHKey.Delete(ctx(t), k); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := f.client.SSHKey.GetByID(ctx(t), k.ID); got != nil {
		t.Fatal("deleted key still readable")
	}
}
