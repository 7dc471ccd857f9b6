package policyattr

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// What each attribute means, in the words of Azure's IPsec/IKE policy docs,
// so a user can map it onto the portal or onto their own peer's settings.
var purposes = map[string]string{
	ipsec.FieldIKEEncryption: "Phase 1 (IKE SA) encryption algorithm. The default is CBC because its mapping onto strongSwan is documented; " +
		"with `GCMAES256`/`GCMAES128` the link assumes Azure proposes a PRF only (see the guide's crypto section), which no Microsoft document confirms.",
	ipsec.FieldIKEIntegrity: "Phase 1 (IKE SA) integrity algorithm, also the PRF (SHA384 renders `sha384`); with a GCM `ike_encryption` it is taken to name the PRF only (`prfsha384`). " +
		"`GCMAES128` and `GCMAES256` are refused: Azure documents no PRF for them, so strongSwan could not be set to match.",
	ipsec.FieldDHGroup:         "Phase 1 Diffie-Hellman group of the IKE key exchange. `None` is refused: IKEv2 always runs a key exchange.",
	ipsec.FieldIPsecEncryption: "Phase 2 (ESP child SA) encryption algorithm.",
	ipsec.FieldIPsecIntegrity:  "Phase 2 (ESP child SA) integrity algorithm. A GCM `ipsec_encryption` needs the same GCM value here (GCM authenticates itself).",
	ipsec.FieldPFSGroup: "Phase 2 perfect-forward-secrecy group: a fresh key exchange on every child SA rekey. `None` turns PFS off. " +
		"`PFSMM` is refused: it names no Diffie-Hellman group a strongSwan peer could match.",
	ipsec.FieldSALifetimeSeconds:   "Phase 2 SA lifetime in seconds; the strongSwan side rekeys at 90 % of it. At least 300 (Azure's minimum).",
	ipsec.FieldSADataSizeKilobytes: "Phase 2 SA lifetime in kilobytes of traffic: `0` (no volume limit, as Azure's portal and azurerm allow) or at least 1024 (Azure's minimum).",
}

// description documents one field: its purpose, its default, and for
// enums the accepted values and those refused as weak. It is generated from
// internal/ipsec so the registry docs can never drift from the rules.
func description(field string) string {
	var b strings.Builder
	b.WriteString(purposes[field])
	def := ModelOf(ipsec.DefaultPolicy())
	for _, f := range stringFields {
		if f.name != field {
			continue
		}
		fmt.Fprintf(&b, " Default: `%s`. One of %s.", f.get(&def).ValueString(), codeList(ipsec.AllowedValues(field)))
		if weak := ipsec.WeakValues(field); len(weak) > 0 {
			fmt.Fprintf(&b, " %s %s refused as weak unless `%s = true`.", codeList(weak), isAre(len(weak)), ipsec.AllowWeakAttribute)
		}
	}
	for _, f := range intFields {
		if f.name == field {
			fmt.Fprintf(&b, " Default: `%d` (Azure's default).", f.get(&def).ValueInt64())
		}
	}
	return b.String()
}

func codeList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = "`" + v + "`"
	}
	return strings.Join(q, ", ")
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// attributeDescription documents the whole object.
const attributeDescription = "The IKEv2/IPsec crypto policy, in Azure's names (the `ipsecPolicies` of an Azure " +
	"connection), rendered as strict strongSwan proposals so both ends offer exactly one common suite. Every field " +
	"is optional; the defaults are AES-256-GCM with a SHA-384 PRF and ECP384 for IKE, AES-256-GCM with ECP384 PFS for " +
	"ESP, and Azure's default lifetimes. Weak algorithms (DES, 3DES, MD5, DH/PFS groups 1, 2 and 24, null " +
	"encryption) are refused unless `" + ipsec.AllowWeakAttribute + " = true`."

// effectiveNote tells readers of a data source or an ephemeral resource
// that the object comes back complete.
const effectiveNote = " It comes back as the effective policy, defaults filled in."

// enumValidators restricts an enum field to Azure's values for it, as
// listed by the armnetwork SDK.
func enumValidators(field string) []validator.String {
	return []validator.String{stringvalidator.OneOf(ipsec.AllowedValues(field)...)}
}

// DataSourceAttribute is ipsec_policy for a data source schema. Data
// sources have no schema defaults, so the object and its fields are
// Optional+Computed: null fields take the defaults during conversion and the
// data source writes the effective policy back (ObjectOf), which lets a
// configuration read e.g. `data.x.ipsec_policy.dh_group`. The ephemeral
// twin of crosscloud_strongswan_config converts it, field for field.
func DataSourceAttribute() dsschema.SingleNestedAttribute {
	attrs := make(map[string]dsschema.Attribute, len(stringFields)+len(intFields))
	for _, f := range stringFields {
		attrs[f.name] = dsschema.StringAttribute{
			Optional: true, Computed: true,
			MarkdownDescription: description(f.name),
			Validators:          enumValidators(f.name),
		}
	}
	for _, f := range intFields {
		attrs[f.name] = dsschema.Int64Attribute{
			Optional: true, Computed: true,
			MarkdownDescription: description(f.name),
		}
	}
	return dsschema.SingleNestedAttribute{
		Optional: true, Computed: true,
		MarkdownDescription: attributeDescription + effectiveNote,
		Attributes:          attrs,
	}
}

// ResourceAttribute is ipsec_policy for a resource schema. The object and
// each field carry schema defaults (ipsec.DefaultPolicy), so the plan always
// shows the complete policy the tunnel will use, a change to any field is a
// visible in-place update, and removing the block returns to the defaults
// instead of leaving the old values in state.
func ResourceAttribute() rschema.SingleNestedAttribute {
	def := ModelOf(ipsec.DefaultPolicy())
	attrs := make(map[string]rschema.Attribute, len(stringFields)+len(intFields))
	for _, f := range stringFields {
		attrs[f.name] = rschema.StringAttribute{
			Optional: true, Computed: true,
			Default:             stringdefault.StaticString(f.get(&def).ValueString()),
			MarkdownDescription: description(f.name),
			Validators:          enumValidators(f.name),
		}
	}
	for _, f := range intFields {
		attrs[f.name] = rschema.Int64Attribute{
			Optional: true, Computed: true,
			Default:             int64default.StaticInt64(f.get(&def).ValueInt64()),
			MarkdownDescription: description(f.name),
		}
	}
	return rschema.SingleNestedAttribute{
		Optional: true, Computed: true,
		Default:             objectdefault.StaticValue(DefaultObject()),
		MarkdownDescription: attributeDescription,
		Attributes:          attrs,
	}
}
