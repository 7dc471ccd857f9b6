package gatewayroute

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// planFor runs the resource's ModifyPlan for a create of m, the way
// Terraform would, and returns the response. The acceptance tests cannot
// see warnings, so this is where the plan's warnings are checked.
func planFor(t *testing.T, hc *hcloud.Client, m model) resource.ModifyPlanResponse {
	t.Helper()
	ctx := context.Background()
	r := &resourceImpl{clients: clients.New(clients.Options{HCloud: hc})}
	var sr resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sr)
	null := tftypes.NewValue(sr.Schema.Type().TerraformType(ctx), nil)
	plan := tfsdk.Plan{Schema: sr.Schema, Raw: null}
	m.ID, m.NetworkIPRange = types.StringUnknown(), types.StringUnknown()
	m.Timeouts = timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
		"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType})}
	if d := plan.Set(ctx, &m); d.HasError() {
		t.Fatal(d)
	}
	req := resource.ModifyPlanRequest{Plan: plan, State: tfsdk.State{Schema: sr.Schema, Raw: null},
		Config: tfsdk.Config{Schema: sr.Schema, Raw: plan.Raw}}
	resp := resource.ModifyPlanResponse{Plan: plan}
	r.ModifyPlan(ctx, req, &resp)
	return resp
}

func TestModifyPlanWarnsAndPlansGrowthWithoutChangingAnything(t *testing.T) {
	inst := simtest.Start(t)
	env := inst.Env()
	hc := hcloud.NewClient(hcloud.WithToken(env["HCLOUD_TOKEN"]), hcloud.WithEndpoint(env["HCLOUD_ENDPOINT"]),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(time.Millisecond)}))
	ctx := context.Background()
	_, rng, _ := net.ParseCIDR("10.0.0.0/16")
	_, sub, _ := net.ParseCIDR("10.0.1.0/24")
	n, _, err := hc.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: "n", IPRange: rng,
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: sub, NetworkZone: hcloud.NetworkZoneEUCentral}}})
	if err != nil {
		t.Fatal(err)
	}
	m := model{NetworkID: types.Int64Value(n.ID), Destination: types.StringValue("10.1.0.0/16"),
		Gateway: types.StringValue("10.0.1.1"), ExpandNetworkIPRange: types.BoolValue(true)}
	before := inst.Stats(t).MutationsTotal

	resp := planFor(t, hc, m)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	wantWarnings(t, resp.Diagnostics, map[string]string{
		"expand_network_ip_range": "will grow from 10.0.0.0/16 to 10.0.0.0/15",
		"gateway":                 "No server in network",
	})
	var planned types.String
	resp.Plan.GetAttribute(ctx, path.Root("network_ip_range"), &planned)
	if planned.ValueString() != "10.0.0.0/15" {
		t.Fatalf("planned network_ip_range %v, want 10.0.0.0/15", planned)
	}
	if after := inst.Stats(t).MutationsTotal; after != before {
		t.Fatalf("ModifyPlan made %d mutations; planning must only read", after-before)
	}

	// A server holding the gateway IP silences the gateway warning.
	res, _, err := hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: "gw", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := hc.Action.WaitFor(ctx, append(res.NextActions, res.Action)...); err != nil {
		t.Fatal(err)
	}
	a, _, err := hc.Server.AttachToNetwork(ctx, res.Server, hcloud.ServerAttachToNetworkOpts{Network: n, IP: net.ParseIP("10.0.1.1")})
	if err != nil {
		t.Fatal(err)
	}
	if err := hc.Action.WaitFor(ctx, a); err != nil {
		t.Fatal(err)
	}
	resp = planFor(t, hc, m)
	wantWarnings(t, resp.Diagnostics, map[string]string{"expand_network_ip_range": "can only grow"})
}

// wantWarnings asserts one warning per attribute, each containing its text.
func wantWarnings(t *testing.T, diags diag.Diagnostics, want map[string]string) {
	t.Helper()
	wantOnAttrs(t, "warning", diags.Warnings(), diags, want)
}
