package strongswanconfig

import (
	"fmt"

	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	ephschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

// The data source and the ephemeral resource take the same arguments and
// return the same values; only the framework's schema types differ. The
// attributes are therefore written once, here, as a table that makes the
// data source schema, and the ephemeral schema is converted from that.

type kind int

const (
	kString kind = iota
	kBool
	kInt64
	kStringList
)

type mode int

const (
	required mode = iota
	optionalComputed
	computed
)

type attrSpec struct {
	name      string
	kind      kind
	mode      mode
	sensitive bool
	desc      string
}

const description = "Renders the strongSwan (swanctl) configuration and the cloud-init user data of one end of " +
	"an IKEv2/IPsec site-to-site tunnel, for people who run their own gateway (Ansible, Packer images, an " +
	"existing VM) instead of letting `crosscloud_ipsec_link` create one. The output is what " +
	"`crosscloud_ipsec_link` puts on its Hetzner gateway server, checked by the same rules: strict proposals " +
	"from one `ipsec_policy`, weak crypto refused, non-overlapping IPv4 traffic selectors. Nothing is " +
	"created and no provider credentials are needed."

var attrSpecs = []attrSpec{
	{attrConnectionName, kString, required, false, "Name of the swanctl connection, its child SA and its file in " +
		"`/etc/swanctl/conf.d/`: 1-63 lowercase letters, digits and `-`, starting with a letter or digit, " +
		"so several tunnels on one gateway never overwrite each other."},
	{attrLocalAddress, kString, required, false, "Public IPv4 address of the gateway you run (the strongSwan side), e.g. " +
		"`203.0.113.10`. Used as IKE local address and identity, so it must be on the gateway's interface (no NAT)."},
	{attrRemoteAddress, kString, required, false, "Public IPv4 address of the peer, e.g. the Azure VPN gateway's public IP. Used as " +
		"IKE peer address and identity."},
	{attrLocalPrefixes, kStringList, required, false, "IPv4 CIDRs behind your gateway that the tunnel carries (`local_ts`), e.g. " +
		"`[\"10.0.1.0/24\"]`. Canonical form (no host bits), not overlapping each other or `remote_prefixes`, " +
		"and not containing either tunnel endpoint."},
	{attrRemotePrefixes, kStringList, required, false, "IPv4 CIDRs behind the peer (`remote_ts`), e.g. the Azure VNet's " +
		"`[\"10.1.0.0/16\"]`. TCP connections to and from them get their MSS clamped to 1350 in `cloud_init`."},
	{attrAllowWeak, kBool, optionalComputed, false, "Accept the weak algorithms listed in `ipsec_policy` (DES, 3DES, MD5, DH/PFS " +
		"groups 1, 2 and 24, null encryption), e.g. to match a legacy peer. Default `false`."},
	{attrSharedKey, kString, required, true, "IKE pre-shared key: 1-128 printable ASCII characters without space, `-` or `~` " +
		"(Azure's rule, so the same key works on an Azure connection). Never shown in diagnostics."},
	{attrDPDTimeout, kInt64, optionalComputed, false, "The peer's dead-peer-detection timeout in seconds (Azure's `dpdTimeoutSeconds`, " +
		"9-3600). The strongSwan side sends a liveness check after a third of it idles (3-30 s), so a " +
		"lost packet never gets the tunnel torn down. Default `45`."},

	{"id", kString, computed, false, "The `connection_name`."},
	{"swanctl_conf", kString, computed, true, "The swanctl.conf fragment, including the pre-shared key (hex-encoded) in its " +
		"`secrets` section. Write it to `swanctl_conf_path` with mode 0600 and run `swanctl --load-all`."},
	{"swanctl_conf_path", kString, computed, false, "Where `swanctl_conf` belongs on the gateway: `/etc/swanctl/conf.d/<connection_name>.conf`."},
	{"cloud_init", kString, computed, true, "Complete `#cloud-config` user data for a Debian 12 gateway: installs " +
		"strongSwan and nftables, writes `swanctl_conf`, enables IPv4 forwarding without redirects, clamps " +
		"TCP MSS for `remote_prefixes` and loads the connection. At most 32 KiB (Hetzner's user data limit). " +
		"Sensitive because it contains the shared key."},
	{"ike_proposal", kString, computed, false, "The strongSwan IKE proposal for `ipsec_policy`, e.g. " +
		"`aes256-sha384-ecp384`, for a peer you configure by hand."},
	{"esp_proposal", kString, computed, false, "The strongSwan ESP proposal for `ipsec_policy`, e.g. `aes256gcm16-ecp384`."},
}

func (s attrSpec) flags() (req, opt, comp bool) {
	return s.mode == required, s.mode == optionalComputed, s.mode != required
}

// dataSourceSchema is the table as a data source schema.
func dataSourceSchema(intro string) dsschema.Schema {
	attrs := map[string]dsschema.Attribute{policyattr.Name: policyattr.DataSourceAttribute()}
	for _, s := range attrSpecs {
		req, opt, comp := s.flags()
		switch s.kind {
		case kString:
			attrs[s.name] = dsschema.StringAttribute{Required: req, Optional: opt, Computed: comp, Sensitive: s.sensitive, MarkdownDescription: s.desc}
		case kBool:
			attrs[s.name] = dsschema.BoolAttribute{Required: req, Optional: opt, Computed: comp, Sensitive: s.sensitive, MarkdownDescription: s.desc}
		case kInt64:
			attrs[s.name] = dsschema.Int64Attribute{Required: req, Optional: opt, Computed: comp, Sensitive: s.sensitive, MarkdownDescription: s.desc}
		case kStringList:
			attrs[s.name] = dsschema.ListAttribute{ElementType: types.StringType, Required: req, Optional: opt, Computed: comp, Sensitive: s.sensitive, MarkdownDescription: s.desc}
		}
	}
	return dsschema.Schema{MarkdownDescription: intro, Attributes: attrs}
}

// ephemeralSchema is the data source schema as an ephemeral resource
// schema, attribute for attribute, so the two can never disagree.
func ephemeralSchema(intro string) ephschema.Schema {
	ds := dataSourceSchema(intro)
	return ephschema.Schema{MarkdownDescription: ds.MarkdownDescription, Attributes: ephemeralAttrs(ds.Attributes)}
}

// ephemeralAttrs converts data source attributes to ephemeral ones. The
// framework declares each attribute kind once per schema flavour with the
// same fields, so a Go conversion copies every field, and a field added to
// one flavour only stops the build instead of being dropped. A nested
// object holds data source attributes and is converted member by member.
// Only the kinds the table and ipsec_policy use are handled; another one
// panics, which TestEphemeralSchemaMatchesDataSource reaches.
func ephemeralAttrs(in map[string]dsschema.Attribute) map[string]ephschema.Attribute {
	out := make(map[string]ephschema.Attribute, len(in))
	for name, a := range in {
		switch a := a.(type) {
		case dsschema.StringAttribute:
			out[name] = ephschema.StringAttribute(a)
		case dsschema.BoolAttribute:
			out[name] = ephschema.BoolAttribute(a)
		case dsschema.Int64Attribute:
			out[name] = ephschema.Int64Attribute(a)
		case dsschema.ListAttribute:
			out[name] = ephschema.ListAttribute(a)
		case dsschema.SingleNestedAttribute:
			out[name] = ephschema.SingleNestedAttribute{
				Attributes: ephemeralAttrs(a.Attributes), CustomType: a.CustomType,
				Required: a.Required, Optional: a.Optional, Computed: a.Computed, Sensitive: a.Sensitive,
				Description: a.Description, MarkdownDescription: a.MarkdownDescription,
				DeprecationMessage: a.DeprecationMessage, Validators: a.Validators,
			}
		default:
			panic(fmt.Sprintf("strongswanconfig: no ephemeral form for attribute %s (%T)", name, a))
		}
	}
	return out
}
