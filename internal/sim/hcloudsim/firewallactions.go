package hcloudsim

import (
	"iter"
	"maps"
	"slices"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

func mapsKeys[K comparable, V any](m map[K]V) iter.Seq[K] { return maps.Keys(m) }

var updateFirewall = updater(firewalls,
	func(req *schema.FirewallUpdateRequest) edit { return edit{req.Name, req.Labels} }, nil)

// deleteFirewall refuses a firewall that is still applied
// ("Firewall must not be in use to be deleted", hcloud-go resource_in_use),
// including to a deleted server it still lists (propagation.go).
var deleteFirewall = firewalls.deleter(func(_ *call, f *schema.Firewall) *apiError {
	if len(f.AppliedTo) > 0 {
		return errf("resource_in_use", "firewall %d is still applied to %d resource(s); remove it from them first", f.ID, len(f.AppliedTo))
	}
	return nil
}, func(c *call, f *schema.Firewall) { c.emit("hcloud.firewall.deleted", f.ID) })

var firewallActions = map[string]actionFunc{
	"set_rules":             actAll(firewalls, evenIfLocked, setFirewallRules),
	"apply_to_resources":    actAll(firewalls, evenIfLocked, applyFirewall),
	"remove_from_resources": actAll(firewalls, evenIfLocked, removeFirewall),
}

// firewallActionsResponse is the {"actions":[...]} body all three firewall
// actions share.
func firewallActionsResponse(acts ...*actionRec) schema.FirewallActionSetRulesResponse {
	return schema.FirewallActionSetRulesResponse{Actions: viewAll(acts)}
}

func viewAll(acts []*actionRec) []schema.Action {
	out := make([]schema.Action, 0, len(acts))
	for _, a := range acts {
		out = append(out, a.view(a.Begin))
	}
	return out
}

func setFirewallRules(c *call, f *schema.Firewall, req *schema.FirewallActionSetRulesRequest) ([]*actionRec, *apiError) {
	rules, err := checkRules(req.Rules)
	if err != nil {
		return nil, err
	}
	a, ok := c.newAction("set_firewall_rules", ref{}, firewalls.ref(f.ID))
	if ok {
		f.Rules = rules
		c.emit("hcloud.firewall.updated", f.ID)
	}
	return []*actionRec{a}, nil
}

func applyFirewall(c *call, f *schema.Firewall, req *schema.FirewallActionApplyToResourcesRequest) ([]*actionRec, *apiError) {
	res, err := c.s.checkApply(f, req.ApplyTo)
	if err != nil {
		return nil, err
	}
	var acts []*actionRec
	for _, x := range res {
		a, ok := c.newAction("apply_firewall", ref{}, firewalls.ref(f.ID), targetRef(x))
		if ok {
			f.AppliedTo = append(f.AppliedTo, x)
		}
		acts = append(acts, a)
	}
	c.emit("hcloud.firewall.updated", f.ID)
	return acts, nil
}

func removeFirewall(c *call, f *schema.Firewall, req *schema.FirewallActionRemoveFromResourcesRequest) ([]*actionRec, *apiError) {
	idx := make([]int, 0, len(req.RemoveFrom))
	for _, x := range req.RemoveFrom {
		// A server that no longer exists (deleted, but still listed while
		// the deletion propagates) is "Resource a firewall should be
		// attached to / detached from not found" (hcloud-go
		// ErrorCodeFirewallResourceNotFound), which terraform-provider-hcloud
		// treats as done. terraform-provider-hcloud#1379 (2026-04) saw the
		// generic not_found in the same situation; clients should accept
		// both.
		if x.Server != nil {
			if _, ok := c.s.st.Servers[x.Server.ID]; !ok {
				return nil, errf("firewall_resource_not_found", "server %d not found", x.Server.ID)
			}
		}
		i := slices.IndexFunc(f.AppliedTo, func(a schema.FirewallResource) bool {
			return a.Type == x.Type && ((a.Server != nil && x.Server != nil && a.Server.ID == x.Server.ID) ||
				(a.LabelSelector != nil && x.LabelSelector != nil && a.LabelSelector.Selector == x.LabelSelector.Selector))
		})
		if i < 0 {
			// firewall_already_removed "is not used by the API anymore"
			// since the 2025-08-04 firewall changes (hcloud-go #748). What
			// replaced it is not documented; the emulator treats removing
			// what is not applied as a no-op (unverified).
			continue
		}
		idx = append(idx, i)
	}
	var acts []*actionRec
	var keep []bool = make([]bool, len(f.AppliedTo))
	for i := range keep {
		keep[i] = true
	}
	for _, i := range idx {
		a, ok := c.newAction("remove_firewall", ref{}, firewalls.ref(f.ID), targetRef(f.AppliedTo[i]))
		if ok {
			keep[i] = false
		}
		acts = append(acts, a)
	}
	var next []schema.FirewallResource
	for i, x := range f.AppliedTo {
		if keep[i] {
			next = append(next, x)
		}
	}
	f.AppliedTo = next
	c.emit("hcloud.firewall.updated", f.ID)
	return acts, nil
}
