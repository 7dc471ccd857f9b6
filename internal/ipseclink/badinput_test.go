package ipseclink_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// hclBody is the inside of one nested object attribute, attribute name to
// HCL expression.
type hclBody map[string]string

// The original topology, as in site.config, one attribute a line so that
// Terraform's diagnostic quotes the line of the attribute that is wrong.
var (
	baseHetzner = hclBody{
		"network_ip_range": `"10.0.0.0/12"`,
		"gateway_subnet":   `"10.0.1.0/24"`,
		"location":         `"hel1"`,
	}
	baseAzure = hclBody{
		"resource_group_name":   `"rg-net"`,
		"location":              `"westeurope"`,
		"virtual_network_id":    `%VNET%`,
		"gateway_subnet_prefix": `"10.1.255.0/27"`,
	}
)

// badCase is one invalid configuration: the original topology with one
// thing changed (plus what that one change needs to stay otherwise valid).
type badCase struct {
	name    string
	hetzner hclBody // overrides; "" removes the attribute
	azure   hclBody
	top     string // extra top-level lines
	link    string // the link's name; "" is the original "hel1-weu"
	// seed creates what the case needs in the emulator before the mutation
	// baseline is taken (an existing network) and returns hetzner overrides.
	seed func(t *testing.T, s site) hclBody
	// line is the top-level attribute whose source line Terraform quotes.
	// Empty for nested attributes: Terraform 1.11 quotes the resource line
	// for those, so the message itself must name the attribute.
	line string
	// want are literal phrases that must appear in this order, the first
	// being the diagnostic's summary; Terraform wraps text at spaces, so a
	// space matches any white space.
	want []string
}

// pattern is the regexp a case's error must match.
func (c badCase) pattern() *regexp.Regexp {
	phrase := func(s string) string {
		words := strings.Fields(s)
		for i, w := range words {
			words[i] = regexp.QuoteMeta(w)
		}
		return strings.Join(words, `\s+`)
	}
	re := `(?s)Error: ` + phrase(c.want[0])
	if c.line != "" {
		re += `\s+with crosscloud_ipsec_link\.main,\s+on terraform_plugin_test\.tf line (\d+)[^\n]*\n\s*\d+:\s+` + regexp.QuoteMeta(c.line) + `\s+=`
	}
	for _, w := range c.want[1:] {
		re += `.*?` + phrase(w)
	}
	return regexp.MustCompile(re)
}

func render(b hclBody, indent string) string {
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(b)) {
		fmt.Fprintf(&sb, "%s%s = %s\n", indent, k, b[k])
	}
	return sb.String()
}

func merged(base, over hclBody) hclBody {
	out := maps.Clone(base)
	for k, v := range over {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// hcl is c's configuration against s.
func (c badCase) hcl(s site, seeded hclBody) string {
	h := merged(merged(baseHetzner, c.hetzner), seeded)
	a := merged(baseAzure, c.azure)
	name := c.link
	if name == "" {
		name = "hel1-weu"
	}
	body := fmt.Sprintf("resource \"crosscloud_ipsec_link\" \"main\" {\n  name = %q\n%s  hetzner = {\n%s  }\n  azure = {\n%s  }\n}\n",
		name, c.top, render(h, "    "), render(a, "    "))
	body = strings.NewReplacer("%VNET%", fmt.Sprintf("%q", s.vnetID), "%SUB%", s.sim.SubscriptionID()).Replace(body)
	return s.sim.ProviderConfig() + body
}

func policy(body string) string { return "  ipsec_policy = { " + body + " }\n" }

func key(k string) string { return fmt.Sprintf("  shared_key = %q\n", k) }

// weak is a weak-algorithm case: field set to value (with partner settings
// that keep the rest of the policy valid) and the message naming both.
func weak(field, value, partner string) badCase {
	return badCase{name: "weak_" + field + "_" + strings.ToLower(value),
		top:  policy(fmt.Sprintf("%s = %q%s", field, value, partner)),
		want: []string{"Invalid IPsec policy", "ipsec_policy." + field + ": " + value + " is weak:", "allow_weak_crypto = true"}}
}

// missingID is an ID of the right shape for a resource that does not exist.
const missingID = "/subscriptions/%SUB%/resourceGroups/rg-net/providers/Microsoft.Network/"

func badCases() []badCase {
	cases := []badCase{
		// hetzner.network_ip_range / network_id / network_zone
		{name: "network_ip_range_host_bits", hetzner: hclBody{"network_ip_range": `"10.0.0.5/12"`},
			want: []string{"Invalid CIDR", "hetzner.network_ip_range: 10.0.0.5/12 has host bits set; did you mean 10.0.0.0/12?"}},
		{name: "network_ip_range_ipv6", hetzner: hclBody{"network_ip_range": `"fd00::/8"`},
			want: []string{"Invalid CIDR", "hetzner.network_ip_range: fd00::/8 is an IPv6 prefix; crosscloud supports IPv4 only"}},
		{name: "network_ip_range_without_length", hetzner: hclBody{"network_ip_range": `"10.0.0.0"`},
			want: []string{"Invalid CIDR", `hetzner.network_ip_range: "10.0.0.0" is an address, not a CIDR prefix`}},
		{name: "network_ip_range_not_rfc1918", hetzner: hclBody{"network_ip_range": `"8.0.0.0/8"`},
			want: []string{"Invalid Hetzner network range", "hetzner.network_ip_range: 8.0.0.0/8 is not private address space", "(RFC1918)"}},
		{name: "network_ip_range_smaller_than_24", hetzner: hclBody{"network_ip_range": `"10.0.1.0/25"`},
			want: []string{"Invalid Hetzner network range", "hetzner.network_ip_range: 10.0.1.0/25 is too small: Hetzner networks must be /24 or larger"}},
		{name: "network_range_misses_vnet", hetzner: hclBody{"network_ip_range": `"10.0.0.0/16"`},
			want: []string{"Hetzner network does not cover the Azure prefixes",
				"azure.remote_prefixes: Azure prefix(es) 10.1.0.0/16 lie outside the Hetzner network range 10.0.0.0/16", "Use a network range of 10.0.0.0/15"}},
		{name: "network_zone_not_the_locations", hetzner: hclBody{"network_zone": `"us-east"`},
			want: []string{"Location outside the network zone", "hetzner.network_zone: location hel1 is in network zone eu-central, but network_zone is us-east"}},
		{name: "network_id_and_network_ip_range", hetzner: hclBody{"network_id": "1"},
			want: []string{"Invalid Attribute Combination", "2 attributes specified when one (and only one) of [hetzner.network_id.<.network_ip_range] is required"}},
		{name: "neither_network_id_nor_range", hetzner: hclBody{"network_ip_range": ""},
			want: []string{"Invalid Attribute Combination", "No attribute specified when one (and only one) of [hetzner.network_id.<.network_ip_range] is required"}},
		{name: "network_id_does_not_exist", hetzner: hclBody{"network_ip_range": "", "network_id": "987654"},
			// The message names the attribute and the ID that was not found.
			want: []string{"Hetzner network not found", "hetzner.network_id: no network with ID 987654 exists", "use network_ip_range to create one"}},
		{name: "existing_network_misses_vnet", hetzner: hclBody{"network_ip_range": ""},
			seed: func(t *testing.T, s site) hclBody {
				n := s.sim.CreateHCloudNetwork(t, "existing", "10.0.0.0/20")
				return hclBody{"network_id": fmt.Sprint(n.ID)}
			},
			want: []string{"Hetzner network does not cover the Azure prefixes",
				"azure.remote_prefixes: Azure prefix(es) 10.1.0.0/16 lie outside the Hetzner network range 10.0.0.0/20", "expand_network_ip_range"}},
		// An existing network that only a range with another base would
		// stretch over the VNet: Hetzner's change_ip_range keeps the base.
		{name: "existing_network_needs_moved_base", hetzner: hclBody{"network_ip_range": "", "gateway_subnet": `"10.2.1.0/24"`},
			seed: func(t *testing.T, s site) hclBody {
				n := s.sim.CreateHCloudNetwork(t, "existing", "10.2.0.0/16")
				return hclBody{"network_id": fmt.Sprint(n.ID)}
			},
			want: []string{"Hetzner network does not cover the Azure prefixes",
				"azure.remote_prefixes: Azure prefix(es) 10.1.0.0/16 lie outside the Hetzner network range 10.2.0.0/16",
				"base address 10.2.0.0 stays", "largest range this network can have is 10.2.0.0/15", "such as 10.0.0.0/14"}},
		{name: "network_zone_unknown", hetzner: hclBody{"network_zone": `"eu-west"`},
			want: []string{"Invalid Attribute Value Match", "Attribute hetzner.network_zone value must be one of:", `got: "eu-west"`}},

		// hetzner.gateway_subnet / gateway_ip
		{name: "gateway_subnet_host_bits", hetzner: hclBody{"gateway_subnet": `"10.0.1.1/24"`},
			want: []string{"Invalid CIDR", "hetzner.gateway_subnet: 10.0.1.1/24 has host bits set; did you mean 10.0.1.0/24?"}},
		{name: "gateway_subnet_ipv6", hetzner: hclBody{"gateway_subnet": `"fd00:1::/64"`},
			want: []string{"Invalid CIDR", "hetzner.gateway_subnet: fd00:1::/64 is an IPv6 prefix"}},
		{name: "gateway_subnet_outside_network", hetzner: hclBody{"gateway_subnet": `"10.16.1.0/24"`},
			want: []string{"Gateway subnet outside the network", "hetzner.gateway_subnet: 10.16.1.0/24 is not inside the Hetzner network range 10.0.0.0/12"}},
		{name: "gateway_subnet_overlaps_vnet", hetzner: hclBody{"network_ip_range": `"10.0.0.0/8"`, "gateway_subnet": `"10.1.1.0/24"`},
			// Reported on hetzner.local_prefixes although only gateway_subnet
			// is set: liveChecks defaults local_prefixes to it before checkPlan
			// picks the attribute. The overlapping pair names the culprit.
			want: []string{"Hetzner and Azure prefixes overlap", "must not overlap azure.remote_prefixes (10.1.1.0/24 overlaps 10.1.0.0/16)"}},
		{name: "gateway_ip_network_first_ip", hetzner: hclBody{"gateway_subnet": `"10.0.0.0/24"`, "gateway_ip": `"10.0.0.1"`},
			want: []string{"Invalid gateway IP", "hetzner.gateway_ip: 10.0.0.1 is the first IP of the network range 10.0.0.0/12, which Hetzner reserves for its own router"}},
		{name: "gateway_ip_hetzner_public_gateway",
			hetzner: hclBody{"network_ip_range": `"172.16.0.0/12"`, "gateway_subnet": `"172.31.1.0/24"`, "gateway_ip": `"172.31.1.1"`},
			azure:   hclBody{"remote_prefixes": `["172.20.0.0/16"]`},
			want:    []string{"Invalid gateway IP", "hetzner.gateway_ip: 172.31.1.1 is Hetzner's public gateway"}},
		{name: "gateway_ip_outside_gateway_subnet", hetzner: hclBody{"gateway_ip": `"10.0.2.5"`},
			want: []string{"Invalid gateway IP", "hetzner.gateway_ip: 10.0.2.5 is not inside gateway_subnet 10.0.1.0/24"}},
		{name: "gateway_ip_subnet_network_address", hetzner: hclBody{"gateway_ip": `"10.0.1.0"`},
			want: []string{"Invalid gateway IP", "hetzner.gateway_ip: 10.0.1.0 is the network address of gateway_subnet 10.0.1.0/24"}},
		{name: "gateway_ip_subnet_broadcast", hetzner: hclBody{"gateway_ip": `"10.0.1.255"`},
			want: []string{"Invalid gateway IP", "hetzner.gateway_ip: 10.0.1.255 is the broadcast address of gateway_subnet 10.0.1.0/24"}},
		{name: "gateway_ip_ipv6", hetzner: hclBody{"gateway_ip": `"fd00::1"`},
			want: []string{"Invalid gateway IP", "hetzner.gateway_ip: fd00::1 is an IPv6 address"}},
		{name: "gateway_ip_with_length", hetzner: hclBody{"gateway_ip": `"10.0.1.1/32"`},
			want: []string{"Invalid gateway IP", `hetzner.gateway_ip: "10.0.1.1/32" is a prefix; give a single IPv4 address`}},

		// hetzner.location / server_type / image against Hetzner's catalogue
		{name: "location_unknown", hetzner: hclBody{"location": `"mars1"`},
			want: []string{"Gateway server cannot be ordered", `hetzner.location: "mars1" is not a Hetzner location; the locations are ash, fsn1, hel1, hil, nbg1, sin`}},
		{name: "server_type_removed", hetzner: hclBody{"server_type": `"cx22"`},
			want: []string{"Gateway server cannot be ordered", `hetzner.server_type: Hetzner has no server type "cx22"`, "offered in hel1 now: x86:", "cpx22", "arm: cax11"}},
		{name: "server_type_deprecated", hetzner: hclBody{"server_type": `"cpx11"`},
			want: []string{"Gateway server cannot be ordered", "hetzner.server_type: server type cpx11 is deprecated in hel1 and can no longer be ordered there", "2025-12-31"}},
		{name: "server_type_eu_only_in_ash", hetzner: hclBody{"location": `"ash"`, "server_type": `"cx23"`},
			want: []string{"Gateway server cannot be ordered", "hetzner.server_type: server type cx23 is not offered in ash; offered in ash now: x86:", "cpx22"}},
		{name: "image_unknown", hetzner: hclBody{"image": `"windows-95"`},
			want: []string{"Gateway server cannot be ordered", `hetzner.image: Hetzner has no image "windows-95" for x86`, "debian-12, debian-13, ubuntu-22.04, ubuntu-24.04"}},
		{name: "image_not_for_arm", hetzner: hclBody{"server_type": `"cax11"`, "image": `"rocky-9"`},
			want: []string{"Gateway server cannot be ordered", `hetzner.image: Hetzner has no image "rocky-9" for arm (the architecture of cax11)`}},

		// prefixes carried by the tunnel, SSH sources, user_data size. List
		// elements' messages do not name the list (spec.go prefixList): the
		// offending value is what points at it.
		{name: "local_prefixes_overlap_azure", hetzner: hclBody{"local_prefixes": `["10.1.0.0/24"]`},
			want: []string{"Hetzner and Azure prefixes overlap", "hetzner.local_prefixes: must not overlap azure.remote_prefixes (10.1.0.0/24 overlaps 10.1.0.0/16)"}},
		{name: "local_prefixes_host_bits", hetzner: hclBody{"local_prefixes": `["10.0.1.7/24"]`},
			want: []string{"Invalid CIDR", "10.0.1.7/24 has host bits set; did you mean 10.0.1.0/24?"}},
		{name: "remote_prefixes_not_covered", azure: hclBody{"remote_prefixes": `["10.200.0.0/16"]`},
			want: []string{"Hetzner network does not cover the Azure prefixes",
				"azure.remote_prefixes: Azure prefix(es) 10.200.0.0/16 lie outside the Hetzner network range 10.0.0.0/12", "Use a network range of 10.0.0.0/8"}},
		{name: "remote_prefixes_no_rfc1918_cover", azure: hclBody{"remote_prefixes": `["192.168.0.0/24"]`},
			want: []string{"Hetzner network does not cover the Azure prefixes",
				"azure.remote_prefixes: Azure prefix(es) 192.168.0.0/24 lie outside", "No RFC1918 range can cover both 10.0.0.0/12 and these prefixes"}},
		{name: "remote_prefixes_ipv6", azure: hclBody{"remote_prefixes": `["fd00:2::/64"]`},
			want: []string{"Invalid CIDR", "fd00:2::/64 is an IPv6 prefix; crosscloud supports IPv4 only"}},
		{name: "ssh_allowed_cidrs_no_length", hetzner: hclBody{"ssh_allowed_cidrs": `["203.0.113.5"]`},
			want: []string{"Invalid CIDR", `"203.0.113.5" is not a CIDR with the host bits zero`}},
		{name: "ssh_allowed_cidrs_host_bits", hetzner: hclBody{"ssh_allowed_cidrs": `["203.0.113.5/24"]`},
			want: []string{"Invalid CIDR", `"203.0.113.5/24" is not a CIDR with the host bits zero`}},
		{name: "user_data_too_big", hetzner: hclBody{"network_ip_range": `"10.0.0.0/8"`},
			azure: hclBody{"remote_prefixes": manyPrefixes(3000)},
			want:  []string{"Gateway cloud-init too large", "over Hetzner's limit of 32768 bytes (32 KiB)", "(1 local, 3000 remote)"}},

		// ipsec_policy: weak algorithms, pairing rules, lifetimes
		weak("ike_encryption", "DES", `, ike_integrity = "SHA256"`),
		weak("ike_encryption", "DES3", `, ike_integrity = "SHA256"`),
		weak("ike_integrity", "MD5", `, ike_encryption = "AES256"`),
		weak("dh_group", "DHGroup1", ""),
		weak("dh_group", "DHGroup2", ""),
		weak("dh_group", "DHGroup24", ""),
		weak("ipsec_encryption", "DES", `, ipsec_integrity = "SHA256"`),
		weak("ipsec_encryption", "DES3", `, ipsec_integrity = "SHA256"`),
		weak("ipsec_encryption", "None", `, ipsec_integrity = "SHA256"`),
		weak("ipsec_integrity", "MD5", `, ipsec_encryption = "AES256"`),
		weak("pfs_group", "PFS1", ""),
		weak("pfs_group", "PFS2", ""),
		weak("pfs_group", "PFS24", ""),
		{name: "gcm_integrity_mismatch", top: policy(`ipsec_encryption = "GCMAES256", ipsec_integrity = "GCMAES128"`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.ipsec_integrity: ipsec_encryption GCMAES256 needs ipsec_integrity GCMAES256"}},
		{name: "gcm_integrity_with_cbc", top: policy(`ipsec_encryption = "AES256", ipsec_integrity = "GCMAES256"`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.ipsec_integrity: GCMAES256 is only valid with ipsec_encryption GCMAES256, not AES256"}},
		{name: "ike_gcm_integrity_with_cbc", top: policy(`ike_encryption = "AES256", ike_integrity = "GCMAES256"`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.ike_integrity: GCMAES256 is only valid with GCM ike_encryption", "not AES256"}},
		{name: "ike_gcm_integrity_with_gcm", top: policy(`ike_encryption = "GCMAES256", ike_integrity = "GCMAES256"`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.ike_integrity: GCMAES256 is not usable as ike_integrity", "Azure documents no PRF"}},
		{name: "dh_group_none", top: policy(`dh_group = "None"`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.dh_group: None is not a valid IKE Diffie-Hellman group"}},
		{name: "pfs_group_pfsmm", top: policy(`pfs_group = "PFSMM"`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.pfs_group: PFSMM is not usable with a strongSwan site-to-site peer"}},
		{name: "ike_encryption_unknown", top: policy(`ike_encryption = "AES512"`),
			want: []string{"Invalid Attribute Value Match", "Attribute ipsec_policy.ike_encryption value must be one of:", `got: "AES512"`}},
		{name: "sa_lifetime_below_300", top: policy(`sa_lifetime_seconds = 299`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.sa_lifetime_seconds: 299 s is below Azure's minimum of 300 s"}},
		{name: "sa_lifetime_beyond_int32", top: policy(`sa_lifetime_seconds = 4294967296`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.sa_lifetime_seconds: 4294967296 is outside the range Azure accepts"}},
		{name: "sa_datasize_below_1024", top: policy(`sa_datasize_kilobytes = 1023`),
			want: []string{"Invalid IPsec policy", "ipsec_policy.sa_datasize_kilobytes: 1023 KB is below Azure's minimum of 1024 KB"}},

		// shared_key, dpd_timeout_seconds, name
		{name: "shared_key_space", top: key("s3cret key0123"), line: "shared_key",
			want: []string{"Invalid shared key", "shared_key: contains a space at byte 7"}},
		{name: "shared_key_hyphen", top: key("s3cret-key0123"), line: "shared_key",
			want: []string{"Invalid shared key", "shared_key: contains a hyphen (-) at byte 7"}},
		{name: "shared_key_tilde", top: key("s3cret~key0123"), line: "shared_key",
			want: []string{"Invalid shared key", "shared_key: contains a tilde (~) at byte 7"}},
		{name: "shared_key_non_ascii", top: key("s3cretkéy0123"), line: "shared_key",
			want: []string{"Invalid shared key", "shared_key: contains a character that is not printable ASCII at byte 8"}},
		{name: "shared_key_tab", top: key("s3cret\tkey0123"), line: "shared_key",
			want: []string{"Invalid shared key", "shared_key: contains a character that is not printable ASCII at byte 7"}},
		{name: "shared_key_too_long", top: key(strings.Repeat("k", 129)), line: "shared_key",
			want: []string{"Invalid shared key", "shared_key: is 129 characters long; Azure accepts 1 to 128"}},
		{name: "shared_key_empty", top: key(""), line: "shared_key",
			want: []string{"Invalid shared key", "shared_key: is 0 characters long; Azure accepts 1 to 128"}},
		{name: "dpd_below_9", top: "  dpd_timeout_seconds = 8\n", line: "dpd_timeout_seconds",
			want: []string{"Invalid Attribute Value", "Attribute dpd_timeout_seconds value must be between 9 and 3600, got: 8"}},
		{name: "dpd_above_3600", top: "  dpd_timeout_seconds = 3601\n", line: "dpd_timeout_seconds",
			want: []string{"Invalid Attribute Value", "Attribute dpd_timeout_seconds value must be between 9 and 3600, got: 3601"}},
		{name: "name_uppercase", link: "Hel1-weu", line: "name",
			want: []string{"Invalid Attribute Value Match", "Attribute name must be 1-40 lowercase letters", "got: Hel1-weu"}},
		{name: "name_too_long", link: strings.Repeat("a", 41), line: "name",
			want: []string{"Invalid Attribute Value Match", "Attribute name must be 1-40 lowercase letters", "got: " + strings.Repeat("a", 41)}},
		{name: "name_leading_hyphen", link: "-hel1-weu", line: "name",
			want: []string{"Invalid Attribute Value Match", "Attribute name must be 1-40 lowercase letters", "got: -hel1-weu"}},
		{name: "name_underscore", link: "hel1_weu", line: "name",
			want: []string{"Invalid Attribute Value Match", "Attribute name must be 1-40 lowercase letters", "got: hel1_weu"}},

		// azure
		{name: "gateway_sku_unknown", azure: hclBody{"gateway_sku": `"VpnGw9AZ"`},
			want: []string{"Invalid Attribute Value Match", "Attribute azure.gateway_sku value must be one of:", `got: "VpnGw9AZ"`}},
		{name: "gateway_sku_non_az", azure: hclBody{"gateway_sku": `"VpnGw1"`},
			want: []string{"Invalid Attribute Value Match", "Attribute azure.gateway_sku value must be one of:", `got: "VpnGw1"`}},
		{name: "gateway_sku_basic", azure: hclBody{"gateway_sku": `"Basic"`},
			want: []string{"Invalid Attribute Value Match", "Attribute azure.gateway_sku value must be one of:", `got: "Basic"`}},
		{name: "virtual_network_id_not_an_id", azure: hclBody{"virtual_network_id": `"vnet"`},
			want: []string{"Invalid virtual network ID", `azure.virtual_network_id: "vnet" is not an Azure resource ID`}},
		{name: "virtual_network_id_missing_vnet", azure: hclBody{"virtual_network_id": `"` + missingID + `virtualNetworks/nope"`},
			want: []string{"Reading the Azure virtual network", "azure.virtual_network_id: virtual network", "virtualNetworks/nope does not exist"}},
		{name: "gateway_subnet_prefix_30", azure: hclBody{"gateway_subnet_prefix": `"10.1.255.0/30"`},
			want: []string{"GatewaySubnet too small", "Azure needs a GatewaySubnet of /29 or larger", "10.1.255.0/30 is too small"}},
		{name: "gateway_subnet_prefix_outside_vnet", azure: hclBody{"gateway_subnet_prefix": `"10.2.255.0/27"`},
			want: []string{"GatewaySubnet outside the VNet", "10.2.255.0/27 is not inside the VNet's address space 10.1.0.0/16"}},
		{name: "gateway_subnet_prefix_missing", azure: hclBody{"gateway_subnet_prefix": ""},
			want: []string{"GatewaySubnet needed", "Virtual network vnet has no GatewaySubnet; set gateway_subnet_prefix"}},
		{name: "virtual_network_gateway_id_not_an_id", azure: hclBody{"virtual_network_gateway_id": `"gw"`},
			want: []string{"Invalid virtual network gateway ID", `azure.virtual_network_gateway_id: "gw" is not an Azure resource ID`}},
		{name: "virtual_network_gateway_id_missing", azure: hclBody{"virtual_network_gateway_id": `"` + missingID + `virtualNetworkGateways/nope"`},
			want: []string{"Gateway cannot be reused", "azure.virtual_network_gateway_id: gateway", "virtualNetworkGateways/nope does not exist"}},
	}
	return append(cases, haBadCases()...)
}

// manyPrefixes is an HCL list of n distinct /30s inside 10.1.0.0/16.
func manyPrefixes(n int) string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf(`"10.1.%d.%d/30"`, i/64, i%64*4)
	}
	return "[" + strings.Join(ps, ", ") + "]"
}
