package azuresim

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// This file holds the request rules that need no state. Codes quoted in
// docs/facts/arm-shapes.md (constraints) are real; the others are marked unverified.

const gatewaySubnetName = "GatewaySubnet"

// parsePrefix reads one IPv4 CIDR the way Network RP does: it must parse
// and be canonical (no host bits). Local network gateways take IPv4 here.
func parsePrefix(s, resourceID string) (netip.Prefix, *armError) {
	return parsePrefixFamily(s, resourceID, false)
}

// parseVNetPrefix is parsePrefix for VNets and subnets, which can be
// dual-stack: IPv6 address space and subnet prefixes next to IPv4 (MD
// articles/virtual-network/ip-services/ipv6-overview.md; the VPN FAQ "Does
// Azure VPN Gateway support IPv6? Yes").
func parseVNetPrefix(s, resourceID string) (netip.Prefix, *armError) {
	return parsePrefixFamily(s, resourceID, true)
}

func parsePrefixFamily(s, resourceID string, v6 bool) (netip.Prefix, *armError) {
	p, err := netip.ParsePrefix(strings.TrimSpace(s))
	if err != nil || !p.Addr().Is4() && !(v6 && p.Addr().Is6()) {
		// unverified code
		return p, badRequest("InvalidAddressPrefixFormat", "Address prefix %q of resource %s is not a valid CIDR (for example 10.1.0.0/16).", s, resourceID)
	}
	if p.Masked() != p {
		return p, badRequest("InvalidCIDRNotation", "The address prefix %s in resource %s has an invalid CIDR notation. For the given prefix length, the address prefix should be %s.", s, resourceID, p.Masked())
	}
	return p, nil
}

// subnetPrefixes returns a subnet's addressPrefix or addressPrefixes.
func subnetPrefixes(sn *armnetwork.Subnet) []string {
	if sn.Properties == nil {
		return nil
	}
	var out []string
	if sn.Properties.AddressPrefix != nil {
		out = append(out, *sn.Properties.AddressPrefix)
	}
	for _, p := range sn.Properties.AddressPrefixes {
		if p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// checkSubnets validates every subnet of a VNet against its address space and
// each other (NetcfgSubnetRangeOutsideVnet, NetcfgSubnetRangesOverlap) and
// keeps NSGs off GatewaySubnet.
func checkSubnets(vnetName string, space []string, subnets []*armnetwork.Subnet, vnetID string) *armError {
	var spaces []netip.Prefix
	for _, sp := range space {
		p, e := parseVNetPrefix(sp, vnetID)
		if e != nil {
			return e
		}
		spaces = append(spaces, p)
	}
	type seen struct {
		name string
		p    netip.Prefix
	}
	var all []seen
	for _, sn := range subnets {
		name := deref(sn.Name)
		prefixes := subnetPrefixes(sn)
		if len(prefixes) == 0 {
			return badRequest("InvalidRequestFormat", "Cannot parse the request: subnet '%s' needs properties.addressPrefix.", name)
		}
		if sn.Properties.NetworkSecurityGroup != nil && deref(sn.Properties.NetworkSecurityGroup.ID) != "" && name == gatewaySubnetName {
			return badRequest("NetworkSecurityGroupCannotBeAttachedToGatewaySubnet",
				"Network security group %s cannot be attached to the GatewaySubnet of virtual network %s. Remove properties.networkSecurityGroup from subnet '%s'.",
				deref(sn.Properties.NetworkSecurityGroup.ID), vnetName, name)
		}
		for _, raw := range prefixes {
			p, e := parseVNetPrefix(raw, vnetID+"/subnets/"+name)
			if e != nil {
				return e
			}
			if !slices.ContainsFunc(spaces, func(sp netip.Prefix) bool { return sp.Bits() <= p.Bits() && sp.Contains(p.Addr()) }) {
				return badRequest("NetcfgSubnetRangeOutsideVnet",
					"Subnet '%s' is not valid because its IP address range is outside the IP address range of virtual network '%s'.", name, vnetName)
			}
			for _, o := range all {
				if o.p.Overlaps(p) {
					return badRequest("NetcfgSubnetRangesOverlap",
						"Subnet '%s' is not valid because its IP address range overlaps with that of an existing subnet in virtual network '%s'.", name, vnetName)
				}
			}
			all = append(all, seen{name, p})
		}
	}
	return nil
}

// isNonAZVpnGw reports the VpnGw1-5 SKUs that can no longer be created since
// 2025-01-01 (MD:articles/vpn-gateway/gateway-sku-consolidation.md).
func isNonAZVpnGw(sku armnetwork.VirtualNetworkGatewaySKUName) bool {
	switch sku {
	case armnetwork.VirtualNetworkGatewaySKUNameVPNGw1, armnetwork.VirtualNetworkGatewaySKUNameVPNGw2,
		armnetwork.VirtualNetworkGatewaySKUNameVPNGw3, armnetwork.VirtualNetworkGatewaySKUNameVPNGw4,
		armnetwork.VirtualNetworkGatewaySKUNameVPNGw5:
		return true
	}
	return false
}

// checkIPsecPolicies: at most one policy, all 8 fields, known enums, GCM
// symmetry and the lifetime minimums (docs/facts/ipsec.md, "Custom policy"). Codes are unverified.
func checkIPsecPolicies(ps []*armnetwork.IPSecPolicy) *armError {
	if len(ps) > 1 {
		return badRequest("InvalidIpsecPoliciesCount", "properties.ipsecPolicies has %d entries; a connection takes at most one custom IPsec/IKE policy.", len(ps))
	}
	if len(ps) == 0 {
		return nil
	}
	p := ps[0]
	if p == nil {
		return badRequest("IpsecPolicyIncomplete", "properties.ipsecPolicies[0] is null; give all eight fields or remove the policy.")
	}
	var missing []string
	for name, set := range map[string]bool{
		"ikeEncryption": p.IkeEncryption != nil, "ikeIntegrity": p.IkeIntegrity != nil, "dhGroup": p.DhGroup != nil,
		"ipsecEncryption": p.IPSecEncryption != nil, "ipsecIntegrity": p.IPSecIntegrity != nil, "pfsGroup": p.PfsGroup != nil,
		"saLifeTimeSeconds": p.SaLifeTimeSeconds != nil, "saDataSizeKilobytes": p.SaDataSizeKilobytes != nil,
	} {
		if !set {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return badRequest("IpsecPolicyIncomplete", "properties.ipsecPolicies[0] is missing %s; a custom policy needs all eight fields.", strings.Join(missing, ", "))
	}
	if e := firstBadEnum(
		enumCheck("ikeEncryption", *p.IkeEncryption, armnetwork.PossibleIkeEncryptionValues()),
		enumCheck("ikeIntegrity", *p.IkeIntegrity, armnetwork.PossibleIkeIntegrityValues()),
		enumCheck("dhGroup", *p.DhGroup, armnetwork.PossibleDhGroupValues()),
		enumCheck("ipsecEncryption", *p.IPSecEncryption, armnetwork.PossibleIPSecEncryptionValues()),
		enumCheck("ipsecIntegrity", *p.IPSecIntegrity, armnetwork.PossibleIPSecIntegrityValues()),
		enumCheck("pfsGroup", *p.PfsGroup, armnetwork.PossiblePfsGroupValues()),
	); e != nil {
		return e
	}
	enc, integ := string(*p.IPSecEncryption), string(*p.IPSecIntegrity)
	if (strings.HasPrefix(enc, "GCMAES") || strings.HasPrefix(integ, "GCMAES")) && enc != integ {
		return badRequest("IpsecEncryptionIntegrityMismatch",
			"properties.ipsecPolicies[0]: ipsecEncryption %s needs ipsecIntegrity %s (GCM must be the same algorithm on both), got %s.", enc, enc, integ)
	}
	if *p.SaLifeTimeSeconds < 300 {
		return badRequest("InvalidSaLifeTimeSeconds", "properties.ipsecPolicies[0].saLifeTimeSeconds is %d; it must be at least 300.", *p.SaLifeTimeSeconds)
	}
	// 0 or 1024..: the portal accepts "0 or between 1024 and 2147483647"
	// (azurerm#21407; azurerm allows 0 since PR #27056).
	if n := *p.SaDataSizeKilobytes; n != 0 && n < 1024 {
		return badRequest("InvalidSaDataSizeKilobytes", "properties.ipsecPolicies[0].saDataSizeKilobytes is %d; it must be 0 or at least 1024.", n)
	}
	return nil
}

func enumCheck[T ~string](field string, v T, allowed []T) *armError {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return badRequest("InvalidRequestFormat", "Cannot parse the request: %s value %q is not one of %s.", field, v, strings.Join(names, ", "))
}

func firstBadEnum(es ...*armError) *armError {
	for _, e := range es {
		if e != nil {
			return e
		}
	}
	return nil
}

// checkSharedKey: "only printable ASCII characters, except space, hyphen (-),
// or tilde (~)", 1 to 128 characters (VPN FAQ; reset keyLength). Code unverified.
func checkSharedKey(k string) *armError {
	if len(k) < 1 || len(k) > 128 {
		return badRequest("InvalidSharedKey", "The shared key is %d characters long; it must have 1 to 128.", len(k))
	}
	for i, c := range []byte(k) {
		if c <= ' ' || c > '~' || c == '-' || c == '~' {
			return badRequest("InvalidSharedKey", "The shared key has %q at position %d; use printable ASCII except space, hyphen (-) and tilde (~).", rune(c), i+1)
		}
	}
	return nil
}

// checkDPD: dpdTimeoutSeconds 9..3600 (0 means "not set", default 45).
func checkDPD(v *int32) *armError {
	if v == nil || *v == 0 || (*v >= 9 && *v <= 3600) {
		return nil
	}
	return badRequest("InvalidDpdTimeout", "properties.dpdTimeoutSeconds is %d; it must be between 9 and 3600 seconds.", *v)
}

func fmtState(ps *armnetwork.ProvisioningState) string {
	if ps == nil {
		return "Unknown"
	}
	return fmt.Sprint(*ps)
}
