package ipseclink

import (
	"net/netip"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// haProgress is what the HA steps built; it lives in progress (and so in
// state, even after a failed apply) like every other ID.
type haProgress struct {
	FloatingIPID     int64
	StandbyServerID  int64
	StandbyPrivateIP netip.Addr
	// ActiveServerID is the server holding the Floating IP at the last
	// apply or refresh; the servers move it on their own.
	ActiveServerID        int64
	SecondPublicIPID      string
	GatewaySecondPublicIP netip.Addr
	// PlacementGroupID is the spread group both servers are created in.
	// It outlives leaving HA (the remaining server is still in it) and
	// goes with the link.
	PlacementGroupID int64
}

// pair reports whether anything of the pair itself is left to remove when
// high_availability goes; the placement group is not (see above).
func (h haProgress) pair() bool {
	h.PlacementGroupID = 0
	return h != haProgress{}
}

func haComputedAttributes() map[string]schema.Attribute {
	keep := []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}
	return map[string]schema.Attribute{
		"hetzner_floating_ip_id": schema.Int64Attribute{Computed: true, PlanModifiers: keep,
			MarkdownDescription: "High availability: ID of the Floating IP the pair shares (its address is `hetzner_public_ipv4`). Null for one server."},
		"hetzner_standby_server_id": schema.Int64Attribute{Computed: true,
			MarkdownDescription: "High availability: ID of the second gateway server (`<name>-gw-b`; `hetzner_server_id` is `<name>-gw`)."},
		"hetzner_placement_group_id": schema.Int64Attribute{Computed: true, PlanModifiers: keep,
			MarkdownDescription: "High availability: ID of the spread placement group (`<name>-gw-spread`) the servers are created in, so no one physical host carries both. It stays after `high_availability` is removed (the remaining server is in it) and is deleted with the link."},
		"hetzner_standby_private_ip": computedID("High availability: private IP of the second gateway server."),
		"hetzner_active_server_id": schema.Int64Attribute{Computed: true,
			MarkdownDescription: "High availability: the server that held the Floating IP at the last refresh (the active gateway); null when neither does."},
		"azure_second_public_ip_id":      computedID("High availability: ID of the public IP of the Azure gateway's second instance."),
		"azure_gateway_second_public_ip": computedID("High availability: address of the Azure gateway's second instance; the Hetzner side keeps a tunnel to each."),
	}
}

func haProgressFromState(m *model) haProgress {
	h := haProgress{
		FloatingIPID:     m.HetznerFloatingIPID.ValueInt64(),
		StandbyServerID:  m.HetznerStandbyServerID.ValueInt64(),
		ActiveServerID:   m.HetznerActiveServerID.ValueInt64(),
		SecondPublicIPID: m.AzureSecondPublicIPID.ValueString(),
		PlacementGroupID: m.HetznerPlacementGroupID.ValueInt64(),
	}
	h.StandbyPrivateIP, _ = netip.ParseAddr(m.HetznerStandbyPrivateIP.ValueString())
	h.GatewaySecondPublicIP, _ = netip.ParseAddr(m.AzureGatewaySecondPublicIP.ValueString())
	return h
}

// writeTo copies the HA fields into m; zero values become null.
func (h haProgress) writeTo(m *model) {
	i64 := func(v int64) types.Int64 {
		if v == 0 {
			return types.Int64Null()
		}
		return types.Int64Value(v)
	}
	addr := func(a netip.Addr) types.String {
		if !a.IsValid() {
			return types.StringNull()
		}
		return types.StringValue(a.String())
	}
	m.HetznerFloatingIPID, m.HetznerStandbyServerID = i64(h.FloatingIPID), i64(h.StandbyServerID)
	m.HetznerActiveServerID, m.HetznerStandbyPrivateIP = i64(h.ActiveServerID), addr(h.StandbyPrivateIP)
	m.HetznerPlacementGroupID = i64(h.PlacementGroupID)
	m.AzureSecondPublicIPID, m.AzureGatewaySecondPublicIP = types.StringNull(), addr(h.GatewaySecondPublicIP)
	if h.SecondPublicIPID != "" {
		m.AzureSecondPublicIPID = types.StringValue(h.SecondPublicIPID)
	}
}

// planHAToggle plans the pair's computed values when high_availability
// comes or goes. UseStateForUnknown would keep the previous values, null
// or not; turning HA on makes them known only after apply, turning it off
// makes them null (the placement group stays, see haProgress), and either
// way hetzner_public_ipv4 moves between the primary IP and the Floating IP.
func planHAToggle(state, plan *model, haOn bool) {
	stateOn := false
	if v, ok := state.Hetzner.Attributes()["high_availability"]; ok {
		stateOn = !v.IsNull()
	}
	switch {
	case haOn && !stateOn:
		for _, v := range []*types.Int64{&plan.HetznerFloatingIPID, &plan.HetznerStandbyServerID, &plan.HetznerActiveServerID} {
			*v = types.Int64Unknown()
		}
		for _, v := range []*types.String{&plan.HetznerStandbyPrivateIP, &plan.AzureSecondPublicIPID, &plan.AzureGatewaySecondPublicIP, &plan.HetznerPublicIPv4} {
			*v = types.StringUnknown()
		}
		if state.HetznerPlacementGroupID.IsNull() {
			plan.HetznerPlacementGroupID = types.Int64Unknown()
		}
	case !haOn && stateOn:
		for _, v := range []*types.Int64{&plan.HetznerFloatingIPID, &plan.HetznerStandbyServerID, &plan.HetznerActiveServerID} {
			*v = types.Int64Null()
		}
		for _, v := range []*types.String{&plan.HetznerStandbyPrivateIP, &plan.AzureSecondPublicIPID, &plan.AzureGatewaySecondPublicIP} {
			*v = types.StringNull()
		}
		plan.HetznerPublicIPv4 = types.StringUnknown()
	}
}
