package hcloudsim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// actionRec is one Hetzner action: `running` until FinishAt (clock time),
// then `success`, or `error` when the fault stream chose to fail it.
type actionRec struct {
	Action   schema.Action `json:"action"`
	Begin    time.Time     `json:"begin"`
	FinishAt time.Time     `json:"finish_at"`
	Fail     bool          `json:"fail"`
	// Lock is the resource this action locks while it runs (zero: none).
	Lock schema.ActionResourceReference `json:"lock"`
	// ServerStatus, when set, is the status ServerID gets on success.
	ServerID     int64  `json:"server_id,omitempty"`
	ServerStatus string `json:"server_status,omitempty"`
	// Effect, when set, is applied on success (WithRealTimeFailover).
	Effect *effectRec `json:"effect,omitempty"`
}

type ref = schema.ActionResourceReference

// Real-world durations (seconds) of each command, as [min, max]. The
// emulator picks a deterministic value in the range from the action ID and
// multiplies it by Clock.Scale, except for the failover actions under
// WithRealTimeFailover, which take the real-world value.
var actionSeconds = map[string][2]int{
	"create_server":       {10, 30},
	"start_server":        {3, 8},
	"delete_server":       {3, 6},
	"start_server_power":  {5, 10},
	"stop_server":         {3, 6},
	"shutdown_server":     {5, 15},
	"reboot_server":       {5, 15},
	"attach_to_network":   {1, 3},
	"detach_from_network": {1, 3},
	"add_subnet":          {1, 3},
	"delete_subnet":       {1, 3},
	"add_route":           {1, 3},
	"delete_route":        {1, 3},
	"change_ip_range":     {1, 3},
	"change_protection":   {1, 2},
	"assign_primary_ip":   {1, 3},
	"unassign_primary_ip": {1, 3},
	"create_primary_ip":   {1, 2},
	// Floating IP moves: Hetzner publishes no duration; 2-4 s is the
	// cautious estimate of docs/facts/hetzner.md, "Floating IP failover"
	// (unverified), as are the 1-3 s of add_route and delete_route.
	"assign_floating_ip":   {2, 4},
	"unassign_floating_ip": {1, 3},
	"change_dns_ptr":       {1, 2},
	"set_firewall_rules":   {1, 3},
	"apply_firewall":       {1, 3},
	"remove_firewall":      {1, 3},
}

// newAction starts an action. It reports whether the action will succeed;
// the caller applies the change only then, so a failed action (faults'
// lro_failure_rate) leaves state as it was, as a failed Hetzner action does.
func (c *call) newAction(command string, lock ref, resources ...ref) (*actionRec, bool) {
	st := c.s.st
	id := st.nextID("action")
	span := actionSeconds[command]
	if span == [2]int{} {
		span = [2]int{1, 3}
	}
	ms := span[0]*1000 + int(id*7919%int64((span[1]-span[0])*1000+1))
	dur := time.Duration(ms) * time.Millisecond
	if !c.s.realTime(command) {
		dur = c.s.env.Clock.Scaled(dur)
	}
	a := &actionRec{
		Action: schema.Action{
			ID: id, Command: command, Status: "running", Started: c.now,
			Resources: slices.Clone(resources),
		},
		Begin: c.now, FinishAt: c.now.Add(dur), Fail: c.s.env.Faults.FailLRO(), Lock: lock,
	}
	if a.Action.Resources == nil {
		a.Action.Resources = []ref{}
	}
	st.Actions[id] = a
	c.s.running[id] = a
	return a, !a.Fail
}

// settle finishes every action whose time has come. It runs at the start of
// each request, under s.mu, so reads always see finished work.
func (s *Server) settle(now time.Time) {
	s.settlePending(now)
	for id, a := range s.running {
		if a.Action.Status != "running" {
			delete(s.running, id)
			continue
		}
		if now.Before(a.FinishAt) {
			continue
		}
		delete(s.running, id)
		fin := a.FinishAt
		a.Action.Finished = &fin
		a.Action.Progress = 100
		if a.Fail {
			a.Action.Status = "error"
			a.Action.Error = &schema.ActionError{Code: "action_failed",
				Message: "action " + a.Action.Command + " failed (emulated fault: lro_failure_rate)"}
			// A server whose create failed exists but never booted.
			if r, ok := s.st.Servers[a.ServerID]; ok && a.Action.Command == "create_server" {
				r.Server.Status = "off"
			}
			continue
		}
		a.Action.Status = "success"
		if a.Effect != nil {
			s.applyEffect(a.Effect)
		}
		if a.ServerID != 0 && a.ServerStatus != "" {
			if r, ok := s.st.Servers[a.ServerID]; ok {
				r.Server.Status = a.ServerStatus
			}
		}
	}
}

// Operations lists every action of the project, for GET /_sim/operations.
// Hetzner keeps actions for good, and so does the emulator.
func (s *Server) Operations() []simenv.Operation {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.env.Clock.Now())
	out := make([]simenv.Operation, 0, len(s.st.Actions))
	for _, a := range s.st.Actions {
		targets := make([]string, len(a.Action.Resources))
		for i, r := range a.Action.Resources {
			targets[i] = r.Type + "/" + strconv.FormatInt(r.ID, 10)
		}
		out = append(out, simenv.Operation{
			Cloud: simenv.CloudHCloud, ID: strconv.FormatInt(a.Action.ID, 10), Kind: a.Action.Command,
			Target: strings.Join(targets, ","), Start: a.Begin, End: a.FinishAt,
			Running: a.Action.Status == "running", Failed: a.Fail,
		})
	}
	return out
}

// view returns the action as the API shows it, with progress interpolated
// between start and finish.
func (a *actionRec) view(now time.Time) schema.Action {
	v := a.Action
	v.Resources = slices.Clone(a.Action.Resources)
	if v.Status == "running" {
		total := a.FinishAt.Sub(a.Begin)
		if total > 0 {
			v.Progress = min(99, int(100*now.Sub(a.Begin)/total))
		}
	}
	return v
}

// lockedBy returns the running action that locks the resource, if any.
func (s *Server) lockedBy(typ string, id int64) *actionRec {
	for _, a := range s.running {
		if a.Action.Status == "running" && a.Lock.Type == typ && a.Lock.ID == id {
			return a
		}
	}
	return nil
}

// checkLocked refuses a change to a resource that has a running action. The
// API reference says `conflict` for change_ip_range and hcloud-go documents
// `locked` as "Item is locked (Another action is running)"; the emulator
// answers `locked` (HTTP 423), which hcloud-go does not retry on its own, so
// clients must wait for the running action as they should.
func (s *Server) checkLocked(typ string, id int64) *apiError {
	if a := s.lockedBy(typ, id); a != nil {
		return errf("locked", "%s %d is locked: action %d (%s) is still running; wait for it before changing the %s",
			typ, id, a.Action.ID, a.Action.Command, typ)
	}
	return nil
}

// actionGet answers GET /actions/{id}, /{kind}/actions/{id} and
// /{kind}/{rid}/actions/{id}.
func actionGet(resType string, rid, aid int64) handlerFunc {
	return func(c *call) (int, any, *apiError) {
		a, ok := c.s.st.Actions[aid]
		if !ok || !a.matches(resType, rid) {
			return 0, nil, notFound("action", aid)
		}
		return http.StatusOK, schema.ActionGetResponse{Action: a.view(c.now)}, nil
	}
}

func (a *actionRec) matches(resType string, rid int64) bool {
	if resType == "" {
		return true
	}
	for _, r := range a.Action.Resources {
		if r.Type == resType && (rid == 0 || r.ID == rid) {
			return true
		}
	}
	return false
}

// actionList answers GET /actions?id=..&status=..&sort=.. (what
// hcloud-go's WaitFor polls) and the per-kind and per-resource variants.
func actionList(resType string, rid int64) handlerFunc {
	return func(c *call) (int, any, *apiError) {
		q := c.r.URL.Query()
		ids := map[int64]bool{}
		for _, v := range q["id"] {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, nil, invalidField("id", "%q is not an action ID", v)
			}
			ids[id] = true
		}
		statuses := q["status"]
		var out []schema.Action
		for _, a := range c.s.st.Actions {
			if !a.matches(resType, rid) || (len(ids) > 0 && !ids[a.Action.ID]) ||
				(len(statuses) > 0 && !slices.Contains(statuses, a.Action.Status)) {
				continue
			}
			out = append(out, a.view(c.now))
		}
		return listResponse(c, out, map[string]func(a, b schema.Action) int{
			"id":       func(a, b schema.Action) int { return cmp.Compare(a.ID, b.ID) },
			"command":  func(a, b schema.Action) int { return cmp.Compare(a.Command, b.Command) },
			"status":   func(a, b schema.Action) int { return cmp.Compare(a.Status, b.Status) },
			"started":  func(a, b schema.Action) int { return a.Started.Compare(b.Started) },
			"finished": func(a, b schema.Action) int { return cmpTimePtr(a.Finished, b.Finished) },
		}, func(page []schema.Action) any { return schema.ActionListResponse{Actions: page} })
	}
}

func cmpTimePtr(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return a.Compare(*b)
}

func actionResponse(a *actionRec, now time.Time) schema.ActionGetResponse {
	return schema.ActionGetResponse{Action: a.view(now)}
}
