package ipseclink

import (
	"context"
	"maps"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

// nameRE keeps the link name valid as a Hetzner server hostname and inside
// Azure's naming rules once suffixes such as "-vgw-pip" are appended.
var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// Gateway SKUs a new link may use: custom IPsec policies need VpnGw1+, and
// since 2025-01-01 only the zone-redundant (AZ) variants can be created.
var allowedSKUs = []string{"VpnGw1AZ", "VpnGw2AZ", "VpnGw3AZ", "VpnGw4AZ", "VpnGw5AZ"}

func replace() []planmodifier.String {
	return []planmodifier.String{stringplanmodifier.RequiresReplace()}
}

func computedID(desc string) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, MarkdownDescription: desc,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
}

// Schema defines crosscloud_ipsec_link. Inputs that name where things live
// (network, location, VNet, gateway) force replacement; what the tunnel
// carries and how (policy, key, prefixes, DPD, SSH) is updated in place.
func (r *resourceImpl) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "One IKEv2/IPsec site-to-site link between a Hetzner Cloud network and an Azure virtual network. " +
			"It builds both sides from one crypto policy and one address plan: on Hetzner a gateway server running strongSwan " +
			"(configured by cloud-init), its primary IPv4, a firewall and the network route that sends Azure-bound traffic " +
			"to it; on Azure the GatewaySubnet, a Standard public IP, a route-based VPN gateway, the local network gateway " +
			"and the IPsec connection. Create waits until Azure reports the connection `Connected`.",
		Attributes: map[string]schema.Attribute{
			"id": computedID("`<hetzner_network_id>:<azure_connection_id>`, the import ID."),
			"name": schema.StringAttribute{Required: true, PlanModifiers: replace(),
				MarkdownDescription: "Name of the link, prefixing every sub-resource name (`<name>-gw`, `<name>-vgw`, ...). " +
					"Lowercase letters, digits and `-`, at most 40 characters.",
				Validators: []validator.String{stringvalidator.RegexMatches(nameRE,
					"must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit")}},
			"hetzner":             hetznerAttribute(),
			"azure":               azureAttribute(),
			"ipsec_policy":        policyattr.ResourceAttribute(),
			"allow_weak_crypto":   schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false), MarkdownDescription: "Allow DES, 3DES, MD5, DH groups 1/2/24 and PFS 1/2/24 in `ipsec_policy`. Only for peers that cannot do better."},
			"dpd_timeout_seconds": schema.Int64Attribute{Optional: true, Computed: true, Default: int64default.StaticInt64(45), Validators: []validator.Int64{int64validator.Between(ipsec.MinDPDTimeout, ipsec.MaxDPDTimeout)}, MarkdownDescription: "Dead peer detection timeout of the Azure connection (9-3600 s, Azure's default 45). The strongSwan side probes at a third of it."},
			"shared_key": schema.StringAttribute{Optional: true, Computed: true, Sensitive: true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
				Validators:          []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("shared_key_wo"))},
				MarkdownDescription: "Pre-shared key of the tunnel. Generated (64 characters) when neither it nor `shared_key_wo` is set, and kept in state. Printable ASCII without space, `-` or `~` (Azure's rule). Prefer `shared_key_wo`, which keeps the key out of state."},
			"shared_key_wo": schema.StringAttribute{Optional: true, WriteOnly: true, Sensitive: true,
				Validators: []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("shared_key")),
					stringvalidator.AlsoRequires(path.MatchRoot("shared_key_wo_version"))},
				MarkdownDescription: "Write-only pre-shared key (Terraform 1.11+ / OpenTofu 1.11+): sent to Azure and the gateway server, never stored in plan or state. " +
					"Feed it from `ephemeral \"crosscloud_shared_key\"` or a secret store. Conflicts with `shared_key`; needs `shared_key_wo_version`. " +
					"Terraform cannot see a change of a write-only value: bump `shared_key_wo_version` to rotate the key on both sides. " +
					"A key changed outside Terraform is still found at refresh (the link keeps a salted HMAC of the key in private state) and the next apply writes the configured key back."},
			"shared_key_wo_version": schema.Int64Attribute{Optional: true,
				Validators:          []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("shared_key_wo"))},
				MarkdownDescription: "Any number; changing it applies the current `shared_key_wo` to Azure's connection and the gateway server, in place. The Azure gateway stays; the Hetzner server is rebuilt with the new key, keeping its IPs."},
			"wait_for_connected": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true), MarkdownDescription: "Return from create only when Azure reports the connection `Connected` (the tunnel carries traffic)."},
			"timeouts":           timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),

			"hetzner_network_id":             schema.Int64Attribute{Computed: true, MarkdownDescription: "ID of the Hetzner network (created or given).", PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"hetzner_server_id":              schema.Int64Attribute{Computed: true, MarkdownDescription: "ID of the strongSwan gateway server."},
			"hetzner_primary_ip_id":          schema.Int64Attribute{Computed: true, MarkdownDescription: "ID of the gateway's primary IPv4, which survives server replacement.", PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"hetzner_firewall_id":            schema.Int64Attribute{Computed: true, MarkdownDescription: "ID of the gateway's firewall.", PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"hetzner_public_ipv4":            computedID("Public IPv4 of the gateway server (the IKE identity Azure sees)."),
			"hetzner_private_ip":             computedID("Private IP of the gateway server in the Hetzner network; the network route points here."),
			"azure_gateway_id":               computedID("ID of the Azure virtual network gateway (created or reused)."),
			"azure_gateway_public_ip":        computedID("Public IP of the Azure VPN gateway."),
			"azure_public_ip_id":             computedID("ID of the gateway's public IP resource (null when the gateway is reused)."),
			"azure_local_network_gateway_id": computedID("ID of the local network gateway describing the Hetzner side."),
			"azure_connection_id":            computedID("ID of the IPsec connection."),
			"connection_status":              schema.StringAttribute{Computed: true, MarkdownDescription: "Azure's connection status at the last refresh: `Unknown`, `Connecting`, `Connected` or `NotConnected`."},
			"swanctl_conf":                   schema.StringAttribute{Computed: true, MarkdownDescription: "The strongSwan configuration the gateway server runs, without the secret."},
			"created_resources": schema.ListAttribute{Computed: true, ElementType: types.StringType,
				PlanModifiers: []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Sub-resources this link created and so deletes on destroy, among `hetzner_network`, `hetzner_gateway_subnet`, " +
					"`azure_gateway_subnet` and `azure_gateway`. What it was given or found (an existing network, subnet or gateway) is left alone. " +
					"A subnet the link creates is also recorded on its parent (the VNet tag `crosscloud-gateway-subnet`, the network label " +
					"`crosscloud.dev/subnet-<address>-<bits>`), so a re-run after a killed apply, a lost state or an import still lists it."},
			"drift": schema.ListAttribute{Computed: true, ElementType: types.StringType,
				MarkdownDescription: "What the last refresh found changed outside Terraform (a deleted route, changed firewall rules, a deleted connection, ...). A plan shows it going to `[]`: apply repairs it."},
		},
	}
	maps.Copy(resp.Schema.Attributes, haComputedAttributes())
}

func hetznerAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{Required: true,
		MarkdownDescription: "The Hetzner Cloud side.",
		Attributes: map[string]schema.Attribute{
			"network_id": schema.Int64Attribute{Optional: true, PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
				MarkdownDescription: "Existing network to join. Its range must contain every Azure prefix. Exactly one of `network_id` and `network_ip_range`.",
				Validators:          []validator.Int64{int64validator.ExactlyOneOf(path.MatchRelative().AtParent().AtName("network_ip_range"))}},
			"network_ip_range": schema.StringAttribute{Optional: true, PlanModifiers: replace(),
				MarkdownDescription: "Create a network with this RFC 1918 range. It must contain every Azure prefix: that is what lets one network-level route send Azure-bound traffic from every Hetzner server to the gateway (e.g. `10.0.0.0/12` for Azure `10.1.0.0/16`)."},
			"network_zone": schema.StringAttribute{Optional: true, Computed: true,
				PlanModifiers:       []planmodifier.String{zoneFromLocation{}, stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.OneOf("eu-central", "us-east", "us-west", "ap-southeast")},
				MarkdownDescription: "Network zone of the gateway subnet; must match `location`. Default: the zone of `location` (`eu-central` for `fsn1`, `nbg1`, `hel1`; `us-east` for `ash`; `us-west` for `hil`; `ap-southeast` for `sin`)."},
			"gateway_subnet": schema.StringAttribute{Required: true, PlanModifiers: replace(),
				MarkdownDescription: "Subnet of the network the gateway server joins; created when absent."},
			"gateway_ip": schema.StringAttribute{Optional: true, Computed: true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
				MarkdownDescription: "Private IP of the gateway server; default: the first free host of `gateway_subnet`. Never the network's first IP (Hetzner's router)."},
			"location": schema.StringAttribute{Required: true, PlanModifiers: replace(),
				MarkdownDescription: "Hetzner location of the gateway server (`nbg1`, `fsn1`, `hel1`, `ash`, `hil`, `sin`). Checked at plan against the locations Hetzner reports."},
			"server_type": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultServerType),
				PlanModifiers: []planmodifier.String{keepStateWhenUnset{}},
				MarkdownDescription: "Server type of the gateway. Default `" + defaultServerType + "` (2 shared AMD vCPUs, 4 GB RAM): " +
					"a current type Hetzner offers in every location, so the default works in `ash`, `hil` and `sin` too. The former default " +
					"`cx22` was deprecated in October 2025 and removed from sale; its successor `cx23` is cheaper but offered in the EU " +
					"locations only, so set it there if cost matters. At plan the type must be offered, available and not deprecated in " +
					"`location`; the error lists what is. A link created with an older default keeps its type until you set this. " +
					"Changing it replaces the server, keeping its public and private IPs; the replacement is refused before the old " +
					"server is deleted when the new one cannot be ordered."},
			"image": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("debian-12"),
				MarkdownDescription: "Image of the gateway (Debian 12 or Ubuntu 22.04/24.04 with strongSwan 5.9+). Checked at plan: it must exist for the architecture of `server_type`. Changing it replaces the server."},
			"ssh_key_ids": schema.ListAttribute{Optional: true, Computed: true, ElementType: types.Int64Type,
				Default:             listdefault.StaticValue(types.ListValueMust(types.Int64Type, []attr.Value{})),
				MarkdownDescription: "SSH keys installed on the gateway. Changing them replaces the server."},
			"ssh_allowed_cidrs": schema.ListAttribute{Optional: true, Computed: true, ElementType: types.StringType,
				Default:             listdefault.StaticValue(types.ListValueMust(types.StringType, []attr.Value{})),
				MarkdownDescription: "Sources allowed to reach the gateway on TCP 22. Default: none (SSH closed); IKE (UDP 500/4500) and ESP are open to the Azure gateway only."},
			"local_prefixes": schema.ListAttribute{Optional: true, Computed: true, ElementType: types.StringType,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Hetzner prefixes announced to Azure (the local network gateway and the tunnel's local traffic selector). Default: the network's subnets."},
			"high_availability": haAttribute(),
		},
	}
}

func azureAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{Required: true,
		MarkdownDescription: "The Azure side.",
		Attributes: map[string]schema.Attribute{
			"resource_group_name": schema.StringAttribute{Required: true, PlanModifiers: replace(),
				MarkdownDescription: "Resource group for the gateway, local network gateway and connection."},
			"location": schema.StringAttribute{Required: true,
				PlanModifiers: []planmodifier.String{sameLocation{}, stringplanmodifier.RequiresReplace()},
				MarkdownDescription: "Azure region of the VNet, e.g. `westeurope` (`West Europe` is the same region and plans no change). " +
					"Checked against the VNet at plan time."},
			"virtual_network_id": schema.StringAttribute{Required: true, PlanModifiers: replace(),
				MarkdownDescription: "ID of the existing VNet to join."},
			"gateway_subnet_prefix": schema.StringAttribute{Optional: true, PlanModifiers: replace(),
				MarkdownDescription: "Prefix for the `GatewaySubnet`, created when the VNet has none (a /27 or larger inside the VNet). Ignored when the VNet already has one."},
			"gateway_sku": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("VpnGw1AZ"), PlanModifiers: replace(),
				Validators:          []validator.String{stringvalidator.OneOf(allowedSKUs...)},
				MarkdownDescription: "SKU of a new VPN gateway. Only the AZ SKUs can be created since 2025-01-01; Basic does not support custom IPsec policies."},
			"virtual_network_gateway_id": schema.StringAttribute{Optional: true, PlanModifiers: replace(),
				MarkdownDescription: "Reuse this existing route-based VPN gateway instead of creating one (minutes instead of 45). It is never deleted by this resource."},
			"remote_prefixes": schema.ListAttribute{Optional: true, Computed: true, ElementType: types.StringType,
				PlanModifiers:       []planmodifier.List{listplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Azure prefixes reachable through the tunnel; each gets a Hetzner network route to the gateway. Default: the VNet's IPv4 address space (IPv6 prefixes of a dual-stack VNet are left out, with a warning)."},
			"connection_mode": connectionModeAttribute(),
		},
	}
}
