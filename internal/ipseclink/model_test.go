package ipseclink

import (
	"context"
	"net/netip"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
)

func TestAttrPathFollowsDottedNames(t *testing.T) {
	cases := map[string]path.Path{
		"hetzner.gateway_ip":    path.Root("hetzner").AtName("gateway_ip"),
		"azure.remote_prefixes": path.Root("azure").AtName("remote_prefixes"),
		"shared_key":            path.Root("shared_key"),
	}
	for in, want := range cases {
		if got := attrPath(in); !got.Equal(want) {
			t.Errorf("attrPath(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestAddErrUsesNetplanAttribute(t *testing.T) {
	var d diag.Diagnostics
	err := addrplan.CheckGatewayIP(netip.MustParseAddr("10.0.0.1"), netip.MustParsePrefix("10.0.0.0/24"), netip.MustParsePrefix("10.0.0.0/12"))
	if err == nil {
		t.Fatal("the network's first IP must be refused as gateway IP")
	}
	addErr(&d, path.Root("fallback"), "x", err)
	if len(d) != 1 {
		t.Fatalf("want one diagnostic, got %v", d)
	}
	wd, ok := d[0].(diag.DiagnosticWithPath)
	if !ok || !wd.Path().Equal(path.Root("hetzner").AtName("gateway_ip")) {
		t.Fatalf("diagnostic not on hetzner.gateway_ip: %#v", d[0])
	}
}

func TestProgressRoundTripsThroughState(t *testing.T) {
	ctx := context.Background()
	m := emptyModel(t)
	p := &progress{
		Hetzner: hetznerProgress{NetworkID: 7, PrimaryIPID: 8, FirewallID: 9, ServerID: 10,
			PublicIPv4: netip.MustParseAddr("203.0.113.10"), PrivateIP: netip.MustParseAddr("10.0.1.1")},
		Azure: azureProgress{PublicIPID: "/pip", GatewayID: "/gw", GatewayPublicIP: netip.MustParseAddr("198.51.100.7"),
			LNGID: "/lng", ConnectionID: "/subscriptions/s/conn"},
		Status: "Connected", SharedKey: "k", Swanctl: "conf",
		Owned: owned{Network: true, Gateway: true},
	}
	if d := p.writeTo(ctx, m); d.HasError() {
		t.Fatal(d)
	}
	if got := m.ID.ValueString(); got != "7:/subscriptions/s/conn" {
		t.Errorf("id = %q", got)
	}
	back := progressFromState(m)
	if back.Hetzner.NetworkID != 7 || back.Hetzner.ServerID != 10 || back.Hetzner.PrivateIP != p.Hetzner.PrivateIP || back.Azure.GatewayPublicIP != p.Azure.GatewayPublicIP ||
		back.Azure.ConnectionID != p.Azure.ConnectionID || back.SharedKey != "k" || back.Owned != p.Owned {
		t.Errorf("round trip lost data: %+v", back)
	}
}

func TestPartialProgressLeavesNullsNotGarbage(t *testing.T) {
	m := emptyModel(t)
	p := &progress{Hetzner: hetznerProgress{NetworkID: 7}, Azure: azureProgress{GatewayID: "/gw"}, SharedKey: "k"}
	if d := p.writeTo(context.Background(), m); d.HasError() {
		t.Fatal(d)
	}
	if !m.ID.IsNull() || !m.HetznerServerID.IsNull() || !m.AzureConnectionID.IsNull() {
		t.Errorf("unknown parts must be null in a failed create's state: id=%v server=%v conn=%v", m.ID, m.HetznerServerID, m.AzureConnectionID)
	}
	if m.AzureGatewayID.ValueString() != "/gw" || m.SharedKey.ValueString() != "k" {
		t.Errorf("known parts must be kept: gateway=%v", m.AzureGatewayID)
	}
}

func TestPlanRepairOnlyWhenNeeded(t *testing.T) {
	state, plan := emptyModel(t), emptyModel(t)
	state.ID = types.StringValue("1:/c")
	state.HetznerServerID = types.Int64Value(3)
	state.AzureConnectionID = types.StringValue("/c")
	state.WaitForConnected = types.BoolValue(true)
	state.ConnectionStatus = types.StringValue("Connected")
	plan.HetznerServerID = types.Int64Value(3)
	planRepair(state, plan)
	if plan.HetznerServerID.IsUnknown() {
		t.Fatal("a healthy link must plan no repair")
	}
	state.ConnectionStatus = types.StringValue("NotConnected")
	planRepair(state, plan)
	if plan.HetznerServerID.IsUnknown() {
		t.Fatal("a tunnel that is merely down must not plan a repair on every plan")
	}
	state.Drift = listOfStrings([]string{"network route 10.1.0.0/16 -> 10.0.1.1 is missing"})
	planRepair(state, plan)
	if !plan.HetznerServerID.IsUnknown() || len(plan.Drift.Elements()) != 0 || plan.Drift.IsNull() {
		t.Fatalf("drift must plan a repair: server=%v drift=%v", plan.HetznerServerID, plan.Drift)
	}
}

func TestConfigHashTracksEverythingBakedIntoTheServer(t *testing.T) {
	base := hetznerSpec{ServerType: "cx22", Image: "debian-12", SSHKeyIDs: []int64{2, 1}}
	h := configHash([]byte("ud"), base, false)
	if len(h) != 32 {
		t.Fatalf("label value %q must fit Hetzner's 63-character limit", h)
	}
	reordered := base
	reordered.SSHKeyIDs = []int64{1, 2}
	if configHash([]byte("ud"), reordered, false) != h {
		t.Error("SSH key order must not force a server replacement")
	}
	for name, s := range map[string]hetznerSpec{
		"type":  {ServerType: "cx32", Image: "debian-12", SSHKeyIDs: []int64{1, 2}},
		"image": {ServerType: "cx22", Image: "ubuntu-24.04", SSHKeyIDs: []int64{1, 2}},
		"keys":  {ServerType: "cx22", Image: "debian-12", SSHKeyIDs: []int64{1}},
	} {
		if configHash([]byte("ud"), s, false) == h {
			t.Errorf("changing %s must change the hash", name)
		}
	}
	if configHash([]byte("ud2"), base, false) == h {
		t.Error("changing user_data must change the hash")
	}
}

func TestCheckReusable(t *testing.T) {
	good := &azure.Gateway{ID: "/gw", GatewayType: "Vpn", VPNType: "RouteBased", SKU: "VpnGw1AZ",
		ProvisioningState: "Succeeded", PublicIPIDs: []string{"/pip"}}
	if err := checkReusable("/gw", good); err != nil {
		t.Fatalf("a succeeded route-based VpnGw1AZ gateway must be reusable: %v", err)
	}
	bad := map[string]func(g *azure.Gateway){
		"policy-based": func(g *azure.Gateway) { g.VPNType = "PolicyBased" },
		"basic":        func(g *azure.Gateway) { g.SKU = "Basic" },
		"provisioning": func(g *azure.Gateway) { g.ProvisioningState = "Updating" },
		"no public ip": func(g *azure.Gateway) { g.PublicIPIDs = nil },
	}
	for name, mut := range bad {
		g := *good
		mut(&g)
		if err := checkReusable("/gw", &g); err == nil {
			t.Errorf("%s gateway must be refused", name)
		}
	}
	if err := checkReusable("/gw", nil); err == nil {
		t.Error("a missing gateway must be refused")
	}
}

// emptyModel is a model with null nested objects of the right types.
func emptyModel(t *testing.T) *model {
	t.Helper()
	return &model{
		Hetzner:     types.ObjectNull(hetznerAttrTypes()),
		Azure:       types.ObjectNull(azureAttrTypes()),
		Drift:       types.ListNull(types.StringType),
		IPsecPolicy: types.ObjectNull(nil),
	}
}
