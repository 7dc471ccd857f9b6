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
// or "use the default" (prefix lists, gateway IP, shared key).
type spec struct {
	Name string

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

	ResourceGroup       string
	AzureLocation       string
	VNetID              string
	GatewaySubnetPrefix netip.Prefix
	SKU                 string
	GatewayID           string
	// ReuseGateway is true when virtual_network_gateway_id is set, even if
	// its value is not known yet (another link's output).
	ReuseGateway   bool
	RemotePrefixes []netip.Prefix
	ConnectionMode string

	Policy    ipsec.Policy
	AllowWeak bool
	DPD       int64
	SharedKey string
	Wait      bool

	// HA is hetzner.high_availability; nil for one gateway server.
	HA *haSpec
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
	s.NetworkID = h.NetworkID.ValueInt64()
	s.Zone, s.Location = h.NetworkZone.ValueString(), h.Location.ValueString()
	s.Zone = zoneOf(&s)
	s.ServerType, s.Image = h.ServerType.ValueString(), h.Image.ValueString()
	if zone, ok := hetzner.LocationZones[s.Location]; ok && s.Zone != "" && zone != s.Zone {
		diags.AddAttributeError(pathHetzner.AtName("network_zone"), "Location outside the network zone",
			fmt.Sprintf("hetzner.network_zone: location %s is in network zone %s, but network_zone is %s; a server joins only subnets of its own zone. Set network_zone = %q, or choose a location in %s.",
				s.Location, zone, s.Zone, zone, s.Zone))
	}
	s.NetworkRange = prefixAttr(&diags, pathHetzner.AtName("network_ip_range"), h.NetworkIPRange.ValueString())
	if s.NetworkRange.IsValid() {
		addErr(&diags, pathHetzner.AtName("network_ip_range"), "Invalid Hetzner network range", addrplan.CheckNetworkRange(s.NetworkRange))
	}
	s.GatewaySubnet = prefixAttr(&diags, pathHetzner.AtName("gateway_subnet"), h.GatewaySubnet.ValueString())
	if v := h.GatewayIP.ValueString(); v != "" {
		ip, err := addrplan.ParseAddr(addrplan.AttrGatewayIP, v)
		addErr(&diags, pathHetzner.AtName("gateway_ip"), "Invalid gateway IP", err)
		s.GatewayIP = ip
	}
	if !h.SSHKeyIDs.IsUnknown() && !h.SSHKeyIDs.IsNull() {
		diags.Append(h.SSHKeyIDs.ElementsAs(ctx, &s.SSHKeyIDs, false)...)
	}
	s.SSHCIDRs = prefixList(ctx, &diags, pathHetzner.AtName("ssh_allowed_cidrs"), h.SSHAllowedCIDRs, true)
	s.LocalPrefixes = prefixList(ctx, &diags, pathHetzner.AtName("local_prefixes"), h.LocalPrefixes, false)

	s.ResourceGroup, s.AzureLocation = a.ResourceGroupName.ValueString(), a.Location.ValueString()
	s.VNetID, s.SKU, s.GatewayID = a.VirtualNetworkID.ValueString(), a.GatewaySKU.ValueString(), a.VirtualNetworkGatewayID.ValueString()
	if s.VNetID != "" {
		if _, err := azure.ParseID("azure.virtual_network_id", s.VNetID); err != nil {
			diags.AddAttributeError(pathAzure.AtName("virtual_network_id"), "Invalid virtual network ID", err.Error()+"; expected /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>")
		}
	}
	if s.GatewayID != "" {
		if _, err := azure.ParseID("azure.virtual_network_gateway_id", s.GatewayID); err != nil {
			diags.AddAttributeError(pathAzure.AtName("virtual_network_gateway_id"), "Invalid virtual network gateway ID", err.Error())
		}
	}
	s.ReuseGateway = !a.VirtualNetworkGatewayID.IsNull()
	s.GatewaySubnetPrefix = prefixAttr(&diags, pathAzure.AtName("gateway_subnet_prefix"), a.GatewaySubnetPrefix.ValueString())
	if p := s.GatewaySubnetPrefix; p.IsValid() && p.Bits() > 29 {
		diags.AddAttributeError(pathAzure.AtName("gateway_subnet_prefix"), "GatewaySubnet too small",
			"azure.gateway_subnet_prefix: Azure needs a GatewaySubnet of /29 or larger (a /27 is recommended); "+p.String()+" is too small.")
	}
	warnSmallGatewaySubnet(s.GatewaySubnetPrefix, &diags)
	s.RemotePrefixes = prefixList(ctx, &diags, pathAzure.AtName("remote_prefixes"), a.RemotePrefixes, false)
	s.ConnectionMode = a.ConnectionMode.ValueString()
	s.HA = haSpecFrom(ctx, h.HighAvailability, &s, &diags)

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
	if s.NetworkRange.IsValid() && s.GatewaySubnet.IsValid() {
		addErr(diags, pathHetzner.AtName("gateway_subnet"), "Gateway subnet outside the network",
			addrplan.CheckSubnetInNetwork(addrplan.AttrGatewaySubnet, s.GatewaySubnet, s.NetworkRange))
	}
	if s.NetworkRange.IsValid() && s.GatewaySubnet.IsValid() && s.GatewayIP.IsValid() {
		addErr(diags, pathHetzner.AtName("gateway_ip"), "Invalid gateway IP", addrplan.CheckGatewayIP(s.GatewayIP, s.GatewaySubnet, s.NetworkRange))
	}
	if s.NetworkRange.IsValid() && len(s.RemotePrefixes) > 0 {
		covers := addrplan.CheckCovers
		if s.NetworkID != 0 {
			covers = addrplan.CheckCoversExisting // only base-keeping growth
		}
		addErr(diags, pathAzure.AtName("remote_prefixes"), "Hetzner network does not cover the Azure prefixes",
			covers(s.NetworkRange, s.RemotePrefixes, addrplan.AttrRemotePrefixes))
	}
	if len(s.RemotePrefixes) > 0 {
		local := s.LocalPrefixes
		attr := addrplan.AttrLocalPrefixes
		if len(local) == 0 && s.GatewaySubnet.IsValid() {
			local, attr = []netip.Prefix{s.GatewaySubnet}, addrplan.AttrGatewaySubnet
		}
		addErr(diags, attrPath(attr), "Hetzner and Azure prefixes overlap",
			addrplan.CheckNoOverlap(local, attr, s.RemotePrefixes, addrplan.AttrRemotePrefixes))
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
