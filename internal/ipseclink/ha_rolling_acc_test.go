package ipseclink_test

import (
	"context"
	"fmt"
	"maps"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipseclink"
)

// bootDelay is how long the stand-in gateways take from "the API knows the
// server" to "keepalived runs"; long against the emulator's actions, so an
// apply that does not wait for it shows.
const bootDelay = 1500 * time.Millisecond

// takeoverDelay is how long the stand-in survivor waits, once the Floating
// IP has no holder, before it claims it: keepalived declares the peer dead
// only after three missed adverts (seconds on a real pair). Long against
// the emulator's actions, so an apply that assigns the address itself
// instead of waiting for the survivor shows.
const takeoverDelay = 1500 * time.Millisecond

// pairAgents plays, through the Hetzner API only, what the gateways' own
// software does there (the lab runs the real one, internal/sim/labsync):
// cloud-init labels a server ready bootDelay after it appears
// (cloudinit.ReadyLabel), and the surviving server's keepalived claims the
// Floating IP and the route when the holder disappears. It records when
// each server was seen to go and when each reported ready.
type pairAgents struct {
	hc        *hcloud.Client
	fipID     int64
	networkID int64
	mu        sync.Mutex
	firstSeen map[int64]time.Time
	readyAt   map[int64]time.Time
	goneAt    map[int64]time.Time
	stop      chan struct{}
	done      chan struct{}
}

func startPairAgents(hc *hcloud.Client, fipID, networkID int64) *pairAgents {
	a := &pairAgents{hc: hc, fipID: fipID, networkID: networkID, firstSeen: map[int64]time.Time{}, readyAt: map[int64]time.Time{},
		goneAt: map[int64]time.Time{}, stop: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a
}

func (a *pairAgents) run() {
	defer close(a.done)
	ctx := context.Background()
	ips := map[string]string{"hel1-weu-gw": "10.0.1.1", "hel1-weu-gw-b": "10.0.1.2"}
	var unheld time.Time // since when the Floating IP has had no holder
	for {
		select {
		case <-a.stop:
			return
		// Two requests a pass: the emulator enforces Hetzner's rate
		// limit (3600 an hour, docs/facts/hetzner.md) for the agents too.
		case <-time.After(100 * time.Millisecond):
		}
		all, err := a.hc.Server.All(ctx)
		if err != nil {
			continue
		}
		present := map[int64]*hcloud.Server{}
		for _, srv := range all {
			if _, ok := ips[srv.Name]; ok {
				present[srv.ID] = srv
			}
		}
		a.mu.Lock()
		now := time.Now()
		for id := range a.firstSeen {
			if _, ok := present[id]; !ok && a.goneAt[id].IsZero() {
				a.goneAt[id] = now
			}
		}
		for id, srv := range present {
			if a.firstSeen[id].IsZero() {
				a.firstSeen[id] = now
			}
			if a.readyAt[id].IsZero() && now.Sub(a.firstSeen[id]) >= bootDelay {
				l := maps.Clone(srv.Labels)
				l[cloudinit.ReadyLabel] = "true"
				if _, _, err := a.hc.Server.Update(ctx, srv, hcloud.ServerUpdateOpts{Labels: l}); err == nil {
					a.readyAt[id] = time.Now()
				}
			}
		}
		ready := a.readyAt
		a.mu.Unlock()
		// keepalived: the holder is gone, a ready survivor takes over
		// once it has missed enough adverts.
		fip, _, err := a.hc.FloatingIP.GetByID(ctx, a.fipID)
		if err != nil || fip == nil || fip.Server != nil {
			unheld = time.Time{}
			continue
		}
		if unheld.IsZero() {
			unheld = time.Now()
		}
		if time.Since(unheld) < takeoverDelay {
			continue
		}
		// The server whose keepalived has run longest claims: it was
		// already BACKUP when the holder went, while a replacement that
		// boots later finds it MASTER and stays BACKUP (nopreempt). Map
		// order would otherwise let a replacement that became ready
		// during the takeover delay win. A failed attempt (the chosen
		// server was deleted meanwhile) is tried again on the next pass,
		// as the agent's loop does.
		var claimer int64
		for id := range present {
			if r := ready[id]; !r.IsZero() && (claimer == 0 || r.Before(ready[claimer])) {
				claimer = id
			}
		}
		if claimer != 0 {
			_ = a.takeOver(ctx, claimer, ips[present[claimer].Name])
		}
	}
}

// takeOver is the notify script's master path: assign, then move the route.
func (a *pairAgents) takeOver(ctx context.Context, server int64, ip string) error {
	act, _, err := a.hc.FloatingIP.Assign(ctx, &hcloud.FloatingIP{ID: a.fipID}, &hcloud.Server{ID: server})
	if err == nil {
		err = a.hc.Action.WaitFor(ctx, act)
	}
	if err != nil {
		return fmt.Errorf("claiming the Floating IP for %d: %w", server, err)
	}
	n, _, err := a.hc.Network.GetByID(ctx, a.networkID)
	if err != nil {
		return err
	}
	_, dest, _ := net.ParseCIDR("10.1.0.0/16")
	for _, r := range n.Routes {
		if r.Destination.String() == dest.String() && !r.Gateway.Equal(net.ParseIP(ip)) {
			act, _, err := a.hc.Network.DeleteRoute(ctx, n, hcloud.NetworkDeleteRouteOpts{Route: r})
			if err == nil {
				err = a.hc.Action.WaitFor(ctx, act)
			}
			if err != nil {
				return err
			}
		}
	}
	act, _, err = a.hc.Network.AddRoute(ctx, n, hcloud.NetworkAddRouteOpts{Route: hcloud.NetworkRoute{Destination: dest, Gateway: net.ParseIP(ip)}})
	if err == nil {
		err = a.hc.Action.WaitFor(ctx, act)
	}
	return err
}

func (a *pairAgents) halt() {
	close(a.stop)
	<-a.done
}

// A change baked into both servers rolls the pair: the passive server is
// replaced first, and the active one only after the new passive server
// reported ready, so one server that can carry the tunnel exists
// throughout and the link is down for one failover. A change Azure takes
// too (here the DPD timeout) reaches the connection between the two: after
// the new passive server is ready, before the active one goes. Afterwards
// the routes follow whichever server holds the Floating IP, and the state
// says which one that is. The second roll starts from whichever server the
// first one left active.
func TestAccLinkHARollingReplacement(t *testing.T) {
	s := newSite(t)
	hc := s.sim.HCloud()
	var before [2]int64 // primary, standby
	var fipID int64
	var agents *pairAgents
	defer func() {
		if agents != nil {
			agents.halt()
		}
	}()
	var holder int64
	remember := func(st *terraform.State) {
		before = [2]int64{attrInt(st, "hetzner_server_id"), attrInt(st, "hetzner_standby_server_id")}
		holder = attrInt(st, "hetzner_active_server_id")
	}
	var azureSince time.Time
	s.run(t, []resource.TestStep{{
		Config:            s.haConfig(`standby_location = "fsn1"`),
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			remember(st)
			fipID = attrInt(st, "hetzner_floating_ip_id")
			return nil
		},
	}, {
		PreConfig: func() {
			agents = startPairAgents(hc, fipID, networkIDOf(t, s))
		},
		Config:            s.haConfig("standby_location = \"fsn1\"\n      hcloud_token_wo_version = 2"),
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			err := checkRolled(t, s, agents, st, before, holder, fipID, time.Time{})
			remember(st)
			azureSince = time.Now()
			return err
		},
	}, {
		Config:            s.haConfigWith("standby_location = \"fsn1\"\n      hcloud_token_wo_version = 2", "dpd_timeout_seconds = 60"),
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			return checkRolled(t, s, agents, st, before, holder, fipID, azureSince)
		},
	}})
}

// checkRolled checks one roll from the servers before (primary, standby),
// of which active held the Floating IP: the passive one went first, the
// active one only after the passive one's replacement reported ready, and
// (azureSince set) the Azure connection was updated in between.
func checkRolled(t *testing.T, s site, a *pairAgents, st *terraform.State, before [2]int64, active, fipID int64, azureSince time.Time) error {
	after := [2]int64{attrInt(st, "hetzner_server_id"), attrInt(st, "hetzner_standby_server_id")}
	if after[0] == before[0] || after[1] == before[1] {
		return fmt.Errorf("servers %v -> %v: the change must replace both", before, after)
	}
	passive, newPassive := before[1], after[1]
	if active == before[1] {
		passive, newPassive = before[0], after[0]
	} else if active != before[0] {
		return fmt.Errorf("the Floating IP was on %d, neither of %v", active, before)
	}
	a.mu.Lock()
	gonePassive, goneActive, ready := a.goneAt[passive], a.goneAt[active], a.readyAt[newPassive]
	a.mu.Unlock()
	if gonePassive.IsZero() || goneActive.IsZero() {
		return fmt.Errorf("the old servers %v were not both seen to go", before)
	}
	if !gonePassive.Before(goneActive) {
		return fmt.Errorf("the active server %d went at %s, before the passive one %d (%s): the passive one must go first",
			active, goneActive.Format(time.StampMilli), passive, gonePassive.Format(time.StampMilli))
	}
	if ready.IsZero() || !ready.Before(goneActive) {
		return fmt.Errorf("the active server %d went at %s, before the new passive server %d reported ready (at %s)",
			active, goneActive.Format(time.StampMilli), newPassive, ready.Format(time.StampMilli))
	}
	if !azureSince.IsZero() {
		var put time.Time
		for _, op := range s.sim.Sim().Operations() {
			if op.Cloud == "azure" && op.Kind == "put" && strings.Contains(op.Target, "/connections/") && op.Start.After(azureSince) {
				put = op.Start
			}
		}
		if put.IsZero() || put.Before(ready) || put.After(goneActive) {
			return fmt.Errorf("the Azure connection was updated at %s; want it after the new passive server was ready (%s) and before the active one went (%s)",
				put.Format(time.StampMilli), ready.Format(time.StampMilli), goneActive.Format(time.StampMilli))
		}
	}
	fip, _, err := s.sim.HCloud().FloatingIP.GetByID(context.Background(), fipID)
	if err != nil || fip.Server == nil {
		return fmt.Errorf("after the roll the Floating IP is held by nobody (%v)", err)
	}
	// The survivor took over and keeps the address (nopreempt): had the
	// apply assigned it to the replacement of the active server, that one
	// would hold it while still booting, with no tunnel.
	if fip.Server.ID != newPassive {
		return fmt.Errorf("after the roll the Floating IP is on %d, want the server that took over, %d (the replacement of the passive one)", fip.Server.ID, newPassive)
	}
	want := map[int64]string{after[0]: "10.0.1.1", after[1]: "10.0.1.2"}[fip.Server.ID]
	if gw, ok := s.route(t, networkID(st), "10.1.0.0/16"); !ok || gw != want {
		return fmt.Errorf("route -> %q, want the holder %d at %q", gw, fip.Server.ID, want)
	}
	if got := attrInt(st, "hetzner_active_server_id"); got != fip.Server.ID {
		return fmt.Errorf("hetzner_active_server_id %d, want the holder %d", got, fip.Server.ID)
	}
	return nil
}

// When the replaced passive server never reports ready, the apply fails
// saying so, and the active server is left alone: it keeps the Floating
// IP, the route and the tunnel on the old configuration. The next apply,
// once the passive server is up, finishes the roll.
func TestAccLinkHARollingWaitsForReady(t *testing.T) {
	s := newSite(t)
	hc := s.sim.HCloud()
	ctx := context.Background()
	var primary, standby, fipID int64
	var agents *pairAgents
	defer func() {
		if agents != nil {
			agents.halt()
		}
	}()
	rolled := s.haConfig("standby_location = \"fsn1\"\n      hcloud_token_wo_version = 2")
	s.run(t, []resource.TestStep{{
		Config: s.haConfig(`standby_location = "fsn1"`),
		Check: func(st *terraform.State) error {
			primary, standby, fipID = attrInt(st, "hetzner_server_id"), attrInt(st, "hetzner_standby_server_id"), attrInt(st, "hetzner_floating_ip_id")
			return nil
		},
	}, {
		PreConfig: func() {
			previous := ipseclink.SetReadyBudget(4 * time.Second)
			t.Cleanup(func() { ipseclink.SetReadyBudget(previous) })
		},
		Config:      rolled,
		ExpectError: regexp.MustCompile(`holds the Floating IP and was not replaced, so the\s+tunnel stays up(.|\s)*has not\s+reported ready`),
	}, {
		PreConfig: func() {
			if srv, _, err := hc.Server.GetByID(ctx, primary); err != nil || srv == nil {
				t.Fatalf("the active server %d was deleted although its replacement never became ready (%v)", primary, err)
			}
			if b, _, err := hc.Server.GetByName(ctx, "hel1-weu-gw-b"); err != nil || b == nil || b.ID == standby {
				t.Fatalf("the passive server should have been replaced first: %v %v", b, err)
			}
			if fip, _, err := hc.FloatingIP.GetByID(ctx, fipID); err != nil || fip.Server == nil || fip.Server.ID != primary {
				t.Fatalf("the Floating IP left the active server: %v %v", fip, err)
			}
			if gw, ok := s.route(t, networkIDOf(t, s), "10.1.0.0/16"); !ok || gw != "10.0.1.1" {
				t.Fatalf("route -> %q, want the active server 10.0.1.1", gw)
			}
			agents = startPairAgents(hc, fipID, networkIDOf(t, s))
		},
		Config:            rolled,
		ConfigStateChecks: healthy(),
		Check: func(st *terraform.State) error {
			if attrInt(st, "hetzner_server_id") == primary {
				return fmt.Errorf("the second apply did not finish the roll: server %d is still the old one", primary)
			}
			return nil
		},
	}})
}
