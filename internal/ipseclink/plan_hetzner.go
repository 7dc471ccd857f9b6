package ipseclink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// defaultServerType is the gateway's server type when hetzner.server_type is
// unset. cpx22 (2 shared AMD vCPUs, 4 GB) is offered in every Hetzner
// location, so a link in ash, hil or sin works with the defaults; the old
// default cx22 (like every CX gen-2 and CPX gen-1 type) was deprecated on
// 2025-10-16 and removed from sale, and its successor cx23 is offered in
// the EU locations only (docs/facts/hetzner.md, "Server types").
const defaultServerType = "cpx22"

// keepStateWhenUnset keeps the value a link was created with while the
// attribute stays unset, so changing a default (server_type cx22 -> cpx22)
// does not replace the gateway server of every existing link on upgrade.
type keepStateWhenUnset struct{}

func (keepStateWhenUnset) Description(context.Context) string {
	return "keeps the value in state while the attribute is not set"
}

func (m keepStateWhenUnset) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (keepStateWhenUnset) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.ConfigValue.IsNull() && !req.StateValue.IsNull() && !req.StateValue.IsUnknown() {
		resp.PlanValue = req.StateValue
	}
}

// zoneFromLocation plans network_zone from location when it is not set: a
// server joins only subnets of its location's zone, so there is one right
// value (hetzner.LocationZones). A location missing from that table stays
// unknown here; checkOffer then asks for network_zone with the zone the
// API reports.
type zoneFromLocation struct{}

func (zoneFromLocation) Description(context.Context) string {
	return "defaults to the network zone of location"
}

func (m zoneFromLocation) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (zoneFromLocation) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if !req.ConfigValue.IsNull() {
		return
	}
	var loc types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, req.Path.ParentPath().AtName("location"), &loc)...)
	if zone, ok := hetzner.LocationZones[loc.ValueString()]; ok && !loc.IsUnknown() {
		resp.PlanValue = types.StringValue(zone)
	}
}

// zoneOf is the network zone of the hetzner block h: network_zone, else the one of its
// location (empty when neither is known).
func zoneOf(h *hetznerSpec) string {
	if h.Zone != "" {
		return h.Zone
	}
	return hetzner.LocationZones[h.Location]
}

// checkOffer checks at plan, with reads only, that the gateway server can be
// ordered: location exists, server_type is offered, available and not
// deprecated there, image exists for its architecture (hetzner.CheckOrderable).
// Problems are errors on create and when location, server_type or image
// change; on other updates they are warnings, because only a change that
// replaces the server meets them, and ReplaceServer refuses that before
// deleting anything.
func checkOffer(ctx context.Context, hc *hcloud.Client, req resource.ModifyPlanRequest, s *spec, diags *diag.Diagnostics) {
	if s.Hetzner.Location == "" || s.Hetzner.ServerType == "" || s.Hetzner.Image == "" {
		return // unknown at plan; Create checks again before building anything
	}
	cat, err := hetzner.ReadCatalogue(ctx, hc, s.Hetzner.ServerType, s.Hetzner.Image)
	if err != nil {
		diags.AddAttributeError(pathHetzner.AtName("location"), "Reading Hetzner's server types and images", err.Error())
		return
	}
	warnings, err := hetznerJudge(cat, s)
	asError := true
	if !req.State.Raw.IsNull() {
		var state model
		diags.Append(req.State.Get(ctx, &state)...)
		if old, ok, _ := stateHetzner(ctx, &state); ok {
			asError = old.Location.ValueString() != s.Hetzner.Location || old.ServerType.ValueString() != s.Hetzner.ServerType ||
				old.Image.ValueString() != s.Hetzner.Image
		}
	}
	var op *hetzner.OrderProblem
	switch {
	case errors.As(err, &op):
		at := pathHetzner.AtName(op.Attribute)
		msg := fmt.Sprintf("hetzner.%s: %s.", op.Attribute, op.Message)
		if op.Attribute == "server_type" && configNull(ctx, req, "server_type") {
			msg += fmt.Sprintf(" server_type is not set: the link keeps the type it was created with (%s); set server_type = %q, today's default, or another type offered in %s.",
				s.Hetzner.ServerType, defaultServerType, s.Hetzner.Location)
		}
		if asError {
			diags.AddAttributeError(at, "Gateway server cannot be ordered", msg)
		} else {
			diags.AddAttributeWarning(at, "Gateway server could not be replaced",
				msg+" A change that replaces the gateway server will stop before deleting the current one.")
		}
	case err != nil:
		diags.AddAttributeError(pathHetzner.AtName("server_type"), "Checking the gateway server type", err.Error())
	}
	for _, w := range warnings {
		diags.AddAttributeWarning(pathHetzner.AtName("server_type"), "Deprecated by Hetzner", w+".")
	}
	if zoneOf(&s.Hetzner) == "" {
		i := slices.IndexFunc(cat.Locations, func(l *hcloud.Location) bool { return l.Name == s.Hetzner.Location })
		if i >= 0 {
			diags.AddAttributeError(pathHetzner.AtName("network_zone"), "Network zone needed",
				fmt.Sprintf("hetzner.network_zone: crosscloud does not know the network zone of location %s; Hetzner reports %q, so set network_zone = %q.",
					s.Hetzner.Location, cat.Locations[i].NetworkZone, cat.Locations[i].NetworkZone))
		}
	}
}

// timeNow is when deprecations are judged.
var timeNow = time.Now

// hetznerJudge applies CheckOrderable's rules to a catalogue already read.
func hetznerJudge(cat *hetzner.Catalogue, s *spec) ([]string, error) {
	return cat.Judge(s.Hetzner.Location, s.Hetzner.ServerType, s.Hetzner.Image, timeNow())
}

// preflightHetzner is checkOffer at apply, for a create whose location,
// server_type or image were unknown at plan, or whose type sold out since:
// it fails before the Azure gateway (45 minutes) or anything else is built.
func preflightHetzner(ctx context.Context, hc *hcloud.Client, s *spec) error {
	_, err := hetzner.CheckOrderable(ctx, hc, s.Hetzner.Location, s.Hetzner.ServerType, s.Hetzner.Image)
	var op *hetzner.OrderProblem
	if errors.As(err, &op) {
		return fmt.Errorf("hetzner.%s: %s; nothing was created", op.Attribute, op.Message)
	}
	return err
}

func stateHetzner(ctx context.Context, m *model) (hetznerModel, bool, diag.Diagnostics) {
	h, _, ok, d := m.nested(ctx)
	return h, ok, d
}

// configNull reports whether hetzner.<name> is unset in the configuration.
func configNull(ctx context.Context, req resource.ModifyPlanRequest, name string) bool {
	var v types.String
	if d := req.Config.GetAttribute(ctx, pathHetzner.AtName(name), &v); d.HasError() {
		return false
	}
	return v.IsNull()
}
