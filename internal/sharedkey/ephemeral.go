// Package sharedkey is the crosscloud_shared_key ephemeral resource: a
// pre-shared key that Azure and strongSwan both accept, generated fresh on
// every run and never written to plan or state. It exists so that the
// pattern `ephemeral "crosscloud_shared_key" -> shared_key_wo` needs no
// hand-tuned random_password (whose usual override_special contains '-',
// which Azure refuses) and leaves nothing secret behind in state.
package sharedkey

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// EphemeralResourceType is the ephemeral resource's name in configurations.
const EphemeralResourceType = "crosscloud_shared_key"

var _ ephemeral.EphemeralResource = (*keyResource)(nil)

// keyResource needs no client: the key comes from crypto/rand.
type keyResource struct{}

// NewEphemeralResource is the constructor the provider registers.
func NewEphemeralResource() ephemeral.EphemeralResource { return &keyResource{} }

type model struct {
	Length      types.Int64  `tfsdk:"length"`
	Punctuation types.Bool   `tfsdk:"punctuation"`
	Value       types.String `tfsdk:"value"`
}

// Metadata sets the type name.
func (r *keyResource) Metadata(_ context.Context, _ ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = EphemeralResourceType
}

// Schema describes the inputs and the key; the descriptions become the
// registry docs.
func (r *keyResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A random IKE pre-shared key that an Azure VPN connection and strongSwan both accept " +
			"(printable ASCII without space, `-` or `~`), generated on every run and never stored in the plan or " +
			"the state. Feed it to `crosscloud_ipsec_link.shared_key_wo` (bump `shared_key_wo_version` to rotate), " +
			"or to a secret store's write-only attribute, so that the key is set once and kept only where it is needed. " +
			"Needs Terraform 1.10 or OpenTofu 1.11 or later.",
		Attributes: map[string]schema.Attribute{
			"length": schema.Int64Attribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Number of characters, 16 to 128 (Azure accepts at most 128). Default `64` " +
					"(about 380 bits from the alphanumerics).",
				Validators: []validator.Int64{int64validator.Between(ipsec.MinGeneratedSharedKeyLength, ipsec.MaxGeneratedSharedKeyLength)},
			},
			"punctuation": schema.BoolAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Also draw from `!#%&()*+,./:;<=>?@[]^_{|}`: punctuation Azure accepts that " +
					"needs no quoting in a shell, YAML or HCL. Default `false` (letters and digits only).",
			},
			"value": schema.StringAttribute{
				Computed: true, Sensitive: true,
				MarkdownDescription: "The key. Ephemeral: usable in write-only attributes, provider blocks and " +
					"provisioners, never persisted.",
			},
		},
	}
}

// Open draws a new key. Every run gets a different one: a write-only
// argument sends it only when its version changes, so the key in use stays
// stable until the user asks for a rotation.
func (r *keyResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m model
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	length := int64(ipsec.GeneratedSharedKeyLength)
	if !m.Length.IsNull() && !m.Length.IsUnknown() {
		length = m.Length.ValueInt64()
	}
	key, err := ipsec.NewSharedKey(int(length), m.Punctuation.ValueBool())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("length"), "Cannot generate a shared key", err.Error())
		return
	}
	m.Length = types.Int64Value(length)
	m.Punctuation = types.BoolValue(m.Punctuation.ValueBool())
	m.Value = types.StringValue(key)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
