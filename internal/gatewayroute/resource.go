// Package gatewayroute implements crosscloud_hcloud_gateway_route: one
// Hetzner network route to a gateway server, with the rule that made the
// original Hetzner <-> Azure setup work (the network range must cover the
// destination) checked at plan time and, on request, fixed by growing the
// range. It shares the route step with crosscloud_ipsec_link through
// internal/hetzner and internal/addrplan, for teams that run their own gateway.
package gatewayroute

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwop"
)

// ResourceType is the Terraform type name.
const ResourceType = "crosscloud_hcloud_gateway_route"

// defaultTimeout applies to every operation: a route change is one or two
// Hetzner actions, plus waiting while other actions lock the network.
const defaultTimeout = 10 * time.Minute

var (
	createTimeout = fwop.Timeout{Of: timeouts.Value.Create, Default: defaultTimeout}
	readTimeout   = fwop.Timeout{Of: timeouts.Value.Read, Default: defaultTimeout}
	updateTimeout = fwop.Timeout{Of: timeouts.Value.Update, Default: defaultTimeout}
	deleteTimeout = fwop.Timeout{Of: timeouts.Value.Delete, Default: defaultTimeout}
)

type resourceImpl struct {
	clients *clients.Clients
}

var (
	_ resource.ResourceWithConfigure      = (*resourceImpl)(nil)
	_ resource.ResourceWithImportState    = (*resourceImpl)(nil)
	_ resource.ResourceWithModifyPlan     = (*resourceImpl)(nil)
	_ resource.ResourceWithValidateConfig = (*resourceImpl)(nil)
)

// NewResource is the constructor the provider registers.
func NewResource() resource.Resource { return &resourceImpl{} }

func (r *resourceImpl) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = ResourceType
}

func (r *resourceImpl) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Hetzner Cloud network route that sends traffic for `destination` to the server at `gateway` " +
			"(typically a VPN gateway such as strongSwan), for every server in the network with no per-server routes.\n\n" +
			"Hetzner servers send only their network's `ip_range` to Hetzner's router, so the route must lie inside it: " +
			"a range that covers the remote prefix (e.g. network `10.0.0.0/12`, Azure `10.1.0.0/16`) is what makes one " +
			"network-level route work. The plan checks this and every other Hetzner route rule against the live network, and " +
			"`expand_network_ip_range = true` grows the range when needed.\n\n" +
			"A route deleted outside Terraform disappears from state on refresh, so the next plan creates it again; " +
			"a route whose gateway was changed outside Terraform shows as an update. Each operation's timeout defaults to 10 minutes.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<network_id>/<destination>`, e.g. `123/10.1.0.0/16`; also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"network_id": schema.Int64Attribute{
				Required:            true,
				MarkdownDescription: "ID of the Hetzner Cloud network. Changing it replaces the route.",
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"destination": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Destination prefix in canonical CIDR form, e.g. `10.1.0.0/16` (the Azure VNet). " +
					"RFC1918 or `0.0.0.0/0`; inside the network's range (or see `expand_network_ip_range`); " +
					"not overlapping a subnet or another route of the network. Changing it replaces the route.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"gateway": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Private IPv4 address of the server that forwards the traffic, e.g. `10.0.1.1`. " +
					"Inside the network's range, not its first IP (Hetzner's router), not `172.31.1.1`, not inside " +
					"`destination`. The plan warns when no server in the network holds it. Changing it updates the route in place.",
			},
			"expand_network_ip_range": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "When `destination` lies outside the network's range, grow the range to the smallest " +
					"one that covers it. Hetzner's `change_ip_range` only shortens the netmask and keeps the base address: " +
					"`10.0.0.0/16` grows to `10.0.0.0/15` for `10.1.0.0/16`, but `10.1.0.0/16` cannot grow to cover " +
					"`10.0.5.0/24` (that needs `10.0.0.0/15`, another base); such a destination is a plan error naming the " +
					"largest range the network can have and the range a new network would need. The plan shows the new " +
					"`network_ip_range` and a warning. Hetzner can never shrink a range, so destroying the route leaves it grown. " +
					"Servers already in the network use the grown range only after a reboot or a change of their routes " +
					"(Hetzner's note on `change_ip_range`); new servers get it at once. Defaults to `false`: an uncovered " +
					"destination is a plan error.",
			},
			"network_ip_range": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The network's `ip_range` once the route exists (grown, when `expand_network_ip_range` had to).",
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true}),
		},
	}
}

func (r *resourceImpl) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	c, diags := clients.FromProviderData(req.ProviderData)
	resp.Diagnostics.Append(diags...)
	r.clients = c
}

// open is every operation's preamble, as in ipseclink: it reads m from the
// plan or the state, parses it, builds the Hetzner client and bounds ctx by
// the operation's own timeout. The parse, timeout and client diagnostics are
// all appended before the one check, so a user sees every one of them at
// once. ok is false once diags holds an error, and nothing may run then;
// cancel is always safe to defer.
func (r *resourceImpl) open(ctx context.Context, from fwop.Getter, m *model, t fwop.Timeout, diags *diag.Diagnostics) (context.Context, context.CancelFunc, route, *hcloud.Client, bool) {
	diags.Append(from.Get(ctx, m)...)
	if diags.HasError() {
		return ctx, func() {}, route{}, nil, false
	}
	rt, d := m.parse()
	diags.Append(d...)
	opCtx, cancel, d := t.Bound(ctx, m.Timeouts)
	diags.Append(d...)
	hc, d := r.clients.HCloud()
	diags.Append(d...)
	if diags.HasError() {
		cancel()
		return ctx, func() {}, route{}, nil, false
	}
	return opCtx, cancel, rt, hc, true
}

// ImportState takes "<network_id>/<destination>"; Read then fills in the
// gateway and the range from the live network.
func (r *resourceImpl) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	nid, dest, err := parseImportID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), resourceID(nid, dest))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("network_id"), nid)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("destination"), dest.String())...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("expand_network_ip_range"), false)...)
}

func notFoundMessage(networkID int64) string {
	return fmt.Sprintf("Hetzner network %d does not exist (or the token cannot see it). Check network_id.", networkID)
}
