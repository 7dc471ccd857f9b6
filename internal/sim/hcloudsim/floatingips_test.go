package hcloudsim

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// TestFloatingIPFailover drives the calls a failover agent makes, through
// hcloud-go: the address moves from one running server to another (in
// another location) with a single assign, each server's public_net lists it
// only while it holds it, and the lab hears about both servers.
func TestFloatingIPFailover(t *testing.T) {
	f := newFixture(t)
	a := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw-a"})
	b := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw-b", Location: &hcloud.Location{Name: "fsn1"}})

	res, _, err := f.client.FloatingIP.Create(ctx(t), hcloud.FloatingIPCreateOpts{
		Type: hcloud.FloatingIPTypeIPv4, Server: a, Name: new("vip"), Labels: map[string]string{"role": "vip"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action == nil {
		t.Fatal("a create with a server returns its assign action")
	}
	if err := f.client.Action.WaitFor(ctx(t), res.Action); err != nil {
		t.Fatal(err)
	}
	fip := res.FloatingIP
	if fip.HomeLocation.Name != "nbg1" {
		t.Errorf("home location %q, want the server's nbg1", fip.HomeLocation.Name)
	}
	holds := func(srv *hcloud.Server) bool {
		s, _, err := f.client.Server.GetByID(ctx(t), srv.ID)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(s.PublicNet.FloatingIPs, func(x *hcloud.FloatingIP) bool { return x.ID == fip.ID })
	}
	if !holds(a) || holds(b) {
		t.Fatalf("after create: a holds %v, b holds %v; want only a", holds(a), holds(b))
	}

	// Re-assigning to the holder is refused; moving to b is one call.
	_, _, err = f.client.FloatingIP.Assign(ctx(t), fip, a)
	wantCode(t, err, "floating_ip_assigned")
	act, _, err := f.client.FloatingIP.Assign(ctx(t), fip, b)
	if err != nil {
		t.Fatalf("move to b (running, other location): %v", err)
	}
	if err := f.client.Action.WaitFor(ctx(t), act); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.client.FloatingIP.GetByID(ctx(t), fip.ID)
	if err != nil || got.Server == nil || got.Server.ID != b.ID {
		t.Fatalf("after the move the address points at %v (%v), want server %d", got.Server, err, b.ID)
	}
	if holds(a) || !holds(b) {
		t.Fatalf("after the move: a holds %v, b holds %v; want only b", holds(a), holds(b))
	}
	kinds := f.events.kinds()
	for _, want := range []string{"hcloud.server.updated:" + strconv.FormatInt(a.ID, 10), "hcloud.server.updated:" + strconv.FormatInt(b.ID, 10), "hcloud.floating_ip.updated:" + strconv.FormatInt(fip.ID, 10)} {
		if !slices.Contains(kinds, want) {
			t.Errorf("no event %s in %v", want, kinds)
		}
	}

	list, err := f.client.FloatingIP.AllWithOpts(ctx(t), hcloud.FloatingIPListOpts{ListOpts: hcloud.ListOpts{LabelSelector: "role=vip"}})
	if err != nil || len(list) != 1 || list[0].ID != fip.ID {
		t.Fatalf("list by label: %v, %v", list, err)
	}
}

// TestFloatingIPDeleteRules: an assigned address is not deleted behind the
// user's back (must_be_unassigned since 2026-05-01), a protected one not at
// all, and a deleted server leaves its Floating IP unassigned, not gone.
func TestFloatingIPDeleteRules(t *testing.T) {
	f := newFixture(t)
	a := f.mustServer(t, hcloud.ServerCreateOpts{Name: "gw-a"})
	res, _, err := f.client.FloatingIP.Create(ctx(t), hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4, Server: a})
	if err != nil {
		t.Fatal(err)
	}
	fip := res.FloatingIP
	_, err = f.client.FloatingIP.Delete(ctx(t), fip)
	wantCode(t, err, "must_be_unassigned")

	act, _, err := f.client.FloatingIP.ChangeProtection(ctx(t), fip, hcloud.FloatingIPChangeProtectionOpts{Delete: new(true)})
	f.mustWait(t, "protect", act, err)
	res2, _, err := f.client.Server.DeleteWithResult(ctx(t), a)
	if err != nil || f.client.Action.WaitFor(ctx(t), res2.Action) != nil {
		t.Fatalf("delete server: %v", err)
	}
	got, _, err := f.client.FloatingIP.GetByID(ctx(t), fip.ID)
	if err != nil || got == nil || got.Server != nil {
		t.Fatalf("after its server is deleted the Floating IP is %+v (%v), want it kept and unassigned", got, err)
	}
	_, err = f.client.FloatingIP.Delete(ctx(t), got)
	wantCode(t, err, hcloud.ErrorCodeProtected)
	act, _, _ = f.client.FloatingIP.ChangeProtection(ctx(t), got, hcloud.FloatingIPChangeProtectionOpts{Delete: new(false)})
	if err := f.client.Action.WaitFor(ctx(t), act); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.FloatingIP.Delete(ctx(t), got); err != nil {
		t.Fatalf("delete an unassigned, unprotected Floating IP: %v", err)
	}
}

// TestFloatingIPCreateRules: a create names a server or a home location,
// and names are unique per project.
func TestFloatingIPCreateRules(t *testing.T) {
	f := newFixture(t)
	// hcloud-go refuses a create without server and home_location itself;
	// other clients meet the API's own answer.
	req, _ := f.client.NewRequest(ctx(t), "POST", "/floating_ips", strings.NewReader(`{"type":"ipv4"}`))
	_, err := f.client.Do(req, nil)
	wantField(t, err, "home_location")
	_, _, err = f.client.FloatingIP.Create(ctx(t), hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4, HomeLocation: &hcloud.Location{Name: "xyz1"}})
	wantField(t, err, "home_location")
	res, _, err := f.client.FloatingIP.Create(ctx(t), hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4,
		HomeLocation: &hcloud.Location{Name: "hel1"}, Name: new("vip")})
	if err != nil || res.Action != nil || res.FloatingIP.Server != nil {
		t.Fatalf("unassigned create: %+v, %v", res, err)
	}
	_, _, err = f.client.FloatingIP.Create(ctx(t), hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4,
		HomeLocation: &hcloud.Location{Name: "hel1"}, Name: new("vip")})
	wantCode(t, err, hcloud.ErrorCodeUniquenessError)
	// Floating and primary IPs never share an address.
	p, _, err := f.client.PrimaryIP.Create(ctx(t), hcloud.PrimaryIPCreateOpts{Name: "p", Type: hcloud.PrimaryIPTypeIPv4, AssigneeType: "server", Location: "hel1"})
	if err != nil {
		t.Fatal(err)
	}
	if p.PrimaryIP.IP.Equal(res.FloatingIP.IP) {
		t.Fatalf("primary IP and Floating IP share %s", p.PrimaryIP.IP)
	}
}
