package strongswanconfig

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
)

var (
	_ ephemeral.EphemeralResource                   = (*ephemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithValidateConfig = (*ephemeralResource)(nil)
)

// ephemeralResource is the data source's twin whose results are never
// persisted: the same arguments, rules and outputs, for people who ship
// swanctl_conf or cloud_init through a provisioner, a write-only argument
// or a secret store and want no shared key in their state file.
type ephemeralResource struct{}

// NewEphemeralResource is the constructor the provider registers.
func NewEphemeralResource() ephemeral.EphemeralResource { return &ephemeralResource{} }

// Metadata sets the type name, the same as the data source's: an
// ephemeral resource lives in its own namespace (`ephemeral.<type>.<name>`).
func (e *ephemeralResource) Metadata(_ context.Context, _ ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = DataSourceType
}

// Schema is the data source's, generated from the same table.
func (e *ephemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = ephemeralSchema(description + " Ephemeral: nothing it returns is stored in the plan or the state, " +
		"so the shared key stays out of both. Use its values in write-only arguments, provisioners or other " +
		"ephemeral contexts. Needs Terraform 1.10 or OpenTofu 1.11 or later.")
}

// ValidateConfig runs the same rules as the data source, at validate and
// plan time, on the attribute at fault.
func (e *ephemeralResource) ValidateConfig(ctx context.Context, req ephemeral.ValidateConfigRequest, resp *ephemeral.ValidateConfigResponse) {
	resp.Diagnostics.Append(validate(ctx, req.Config)...)
}

// Open renders the outputs. Terraform opens an ephemeral resource only once
// its arguments are known (it defers it otherwise), so an incomplete input
// here is a provider bug.
func (e *ephemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	m, diags := rendered(ctx, req.Config, "when it is opened")
	resp.Diagnostics.Append(diags...)
	if !diags.HasError() {
		resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
	}
}
