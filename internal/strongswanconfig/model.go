package strongswanconfig

import (
	"context"
	"errors"
	"net/netip"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrdiag"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

// Attribute names, shared by the schema, the model tags and diagnostics.
const (
	attrConnectionName = "connection_name"
	attrLocalAddress   = "local_address"
	attrRemoteAddress  = "remote_address"
	attrLocalPrefixes  = "local_prefixes"
	attrRemotePrefixes = "remote_prefixes"
	attrAllowWeak      = ipsec.AllowWeakAttribute
	attrSharedKey      = "shared_key"
	attrDPDTimeout     = "dpd_timeout_seconds"
)

// model is the data source's configuration and state.
type model struct {
	ConnectionName    types.String `tfsdk:"connection_name"`
	LocalAddress      types.String `tfsdk:"local_address"`
	RemoteAddress     types.String `tfsdk:"remote_address"`
	LocalPrefixes     types.List   `tfsdk:"local_prefixes"`
	RemotePrefixes    types.List   `tfsdk:"remote_prefixes"`
	IPsecPolicy       types.Object `tfsdk:"ipsec_policy"`
	AllowWeakCrypto   types.Bool   `tfsdk:"allow_weak_crypto"`
	SharedKey         types.String `tfsdk:"shared_key"`
	DPDTimeoutSeconds types.Int64  `tfsdk:"dpd_timeout_seconds"`

	ID              types.String `tfsdk:"id"`
	SwanctlConf     types.String `tfsdk:"swanctl_conf"`
	SwanctlConfPath types.String `tfsdk:"swanctl_conf_path"`
	CloudInit       types.String `tfsdk:"cloud_init"`
	IKEProposal     types.String `tfsdk:"ike_proposal"`
	ESPProposal     types.String `tfsdk:"esp_proposal"`
}

// input is the configuration in plain Go values, ready for cloudinit.
type input struct {
	gw        cloudinit.Gateway
	policy    ipsec.Policy
	allowWeak bool
	dpd       int64
	// pending holds the top-level attributes that are unknown (a value
	// another resource computes at apply) or already reported as invalid.
	// cloudinit's findings about them are dropped: they would be guesses
	// about a value we do not have, or a second error for one mistake.
	pending map[string]bool
}

// complete reports whether every input is known and valid, i.e. the
// outputs can be rendered.
func (in input) complete() bool { return len(in.pending) == 0 }

// parse converts m into plain values and applies the per-attribute rules of
// addrplan (IPv4 addresses and canonical CIDRs) and ipsec (policy, shared
// key, DPD), each diagnostic on the attribute that caused it.
func parse(ctx context.Context, m model) (input, diag.Diagnostics) {
	var diags diag.Diagnostics
	in := input{pending: map[string]bool{}}

	if name, ok := known(in.pending, attrConnectionName, m.ConnectionName); ok {
		in.gw.ConnectionName = name
	}
	in.gw.LocalAddress = parseAddr(&diags, in.pending, attrLocalAddress, m.LocalAddress)
	in.gw.RemoteAddress = parseAddr(&diags, in.pending, attrRemoteAddress, m.RemoteAddress)
	in.gw.LocalPrefixes = parsePrefixes(ctx, &diags, in.pending, attrLocalPrefixes, m.LocalPrefixes)
	in.gw.RemotePrefixes = parsePrefixes(ctx, &diags, in.pending, attrRemotePrefixes, m.RemotePrefixes)

	if key, ok := known(in.pending, attrSharedKey, m.SharedKey); ok {
		// ValidateSharedKey never echoes the key, only a position.
		if err := ipsec.ValidateSharedKey(key); err != nil {
			diags.AddAttributeError(path.Root(attrSharedKey), "Invalid shared key", withoutGenerateHint(detail(attrSharedKey, err)))
			in.pending[attrSharedKey] = true
		}
		in.gw.SharedKey = key
	}

	in.dpd = ipsec.DefaultDPDTimeout
	switch v := m.DPDTimeoutSeconds; {
	case v.IsUnknown():
		in.pending[attrDPDTimeout] = true
	case !v.IsNull():
		in.dpd = v.ValueInt64()
		if err := ipsec.ValidateDPDTimeout(in.dpd); err != nil {
			diags.AddAttributeError(path.Root(attrDPDTimeout), "Invalid DPD timeout", detail(attrDPDTimeout, err))
			in.pending[attrDPDTimeout] = true
		}
	}

	// With allow_weak_crypto still unknown, judge everything except
	// weakness now; the weak-algorithm rule runs once it is known.
	allowWeakForCheck := true
	if v := m.AllowWeakCrypto; !v.IsUnknown() {
		in.allowWeak = v.ValueBool()
		allowWeakForCheck = in.allowWeak
	} else {
		in.pending[attrAllowWeak] = true
	}
	pol, polOK, d := policyattr.Policy(ctx, m.IPsecPolicy, allowWeakForCheck, path.Root(policyattr.Name))
	diags.Append(d...)
	in.policy = pol
	if !polOK {
		in.pending[policyattr.Name] = true
		return in, diags
	}
	// Validate accepted the policy, so both proposals render.
	_ = policyattr.GatewayCrypto(&in.gw, pol, in.dpd)
	return in, diags
}

// known returns v's value unless it is unknown, in which case attr is marked
// pending.
func known(pending map[string]bool, attr string, v types.String) (string, bool) {
	if v.IsUnknown() {
		pending[attr] = true
		return "", false
	}
	return v.ValueString(), true
}

func parseAddr(diags *diag.Diagnostics, pending map[string]bool, attr string, v types.String) netip.Addr {
	s, ok := known(pending, attr, v)
	if !ok || v.IsNull() {
		return netip.Addr{}
	}
	a, err := addrplan.ParseAddr(attr, s)
	if err != nil {
		attrdiag.Add(diags, path.Empty(), path.Root(attr), "Invalid IPv4 address", err)
		pending[attr] = true
	}
	return a
}

// parsePrefixes parses a prefix list element by element, so an error points
// at the element (local_prefixes[1]). A list with any unknown or invalid
// element yields nil and is marked pending: cloudinit then judges neither
// it nor its overlap with the other list, whose messages would otherwise
// cite shifted indices.
func parsePrefixes(ctx context.Context, diags *diag.Diagnostics, pending map[string]bool, attr string, l types.List) []netip.Prefix {
	if l.IsUnknown() {
		pending[attr] = true
		return nil
	}
	if l.IsNull() {
		return nil
	}
	var elems []types.String
	if d := l.ElementsAs(ctx, &elems, false); d.HasError() {
		diags.Append(d...)
		pending[attr] = true
		return nil
	}
	out := make([]netip.Prefix, 0, len(elems))
	for i, e := range elems {
		if e.IsUnknown() || e.IsNull() {
			pending[attr] = true
			continue
		}
		p, err := addrplan.ParsePrefix(attr, e.ValueString())
		if err != nil {
			attrdiag.AddMapped(diags, attrdiag.At(path.Root(attr).AtListIndex(i)), path.Empty(), "Invalid CIDR prefix", err)
			pending[attr] = true
			continue
		}
		out = append(out, p)
	}
	if pending[attr] {
		return nil
	}
	return out
}

// detail is the message of an error from ipsec's key and DPD checks
// without its leading "attribute: ", which Terraform already shows with the
// diagnostic.
func detail(attr string, err error) string {
	return strings.TrimPrefix(err.Error(), attr+": ")
}

// generateHintRE matches ipsec's advice to omit the key and have one
// generated, which crosscloud_ipsec_link offers but this data source, whose
// shared_key is required, does not.
var generateHintRE = regexp.MustCompile(`,? or omit shared_key to have one generated`)

func withoutGenerateHint(msg string) string { return generateHintRE.ReplaceAllString(msg, "") }

// gatewayAttrs maps cloudinit.Gateway fields to the attributes they came
// from. IKERekey and PrivateInterfaceMSS are not user inputs here.
var gatewayAttrs = map[string]path.Path{
	"ConnectionName": path.Root(attrConnectionName),
	"LocalAddress":   path.Root(attrLocalAddress),
	"RemoteAddress":  path.Root(attrRemoteAddress),
	"LocalPrefixes":  path.Root(attrLocalPrefixes),
	"RemotePrefixes": path.Root(attrRemotePrefixes),
	"IKEProposal":    path.Root(policyattr.Name),
	"ESPProposal":    path.Root(policyattr.Name),
	"ChildLifetime":  path.Root(policyattr.Name).AtName(ipsec.FieldSALifetimeSeconds),
	"DPDDelay":       path.Root(attrDPDTimeout),
	"SharedKey":      path.Root(attrSharedKey),
}

// gatewayAttr is the attrdiag.Map for cloudinit's paths: the field's
// attribute, followed by the list index when there is one.
func gatewayAttr(p attrerr.Path) (path.Path, bool) {
	if len(p) == 0 {
		return path.Path{}, false
	}
	at, ok := gatewayAttrs[p[0].Name]
	if !ok {
		return path.Path{}, false
	}
	return attrdiag.Join(at, p[1:]), true
}

// fieldNames rewrites cloudinit's Go field names in messages into the
// attribute names the user wrote.
var fieldNames = strings.NewReplacer(
	"LocalPrefixes", attrLocalPrefixes, "RemotePrefixes", attrRemotePrefixes,
	"LocalAddress", attrLocalAddress, "RemoteAddress", attrRemoteAddress,
)

// checkGateway applies cloudinit's rules that span attributes (prefixes
// overlapping each other or containing a tunnel endpoint, equal endpoints,
// the connection name) and reports each on the attribute path it concerns.
func checkGateway(in input) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, e := range attrerr.Split(in.gw.Validate()) {
		var fe *attrerr.Error
		if errors.As(e, &fe) {
			// The messages name Go fields; the user wrote attributes.
			p, ok := gatewayAttr(fe.Path)
			switch {
			case ok && in.pending[topLevel(p)]:
				continue
			case ok:
				e = &attrerr.Error{Path: fe.Path, Message: fieldNames.Replace(fe.Message)}
			default:
				e = errors.New(fieldNames.Replace(fe.Error()))
			}
		}
		attrdiag.AddMapped(&diags, gatewayAttr, path.Empty(), "Invalid strongSwan configuration", e)
	}
	return diags
}

// topLevel returns the root attribute name of p.
func topLevel(p path.Path) string {
	s := p.String()
	if i := strings.IndexAny(s, ".["); i >= 0 {
		return s[:i]
	}
	return s
}

// outputs are the rendered results.
type outputs struct {
	swanctlConf, cloudInit, ikeProposal, espProposal string
}

// render produces the outputs of a complete input. cloud_init is limited by
// Hetzner's 32 KiB user_data size, reported on the prefix lists that grow it.
func render(in input) (outputs, diag.Diagnostics) {
	var diags diag.Diagnostics
	conf, err := cloudinit.SwanctlConf(in.gw, true)
	if err != nil {
		diags.AddError("Cannot render swanctl.conf", fieldNames.Replace(err.Error()))
		return outputs{}, diags
	}
	ud, err := cloudinit.Render(in.gw)
	if err != nil {
		diags.AddAttributeError(path.Root(attrLocalPrefixes), "Cannot render cloud-init", fieldNames.Replace(err.Error()))
		return outputs{}, diags
	}
	return outputs{swanctlConf: conf, cloudInit: string(ud), ikeProposal: in.gw.IKEProposal, espProposal: in.gw.ESPProposal}, nil
}

// build runs every rule on m and, when the input is complete and valid,
// renders the outputs (ok = true). ValidateConfig and Read share it, so a
// configuration that passes `terraform validate` with known values also
// renders at apply.
func build(ctx context.Context, m model) (in input, out outputs, ok bool, diags diag.Diagnostics) {
	in, diags = parse(ctx, m)
	diags.Append(checkGateway(in)...)
	if diags.HasError() || !in.complete() {
		return in, outputs{}, false, diags
	}
	out, d := render(in)
	diags.Append(d...)
	return in, out, !diags.HasError(), diags
}
