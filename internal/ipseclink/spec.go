package ipseclink

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrdiag"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

// spec is a link's desired state in plain Go values: what the step graph
// builds. Zero values mean "unknown yet" during planning (checks skip them)
// or "use the default" (prefix lists, gateway IP, shared key). Each cloud's
// part mirrors its nested attribute (hetzner, azure), so names that both
// clouds use (Location, GatewaySubnet) say by their path which one they
// mean; the fields at the top are the link's own, cloud-neutral attributes.
type spec struct {
	Name      string
	Policy    ipsec.Policy
	AllowWeak bool
	DPD       int64
	SharedKey string
	Wait      bool

	Hetzner hetznerSpec
	Azure   azureSpec
}

// hetznerSpec is the hetzner block of a spec.
type hetznerSpec struct {
	NetworkID     int64
	NetworkRange  netip.Prefix
	Zone          string
	GatewaySubnet netip.Prefix
	GatewayIP     netip.Addr
	Location      string
	ServerType    string
	Image         string
	SSHKeyIDs     []int64
	SSHCIDRs      []netip.Prefix
	LocalPrefixes []netip.Prefix

	// HA is hetzner.high_availability; nil for one gateway server.
	HA *haSpec
}

// azureSpec is the azure block of a spec.
type azureSpec struct {
	ResourceGroup string
	Location      string
	VNetID        string
	// GatewaySubnet is azure.gateway_subnet_prefix: the prefix of the
	// VNet's GatewaySubnet, created when the VNet has none.
	GatewaySubnet netip.Prefix
	SKU           string
	GatewayID     string
	// ReuseGateway is true when virtual_network_gateway_id is set, even if
	// its value is not known yet (another link's output).
	ReuseGateway   bool
	RemotePrefixes []netip.Prefix
	ConnectionMode string
}

// Attribute paths used in diagnostics.
var (
	pathHetzner = path.Root("hetzner")
	pathAzure   = path.Root("azure")
)

// attrPath turns the dotted attribute names the pure packages use
// ("hetzner.gateway_ip") into framework paths, so a rule broken deep in
// addrplan still points the user at the line of HCL to change.
func attrPath(dotted string) path.Path { return attrdiag.Join(path.Empty(), attrerr.Dotted(dotted)) }

// addErr attaches err to the attribute its *attrerr.Error names, or to
// fallback; addrplan's attribute names are the link's own paths.
func addErr(diags *diag.Diagnostics, fallback path.Path, summary string, err error) {
	attrdiag.Add(diags, path.Empty(), fallback, summary, err)
}

// buildSpec converts a plan or config into a spec and checks every rule
// that needs no API call. Unknown values are left zero and their rules
// skipped; at apply time everything is known, so nothing escapes.
func buildSpec(ctx context.Context, m *model) (s spec, diags diag.Diagnostics) {
	s.Name = m.Name.ValueString()
	h, a, ok, d := m.nested(ctx)
	diags.Append(d...)
	if !ok {
		return s, diags
	}
	s.Hetzner.NetworkID = h.NetworkID.ValueInt64()
	s.Hetzner.Zone, s.Hetzner.Location = h.NetworkZone.ValueString(), h.Location.ValueString()
	s.Hetzner.Zone = zoneOf(&s.Hetzner)
	s.Hetzner.ServerType, s.Hetzner.Image = h.ServerType.ValueString(), h.Image.ValueString()
	if zone, ok := hetzner.LocationZones[s.Hetzner.Location]; ok && s.Hetzner.Zone != "" && zone != s.Hetzner.Zone {
		diags.AddAttributeError(pathHetzner.AtName("network_zone"), "Location outside the network zone",
			fmt.Sprintf("hetzner.network_zone: location %s is in network zone %s, but network_zone is %s; a server joins only subnets of its own zone. Set network_zone = %q, or choose a location in %s.",
				s.Hetzner.Location, zone, s.Hetzner.Zone, zone, s.Hetzner.Zone))
	}
	s.Hetzner.NetworkRange = prefixAttr(&diags, pathHetzner.AtName("network_ip_range"), h.NetworkIPRange.ValueString())
	if s.Hetzner.NetworkRange.IsValid() {
		addErr(&diags, pathHetzner.AtName("network_ip_range"), "Invalid Hetzner network range", addrplan.CheckNetworkRange(s.Hetzner.NetworkRange))
	}
	s.Hetzner.GatewaySubnet = prefixAttr(&diags, pathHetzner.AtName("gateway_subnet"), h.GatewaySubnet.ValueString())
	if v := h.GatewayIP.ValueString(); v != "" {
		ip, err := addrplan.ParseAddr(addrplan.AttrGatewayIP, v)
		addErr(&diags, pathHetzner.AtName("gateway_ip"), "Invalid gateway IP", err)
		s.Hetzner.GatewayIP = ip
	}
	if !h.SSHKeyIDs.IsUnknown() && !h.SSHKeyIDs.IsNull() {
		diags.Append(h.SSHKeyIDs.ElementsAs(ctx, &s.Hetzner.SSHKeyIDs, false)...)
	}
	s.Hetzner.SSHCIDRs = prefixList(ctx, &diags, pathHetzner.AtName("ssh_allowed_cidrs"), h.SSHAllowedCIDRs, true)
	s.Hetzner.LocalPrefixes = prefixList(ctx, &diags, pathHetzner.AtName("local_prefixes"), h.LocalPrefixes, false)

	s.Azure.ResourceGroup, s.Azure.Location = a.ResourceGroupName.ValueString(), a.Location.ValueString()
	s.Azure.VNetID, s.Azure.SKU, s.Azure.GatewayID = a.VirtualNetworkID.ValueString(), a.GatewaySKU.ValueString(), a.VirtualNetworkGatewayID.ValueString()
	if s.Azure.VNetID != "" {
		if _, err := azure.ParseID("azure.virtual_network_id", s.Azure.VNetID); err != nil {
			diags.AddAttributeError(pathAzure.AtName("virtual_network_id"), "Invalid virtual network ID", err.Error()+"; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>")
		}
	}
	if s.Azure.GatewayID != "" {
		if _, err := azure.ParseID("azure.virtual_network_gateway_id", s.Azure.GatewayID); err != nil {
			diags.AddAttributeError(pathAzure.AtName("virtual_network_gateway_id"), "Invalid virtual network gateway ID", err.Error())
		}
	}
	s.Azure.ReuseGateway = !a.VirtualNetworkGatewayID.IsNull()
	s.Azure.GatewaySubnet = prefixAttr(&diags, pathAzure.AtName("gateway_subnet_prefix"), a.GatewaySubnetPrefix.ValueString())
	if p := s.Azure.GatewaySubnet; p.IsValid() && p.Bits() > 29 {
		diags.AddAttributeError(pathAzure.AtName("gateway_subnet_prefix"), "GatewaySubnet too small",
			"azure.gateway_subnet_prefix: Azure needs a GatewaySubnet of /29 or larger (a /27 is recommended); "+p.String()+" is too small.")
	}
	warnSmallGatewaySubnet(s.Azure.GatewaySubnet, &diags)
	s.Azure.RemotePrefixes = prefixList(ctx, &diags, pathAzure.AtName("remote_prefixes"), a.RemotePrefixes, false)
	s.Azure.ConnectionMode = a.ConnectionMode.ValueString()
	s.Hetzner.HA = haSpecFrom(ctx, h.HighAvailability, &s, &diags)

	s.AllowWeak = m.AllowWeakCrypto.ValueBool()
	s.DPD = m.DPDTimeoutSeconds.ValueInt64()
	s.Wait = m.WaitForConnected.ValueBool()
	s.SharedKey = m.SharedKey.ValueString()
	if !m.SharedKey.IsNull() && !m.SharedKey.IsUnknown() { // "" too: Azure needs 1-128 characters
		if err := ipsec.ValidateSharedKey(s.SharedKey); err != nil {
			diags.AddAttributeError(path.Root("shared_key"), "Invalid shared key", err.Error())
		}
	}
	if !m.SharedKeyWO.IsNull() && !m.SharedKeyWO.IsUnknown() { // set only in a configuration
		if err := ipsec.ValidateSharedKey(m.SharedKeyWO.ValueString()); err != nil {
			diags.AddAttributeError(pathKeyWO, "Invalid shared key", strings.Replace(err.Error(), "shared_key", "shared_key_wo", 1))
		}
	}
	var pd diag.Diagnostics
	s.Policy, pd = policyFrom(ctx, m.IPsecPolicy, s.AllowWeak)
	diags.Append(pd...)
	checkPlan(&s, &diags)
	return s, diags
}

// checkPlan applies the address-plan rules between the two sides, each
// only once both of its inputs are known.
func checkPlan(s *spec, diags *diag.Diagnostics) {
	if s.Hetzner.NetworkRange.IsValid() && s.Hetzner.GatewaySubnet.IsValid() {
		addErr(diags, pathHetzner.AtName("gateway_subnet"), "Gateway subnet outside the network",
			addrplan.CheckSubnetInNetwork(addrplan.AttrGatewaySubnet, s.Hetzner.GatewaySubnet, s.Hetzner.NetworkRange))
	}
	if s.Hetzner.NetworkRange.IsValid() && s.Hetzner.GatewaySubnet.IsValid() && s.Hetzner.GatewayIP.IsValid() {
		addErr(diags, pathHetzner.AtName("gateway_ip"), "Invalid gateway IP", addrplan.CheckGatewayIP(s.Hetzner.GatewayIP, s.Hetzner.GatewaySubnet, s.Hetzner.NetworkRange))
	}
	if s.Hetzner.NetworkRange.IsValid() && len(s.Azure.RemotePrefixes) > 0 {
		covers := addrplan.CheckCovers
		if s.Hetzner.NetworkID != 0 {
			covers = addrplan.CheckCoversExisting // only base-keeping growth
		}
		addErr(diags, pathAzure.AtName("remote_prefixes"), "Hetzner network does not cover the Azure prefixes",
			covers(s.Hetzner.NetworkRange, s.Azure.RemotePrefixes, addrplan.AttrRemotePrefixes))
	}
	if len(s.Azure.RemotePrefixes) > 0 {
		local := s.Hetzner.LocalPrefixes
		attr := addrplan.AttrLocalPrefixes
		if len(local) == 0 && s.Hetzner.GatewaySubnet.IsValid() {
			local, attr = []netip.Prefix{s.Hetzner.GatewaySubnet}, addrplan.AttrGatewaySubnet
		}
		addErr(diags, attrPath(attr), "Hetzner and Azure prefixes overlap",
			addrplan.CheckNoOverlap(local, attr, s.Azure.RemotePrefixes, addrplan.AttrRemotePrefixes))
	}
}

func prefixAttr(diags *diag.Diagnostics, p path.Path, v string) netip.Prefix {
	if v == "" {
		return netip.Prefix{}
	}
	pfx, err := addrplan.ParsePrefix(pathString(p), v)
	addErr(diags, p, "Invalid CIDR", err)
	return pfx
}

// prefixList parses a list attribute; anyFamily allows IPv6 (firewall
// sources), the tunnel prefixes are IPv4 only.
func prefixList(ctx context.Context, diags *diag.Diagnostics, p path.Path, l types.List, anyFamily bool) []netip.Prefix {
	ss, ok, d := stringList(ctx, l)
	diags.Append(d...)
	if !ok {
		return nil
	}
	out := make([]netip.Prefix, 0, len(ss))
	for i, v := range ss {
		if anyFamily {
			pfx, err := netip.ParsePrefix(v)
			if err != nil || pfx.Masked() != pfx {
				diags.AddAttributeError(p.AtListIndex(i), "Invalid CIDR", pathString(p)+": \""+v+"\" is not a CIDR with the host bits zero (e.g. 203.0.113.0/24 or 2001:db8::/32).")
				continue
			}
			out = append(out, pfx)
			continue
		}
		pfx, err := addrplan.ParsePrefix(pathString(p), v)
		if err != nil {
			var ne *attrerr.Error
			msg := err.Error()
			if errors.As(err, &ne) {
				msg = ne.Message
			}
			diags.AddAttributeError(p.AtListIndex(i), "Invalid CIDR", fmt.Sprintf("%s element %d: %s", pathString(p), i, msg))
			continue
		}
		out = append(out, pfx)
	}
	return out
}

func pathString(p path.Path) string { return p.String() }

// policyFrom reads ipsec_policy (null = the secure defaults) and checks it.
func policyFrom(ctx context.Context, obj types.Object, allowWeak bool) (ipsec.Policy, diag.Diagnostics) {
	p, _, diags := policyattr.Policy(ctx, obj, allowWeak, path.Root(policyattr.Name))
	return p, diags
}
