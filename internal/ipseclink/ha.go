package ipseclink

import (
	"context"
	"fmt"
	"net/url"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// High availability (hetzner.high_availability): two gateway servers behind
// one Hetzner Floating IP, which is the only address Azure knows. Azure
// cannot take two static-routing devices announcing the same prefixes, so
// the pair presents one endpoint; keepalived on the servers elects the
// active one, whose notify script moves the Floating IP and the network
// route through the Hetzner API (internal/cloudinit, ha.go and
// failover.go). The Azure gateway runs active-active, so an Azure instance
// failure costs one of two tunnels, not the link. Facts and sources:
// docs/facts/hetzner.md "Floating IP failover", docs/facts/azure.md
// "Active-active gateways".

// VRRP priorities of the two servers: the primary wins the first election
// when both boot together; with nopreempt neither takes the address back.
const (
	priorityPrimary = 200
	priorityStandby = 100
)

var (
	pathHA      = pathHetzner.AtName("high_availability")
	pathHAToken = pathHA.AtName("hcloud_token_wo")
)

// haSpec is the HA part of a spec (spec.Hetzner.HA); nil means one
// gateway server.
type haSpec struct {
	// StandbyLocation is the standby server's location (default: the
	// primary's); in the same network zone, since both join the subnet.
	StandbyLocation string
	// APIEndpoint is the Hetzner API the servers' failover agent calls.
	APIEndpoint string
	// TokenVersion stands in for the token in the configuration hash, so
	// a changed token replaces the servers only when the version says so.
	TokenVersion int64
	// Token comes from the configuration at apply time only (write-only);
	// it is never in plan, state or logs. Empty during planning and Read.
	Token cloudinit.Token
}

type haModel struct {
	StandbyLocation types.String `tfsdk:"standby_location"`
	TokenWO         types.String `tfsdk:"hcloud_token_wo"`
	TokenWOVersion  types.Int64  `tfsdk:"hcloud_token_wo_version"`
	APIEndpoint     types.String `tfsdk:"api_endpoint"`
}

func haAttrTypes() map[string]attr.Type {
	return map[string]attr.Type{
		"standby_location": types.StringType, "hcloud_token_wo": types.StringType,
		"hcloud_token_wo_version": types.Int64Type, "api_endpoint": types.StringType,
	}
}

func haAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{Optional: true,
		MarkdownDescription: "Run two gateway servers behind one Hetzner Floating IP, with automatic failover, against an active-active Azure gateway. " +
			"keepalived on the servers elects the active one over the private network (unicast VRRP); on failover the new active server " +
			"moves the Floating IP and the network route through the Hetzner API, so it needs an API token. See the high availability guide.",
		Attributes: map[string]schema.Attribute{
			"standby_location": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Location of the standby server; default: `location`. It must be in the same network zone (both servers join the gateway subnet). A different location survives the loss of a whole location; changing it replaces the standby server only."},
			"hcloud_token_wo": schema.StringAttribute{Required: true, WriteOnly: true, Sensitive: true,
				MarkdownDescription: "Write-only Hetzner Cloud API token (read & write) that the gateway servers use to move the Floating IP and the route (Terraform 1.11+ / OpenTofu 1.11+). " +
					"**Hetzner tokens are project-wide**: anyone with root on a gateway server can act on every resource of the project, so give the link a project of its own if that matters. " +
					"The token is written only to a root-only file on the servers; it is never stored in plan or state and never logged. Bump `hcloud_token_wo_version` to roll a new token onto the servers."},
			"hcloud_token_wo_version": schema.Int64Attribute{Optional: true,
				MarkdownDescription: "Any number; changing it rebuilds both gateway servers with the current `hcloud_token_wo` (Terraform cannot see a change of a write-only value)."},
			"api_endpoint": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(cloudinit.DefaultAPIEndpoint),
				MarkdownDescription: "Hetzner API base URL the servers call on failover. Default: the public API. Only the emulator's lab sets it."},
		},
	}
}

// haSpecFrom reads hetzner.high_availability; nil when it is not set.
// Unknown values stay zero and their checks wait for apply.
func haSpecFrom(ctx context.Context, obj types.Object, s *spec, diags *diag.Diagnostics) *haSpec {
	if obj.IsNull() {
		return nil
	}
	h := &haSpec{}
	if obj.IsUnknown() {
		return h
	}
	var m haModel
	diags.Append(obj.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	h.StandbyLocation = m.StandbyLocation.ValueString()
	if h.StandbyLocation == "" {
		h.StandbyLocation = s.Hetzner.Location
	}
	h.APIEndpoint = m.APIEndpoint.ValueString()
	if u, err := url.Parse(h.APIEndpoint); h.APIEndpoint != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil) {
		diags.AddAttributeError(pathHA.AtName("api_endpoint"), "Invalid API endpoint",
			fmt.Sprintf("hetzner.high_availability.api_endpoint: %q is not an http(s) base URL such as %q.", h.APIEndpoint, cloudinit.DefaultAPIEndpoint))
	}
	h.TokenVersion = m.TokenWOVersion.ValueInt64()
	if zone, ok := hetzner.LocationZones[h.StandbyLocation]; ok && s.Hetzner.Zone != "" && zone != s.Hetzner.Zone {
		diags.AddAttributeError(pathHA.AtName("standby_location"), "Standby location outside the network zone",
			fmt.Sprintf("hetzner.high_availability.standby_location: %s is in network zone %s, but the gateway subnet is in %s; both servers join that subnet. Choose a location in %s.",
				h.StandbyLocation, zone, s.Hetzner.Zone, s.Hetzner.Zone))
	}
	if s.Azure.ReuseGateway {
		diags.AddAttributeError(pathHA, "High availability needs a gateway of the link's own",
			"hetzner.high_availability: the link builds an active-active Azure gateway for its pair, with a tunnel to each instance; "+
				"it cannot do that with a reused gateway. Leave azure.virtual_network_gateway_id unset, or drop high_availability.")
	}
	return h
}

// haToken is hcloud_token_wo from the configuration, the only place
// Terraform passes a write-only value (see writeOnlyKey).
func haToken(ctx context.Context, cfg tfsdk.Config, diags *diag.Diagnostics) cloudinit.Token {
	var wo types.String
	diags.Append(cfg.GetAttribute(ctx, pathHAToken, &wo)...)
	if wo.IsNull() || wo.IsUnknown() {
		return ""
	}
	return cloudinit.Token(wo.ValueString())
}

// withHAToken completes s.Hetzner.HA with the token from the configuration before
// an apply; a missing token is an error on its attribute.
func withHAToken(ctx context.Context, cfg tfsdk.Config, s *spec, diags *diag.Diagnostics) {
	if s.Hetzner.HA == nil {
		return
	}
	if s.Hetzner.HA.Token = haToken(ctx, cfg, diags); s.Hetzner.HA.Token == "" && !diags.HasError() {
		diags.AddAttributeError(pathHAToken, "Missing Hetzner API token",
			"hetzner.high_availability.hcloud_token_wo: the gateway servers need a Hetzner API token with read & write access to move the Floating IP and the route on failover.")
	}
}
