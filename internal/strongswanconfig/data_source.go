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
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

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
	resp.Schema = schema.Schema{
		MarkdownDescription: "Renders the strongSwan (swanctl) configuration and the cloud-init user data of one end of " +
			"an IKEv2/IPsec site-to-site tunnel, for people who run their own gateway (Ansible, Packer images, an " +
			"existing VM) instead of letting `crosscloud_ipsec_link` create one. The output is what " +
			"`crosscloud_ipsec_link` puts on its Hetzner gateway server, checked by the same rules: strict proposals " +
			"from one `ipsec_policy`, weak crypto refused, non-overlapping IPv4 traffic selectors. Nothing is " +
			"created and no provider credentials are needed.",
		Attributes: map[string]schema.Attribute{
			attrConnectionName: schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the swanctl connection, its child SA and its file in " +
					"`/etc/swanctl/conf.d/`: 1-63 lowercase letters, digits and `-`, starting with a letter or digit, " +
					"so several tunnels on one gateway never overwrite each other.",
			},
			attrLocalAddress: schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Public IPv4 address of the gateway you run (the strongSwan side), e.g. " +
					"`203.0.113.10`. Used as IKE local address and identity, so it must be on the gateway's interface (no NAT).",
			},
			attrRemoteAddress: schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Public IPv4 address of the peer, e.g. the Azure VPN gateway's public IP. Used as " +
					"IKE peer address and identity.",
			},
			attrLocalPrefixes: schema.ListAttribute{
				Required: true, ElementType: types.StringType,
				MarkdownDescription: "IPv4 CIDRs behind your gateway that the tunnel carries (`local_ts`), e.g. " +
					"`[\"10.0.1.0/24\"]`. Canonical form (no host bits), not overlapping each other or `remote_prefixes`, " +
					"and not containing either tunnel endpoint.",
			},
			attrRemotePrefixes: schema.ListAttribute{
				Required: true, ElementType: types.StringType,
				MarkdownDescription: "IPv4 CIDRs behind the peer (`remote_ts`), e.g. the Azure VNet's " +
					"`[\"10.1.0.0/16\"]`. TCP connections to and from them get their MSS clamped to 1350 in `cloud_init`.",
			},
			policyattr.Name: policyattr.DataSourceAttribute(),
			attrAllowWeak: schema.BoolAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Accept the weak algorithms listed in `ipsec_policy` (DES, 3DES, MD5, DH/PFS " +
					"groups 1, 2 and 24, null encryption), e.g. to match a legacy peer. Default `false`.",
			},
			attrSharedKey: schema.StringAttribute{
				Required: true, Sensitive: true,
				MarkdownDescription: "IKE pre-shared key: 1-128 printable ASCII characters without space, `-` or `~` " +
					"(Azure's rule, so the same key works on an Azure connection). Never shown in diagnostics.",
			},
			attrDPDTimeout: schema.Int64Attribute{
				Optional: true, Computed: true,
				MarkdownDescription: "The peer's dead-peer-detection timeout in seconds (Azure's `dpdTimeoutSeconds`, " +
					"9-3600). The strongSwan side sends a liveness check after a third of it idles (3-30 s), so a " +
					"lost packet never gets the tunnel torn down. Default `45`.",
			},

			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The `connection_name`.",
			},
			"swanctl_conf": schema.StringAttribute{
				Computed: true, Sensitive: true,
				MarkdownDescription: "The swanctl.conf fragment, including the pre-shared key (hex-encoded) in its " +
					"`secrets` section. Write it to `swanctl_conf_path` with mode 0600 and run `swanctl --load-all`.",
			},
			"swanctl_conf_path": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Where `swanctl_conf` belongs on the gateway: `/etc/swanctl/conf.d/<connection_name>.conf`.",
			},
			"cloud_init": schema.StringAttribute{
				Computed: true, Sensitive: true,
				MarkdownDescription: "Complete `#cloud-config` user data for a Debian 12 gateway: installs " +
					"strongSwan and nftables, writes `swanctl_conf`, enables IPv4 forwarding without redirects, clamps " +
					"TCP MSS for `remote_prefixes` and loads the connection. At most 32 KiB (Hetzner's user data limit). " +
					"Sensitive because it contains the shared key.",
			},
			"ike_proposal": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The strongSwan IKE proposal for `ipsec_policy`, e.g. " +
					"`aes256-sha384-ecp384`, for a peer you configure by hand.",
			},
			"esp_proposal": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The strongSwan ESP proposal for `ipsec_policy`, e.g. `aes256gcm16-ecp384`.",
			},
		},
	}
}

// ValidateConfig runs every rule at `terraform validate` and plan time, so
// a mistake is reported on its attribute before anything is applied.
// Values that are unknown until apply skip the rules that need them; Read
// runs them again with everything known.
func (d *dataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var m model
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	_, _, _, diags := build(ctx, m)
	resp.Diagnostics.Append(diags...)
}

// Read renders the outputs and writes back the effective optional inputs
// (defaults applied), so other expressions can read the policy in use.
func (d *dataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m model
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	in, out, ok, diags := build(ctx, m)
	resp.Diagnostics.Append(diags...)
	if !ok {
		if !resp.Diagnostics.HasError() {
			resp.Diagnostics.AddError("Incomplete configuration",
				"Some arguments of "+DataSourceType+" are still unknown at read time; this is a bug in the provider, please report it.")
		}
		return
	}
	m.applyOutputs(in, out)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
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
