package ipseclink

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// model is the Terraform state and plan of one link. Nested objects stay
// types.Object so unknown values during planning never fail a conversion.
type model struct {
	ID                 types.String   `tfsdk:"id"`
	Name               types.String   `tfsdk:"name"`
	Hetzner            types.Object   `tfsdk:"hetzner"`
	Azure              types.Object   `tfsdk:"azure"`
	IPsecPolicy        types.Object   `tfsdk:"ipsec_policy"`
	AllowWeakCrypto    types.Bool     `tfsdk:"allow_weak_crypto"`
	DPDTimeoutSeconds  types.Int64    `tfsdk:"dpd_timeout_seconds"`
	SharedKey          types.String   `tfsdk:"shared_key"`
	SharedKeyWO        types.String   `tfsdk:"shared_key_wo"`
	SharedKeyWOVersion types.Int64    `tfsdk:"shared_key_wo_version"`
	WaitForConnected   types.Bool     `tfsdk:"wait_for_connected"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`

	HetznerNetworkID     types.Int64  `tfsdk:"hetzner_network_id"`
	HetznerServerID      types.Int64  `tfsdk:"hetzner_server_id"`
	HetznerPrimaryIPID   types.Int64  `tfsdk:"hetzner_primary_ip_id"`
	HetznerFirewallID    types.Int64  `tfsdk:"hetzner_firewall_id"`
	HetznerPublicIPv4    types.String `tfsdk:"hetzner_public_ipv4"`
	HetznerPrivateIP     types.String `tfsdk:"hetzner_private_ip"`
	AzureGatewayID       types.String `tfsdk:"azure_gateway_id"`
	AzureGatewayPublicIP types.String `tfsdk:"azure_gateway_public_ip"`
	AzurePublicIPID      types.String `tfsdk:"azure_public_ip_id"`
	AzureLNGID           types.String `tfsdk:"azure_local_network_gateway_id"`
	AzureConnectionID    types.String `tfsdk:"azure_connection_id"`
	ConnectionStatus     types.String `tfsdk:"connection_status"`
	SwanctlConf          types.String `tfsdk:"swanctl_conf"`
	Drift                types.List   `tfsdk:"drift"`

	// High availability only; null for one server.
	HetznerFloatingIPID        types.Int64  `tfsdk:"hetzner_floating_ip_id"`
	HetznerStandbyServerID     types.Int64  `tfsdk:"hetzner_standby_server_id"`
	HetznerStandbyPrivateIP    types.String `tfsdk:"hetzner_standby_private_ip"`
	HetznerActiveServerID      types.Int64  `tfsdk:"hetzner_active_server_id"`
	HetznerPlacementGroupID    types.Int64  `tfsdk:"hetzner_placement_group_id"`
	AzureSecondPublicIPID      types.String `tfsdk:"azure_second_public_ip_id"`
	AzureGatewaySecondPublicIP types.String `tfsdk:"azure_gateway_second_public_ip"`
	CreatedResources           types.List   `tfsdk:"created_resources"`
}

type hetznerModel struct {
	NetworkID       types.Int64  `tfsdk:"network_id"`
	NetworkIPRange  types.String `tfsdk:"network_ip_range"`
	NetworkZone     types.String `tfsdk:"network_zone"`
	GatewaySubnet   types.String `tfsdk:"gateway_subnet"`
	GatewayIP       types.String `tfsdk:"gateway_ip"`
	Location        types.String `tfsdk:"location"`
	ServerType      types.String `tfsdk:"server_type"`
	Image           types.String `tfsdk:"image"`
	SSHKeyIDs       types.List   `tfsdk:"ssh_key_ids"`
	SSHAllowedCIDRs types.List   `tfsdk:"ssh_allowed_cidrs"`
	LocalPrefixes   types.List   `tfsdk:"local_prefixes"`
	// HighAvailability stays an object: null (one server), unknown or set.
	HighAvailability types.Object `tfsdk:"high_availability"`
}

type azureModel struct {
	ResourceGroupName       types.String `tfsdk:"resource_group_name"`
	Location                types.String `tfsdk:"location"`
	VirtualNetworkID        types.String `tfsdk:"virtual_network_id"`
	GatewaySubnetPrefix     types.String `tfsdk:"gateway_subnet_prefix"`
	GatewaySKU              types.String `tfsdk:"gateway_sku"`
	VirtualNetworkGatewayID types.String `tfsdk:"virtual_network_gateway_id"`
	RemotePrefixes          types.List   `tfsdk:"remote_prefixes"`
	ConnectionMode          types.String `tfsdk:"connection_mode"`
}

func hetznerAttrTypes() map[string]attr.Type {
	return map[string]attr.Type{
		"network_id": types.Int64Type, "network_ip_range": types.StringType, "network_zone": types.StringType,
		"gateway_subnet": types.StringType, "gateway_ip": types.StringType, "location": types.StringType,
		"server_type": types.StringType, "image": types.StringType,
		"ssh_key_ids":       types.ListType{ElemType: types.Int64Type},
		"ssh_allowed_cidrs": types.ListType{ElemType: types.StringType},
		"local_prefixes":    types.ListType{ElemType: types.StringType},
		"high_availability": types.ObjectType{AttrTypes: haAttrTypes()},
	}
}

func azureAttrTypes() map[string]attr.Type {
	return map[string]attr.Type{
		"resource_group_name": types.StringType, "location": types.StringType, "virtual_network_id": types.StringType,
		"gateway_subnet_prefix": types.StringType, "gateway_sku": types.StringType,
		"virtual_network_gateway_id": types.StringType,
		"remote_prefixes":            types.ListType{ElemType: types.StringType},
		"connection_mode":            types.StringType,
	}
}

// nested reads the two nested objects; ok is false when either is unknown
// (a whole object from an unknown variable), in which case planning checks
// wait for apply.
func (m *model) nested(ctx context.Context) (h hetznerModel, a azureModel, ok bool, diags diag.Diagnostics) {
	if m.Hetzner.IsNull() || m.Hetzner.IsUnknown() || m.Azure.IsNull() || m.Azure.IsUnknown() {
		return h, a, false, nil
	}
	opts := basetypes.ObjectAsOptions{}
	diags.Append(m.Hetzner.As(ctx, &h, opts)...)
	diags.Append(m.Azure.As(ctx, &a, opts)...)
	return h, a, !diags.HasError(), diags
}

// setNested writes the two nested objects back (after defaults such as
// local_prefixes, remote_prefixes and gateway_ip were resolved).
func (m *model) setNested(ctx context.Context, h hetznerModel, a azureModel) diag.Diagnostics {
	var diags diag.Diagnostics
	ho, d := types.ObjectValueFrom(ctx, hetznerAttrTypes(), h)
	diags.Append(d...)
	ao, d := types.ObjectValueFrom(ctx, azureAttrTypes(), a)
	diags.Append(d...)
	if !diags.HasError() {
		m.Hetzner, m.Azure = ho, ao
	}
	return diags
}

// stringList converts a list of strings; ok is false when it or any element
// is unknown.
func stringList(ctx context.Context, l types.List) (out []string, ok bool, diags diag.Diagnostics) {
	if l.IsUnknown() {
		return nil, false, nil
	}
	if l.IsNull() {
		return nil, true, nil
	}
	for _, e := range l.Elements() {
		if e.IsUnknown() {
			return nil, false, nil
		}
	}
	diags = l.ElementsAs(ctx, &out, false)
	return out, !diags.HasError(), diags
}

func listOfStrings(ss []string) types.List {
	vals := make([]attr.Value, 0, len(ss))
	for _, s := range ss {
		vals = append(vals, types.StringValue(s))
	}
	return types.ListValueMust(types.StringType, vals)
}
