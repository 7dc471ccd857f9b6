// Package strongswanconfig is the crosscloud_strongswan_config data source:
// the strongSwan side of a crosscloud tunnel, rendered without creating
// anything. It serves people who run their own gateway (an Ansible role, a
// baked image, an existing VM): they get the same swanctl.conf and
// cloud-init that crosscloud_ipsec_link would put on its Hetzner server,
// checked by the same rules, and the proposal strings to configure the peer.
//
// It is pure: no API call and no provider credentials, so it works with an
// empty provider block.
package strongswanconfig

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrdiag"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

// DataSourceType is the data source's name in configurations.
const DataSourceType = "crosscloud_strongswan_config"

var (
	_ datasource.DataSource                   = (*dataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*dataSource)(nil)
)

// dataSource needs no client: everything it returns is computed from its
// arguments.
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
	resp.Schema = dataSourceSchema(description + " Its outputs, the shared key among them, are stored in the " +
		"state like every data source's; to keep the key out of state, use the ephemeral resource of the same name " +
		"(Terraform 1.10+, OpenTofu 1.11+).")
}

// ValidateConfig runs every rule at `terraform validate` and plan time, so
// a mistake is reported on its attribute before anything is applied.
// Values that are unknown until apply skip the rules that need them; Read
// runs them again with everything known.
func (d *dataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	resp.Diagnostics.Append(validate(ctx, req.Config)...)
}

// Read renders the outputs and writes back the effective optional inputs
// (defaults applied), so other expressions can read the policy in use.
func (d *dataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	m, diags := rendered(ctx, req.Config, "at read time")
	resp.Diagnostics.Append(diags...)
	if !diags.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
	}
}

// validate applies every rule to a configuration; the data source and the
// ephemeral resource share it.
func validate(ctx context.Context, cfg tfsdk.Config) diag.Diagnostics {
	var m model
	diags := cfg.Get(ctx, &m)
	if diags.HasError() {
		return diags
	}
	_, _, _, d := build(ctx, m)
	return append(diags, d...)
}

// rendered reads a configuration whose values are all known and returns it
// with the outputs filled in. when says at which point everything should
// have been known, for the bug report an incomplete input deserves.
func rendered(ctx context.Context, cfg tfsdk.Config, when string) (model, diag.Diagnostics) {
	var m model
	diags := cfg.Get(ctx, &m)
	if diags.HasError() {
		return m, diags
	}
	in, out, ok, d := build(ctx, m)
	diags.Append(d...)
	if !ok && !diags.HasError() {
		diags.Append(attrdiag.Incomplete(DataSourceType, when))
	}
	if !diags.HasError() {
		m.applyOutputs(in, out)
	}
	return m, diags
}

// applyOutputs fills the computed attributes of m.
func (m *model) applyOutputs(in input, out outputs) {
	m.IPsecPolicy = policyattr.ObjectOf(in.policy)
	m.AllowWeakCrypto = types.BoolValue(in.allowWeak)
	m.DPDTimeoutSeconds = types.Int64Value(in.dpd)
	m.ID = types.StringValue(in.gw.ConnectionName)
	m.SwanctlConf = types.StringValue(out.swanctlConf)
	m.SwanctlConfPath = types.StringValue(cloudinit.SwanctlPath(in.gw.ConnectionName))
	m.CloudInit = types.StringValue(out.cloudInit)
	m.IKEProposal = types.StringValue(out.ikeProposal)
	m.ESPProposal = types.StringValue(out.espProposal)
}
