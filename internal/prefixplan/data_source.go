// Package prefixplan is the crosscloud_prefix_plan data source: one
// consistent, non-overlapping IPv4 block per cloud provider out of a
// supernet, and the Hetzner network range that covers them all.
//
// Picking prefixes by hand is how the original Hetzner <-> Azure setup
// started; a plan makes the "no overlap" and "Hetzner range is a superset of
// the Azure prefixes" rules hold by construction. The allocation itself is
// addrplan.Plan; this package only maps it to Terraform. It is pure: no API
// call and no provider credentials.
package prefixplan

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrdiag"
)

// DataSourceType is the data source's name in configurations.
const DataSourceType = "crosscloud_prefix_plan"

var (
	_ datasource.DataSource                   = (*dataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*dataSource)(nil)
)

// dataSource needs no client: the plan is computed from its arguments.
type dataSource struct{}

// NewDataSource is the constructor the provider registers.
func NewDataSource() datasource.DataSource { return &dataSource{} }

// Metadata sets the type name.
func (d *dataSource) Metadata(_ context.Context, _ datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = DataSourceType
}

// Schema describes the inputs and outputs; the descriptions become the
// registry docs.
func (d *dataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Splits a private IPv4 supernet into one aligned, non-overlapping block per cloud provider, " +
			"and returns the Hetzner network range covering all of them. Use the blocks for the Hetzner network, the " +
			"Azure VNet and any other site, and the range for `crosscloud_ipsec_link`'s `hetzner.network_ip_range`: " +
			"then the prefixes never collide and the Hetzner range contains the Azure prefixes, which is what lets one " +
			"network route carry every Hetzner server's traffic to Azure. The same input always gives the same plan. " +
			"Nothing is created and no provider credentials are needed.",
		Attributes: map[string]schema.Attribute{
			attrSupernet: schema.StringAttribute{
				Required: true,
				MarkdownDescription: "The RFC1918 IPv4 range to split, e.g. `10.0.0.0/8`, in canonical form (no host " +
					"bits), /24 or larger (Hetzner's smallest network).",
			},
			attrProviders: schema.ListNestedAttribute{
				Required: true,
				MarkdownDescription: "The providers (sites) that each get a block, e.g. `[{ name = \"hetzner\" }, " +
					"{ name = \"azure\" }]`. Larger blocks are placed first from the bottom of the supernet, ties in list " +
					"order; adding a provider at the end of a list of default-sized blocks keeps the existing blocks " +
					"as long as the number of providers stays within the same power of two.",
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						attrName: schema.StringAttribute{
							Required: true,
							MarkdownDescription: "Unique name of the provider: 1-63 lowercase letters, digits and `-`. " +
								"It is the key of the block in `prefixes`.",
						},
						attrPrefixLength: schema.Int64Attribute{
							Optional: true,
							MarkdownDescription: "Prefix length of this provider's block, between the supernet's and 32. " +
								"Default: the supernet split evenly into the next power of two of the number of providers " +
								"(two or three providers in a /8 get /9 or /10 blocks).",
						},
					},
				},
			},
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The `supernet`.",
			},
			"prefixes": schema.MapAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "The block (CIDR) of each provider, keyed by `name`, e.g. " +
					"`{ hetzner = \"10.0.0.0/10\", azure = \"10.64.0.0/10\" }`.",
			},
			"hetzner_network_ip_range": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The smallest range covering every block, widened to /24 when smaller (Hetzner's " +
					"minimum network size). Use it as the Hetzner network's `ip_range` so it is a superset of the " +
					"Azure prefixes.",
			},
		},
	}
}

// ValidateConfig runs every rule at `terraform validate` and plan time with
// the values known then; the allocation is tried too, so a plan that does
// not fit fails before anything is applied.
func (d *dataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	_, _, diags := planned(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
}

// Read computes the plan.
func (d *dataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	m, ok, diags := planned(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	if !ok {
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.Append(attrdiag.Incomplete(DataSourceType, "at read time"))
		}
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// planned reads a configuration, runs every rule on it and, when every
// value is known and the plan fits, fills in the outputs (ok = true).
// ValidateConfig and Read share it.
func planned(ctx context.Context, cfg tfsdk.Config) (m model, ok bool, diags diag.Diagnostics) {
	diags = cfg.Get(ctx, &m)
	if diags.HasError() {
		return m, false, diags
	}
	res, in, ok, d := build(ctx, m)
	diags.Append(d...)
	if ok {
		diags.Append(m.applyResult(in, res)...)
	}
	return m, ok && !diags.HasError(), diags
}
