package lab

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// This file is the lab's own reading of how an Azure route-based VPN gateway
// negotiates (docs/facts/ipsec.md). It deliberately does not import internal/ipsec:
// the provider's translation and this one are written separately so that a
// mistake in either shows up as a tunnel that does not come up.

// IPsecPolicy is a connection's properties.ipsecPolicies[0], in Azure's
// own enum spellings.
type IPsecPolicy struct {
	IKEEncryption, IKEIntegrity, DHGroup      string
	IPsecEncryption, IPsecIntegrity, PFSGroup string
	SALifetimeSeconds, SADataSizeKilobytes    int32
}

// AzureConnection is what the Azure gateway knows about one connection: its
// own public IP, the local network gateway's address and prefixes, the key
// and the connection's policy settings.
type AzureConnection struct {
	Name string
	// LocalAddr is the Azure gateway's public IP; RemoteAddr the LNG's gatewayIpAddress.
	LocalAddr, RemoteAddr netip.Addr
	// LocalPrefixes is the VNet address space; RemotePrefixes the LNG's addressPrefixes.
	LocalPrefixes, RemotePrefixes []netip.Prefix
	SharedKey                     string
	// Policy nil means Azure's default offers (docs/facts/ipsec.md, "Default policy").
	Policy *IPsecPolicy
	// ConnectionMode is Default, ResponderOnly or InitiatorOnly ("" = Default).
	ConnectionMode string
	// ConnectionProtocol is IKEv2 (default) or IKEv1.
	ConnectionProtocol string
	// DPDTimeoutSeconds 0 means Azure's default, 45.
	DPDTimeoutSeconds int32
}

// Azure enum -> strongSwan keyword, per docs/facts/ipsec.md, "strongSwan keywords".
var (
	azIKEEncryption = map[string]string{
		"DES": "des", "DES3": "3des", "AES128": "aes128", "AES192": "aes192", "AES256": "aes256",
		"GCMAES128": "aes128gcm16", "GCMAES256": "aes256gcm16",
	}
	azIntegrity = map[string]string{"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}
	azDHGroup   = map[string]string{
		"DHGroup1": "modp768", "DHGroup2": "modp1024", "DHGroup14": "modp2048", "DHGroup2048": "modp2048",
		"ECP256": "ecp256", "ECP384": "ecp384", "DHGroup24": "modp2048s256",
	}
	azIPsecEncryption = map[string]string{
		"None": "null", "DES": "des", "DES3": "3des", "AES128": "aes128", "AES192": "aes192", "AES256": "aes256",
		"GCMAES128": "aes128gcm16", "GCMAES192": "aes192gcm16", "GCMAES256": "aes256gcm16",
	}
	azPFSGroup = map[string]string{
		"None": "", "PFS1": "modp768", "PFS2": "modp1024", "PFS2048": "modp2048", "PFS14": "modp2048",
		"ECP256": "ecp256", "ECP384": "ecp384", "PFS24": "modp2048s256",
	}
)

// Azure's default offers of a route-based gateway (docs/facts/ipsec.md, "Default policy").
var (
	// defaultIKEProposals: AES256/SHA1, AES256/SHA256, AES128/SHA1,
	// AES128/SHA256, 3DES/SHA1, 3DES/SHA256, all with DH group 2 only.
	defaultIKEProposals = []string{
		"aes256-sha1-modp1024", "aes256-sha256-modp1024", "aes128-sha1-modp1024",
		"aes128-sha256-modp1024", "3des-sha1-modp1024", "3des-sha256-modp1024",
	}
	// defaultESPResponder: the 26 quick-mode offers Azure accepts as responder, in order.
	defaultESPResponder = []string{
		"aes256gcm16", "aes256-sha1", "3des-sha1", "aes256-sha256", "aes128-sha1", "3des-sha256", // 1-6
		"des-sha1",                                                            // 7
		"aes256-sha1-modp768", "aes256-sha1-modp1024", "aes256-sha1-modp2048", // 8-10
		"aes128-sha1-modp768", "aes128-sha1-modp1024", "aes128-sha1-modp2048", // 11-13
		"3des-sha1-modp768", "3des-sha1-modp1024", // 14-15
		"3des-sha256-modp1024",                                                      // 16
		"aes256-sha256-modp768", "aes256-sha256-modp1024", "aes256-sha256-modp2048", // 17-19
		"aes256-sha1-modp2048s256", "aes256-sha256-modp2048s256", // 20-21
		"aes128-sha256", "aes128-sha256-modp768", "aes128-sha256-modp1024", "aes128-sha256-modp2048", // 22-25
		"3des-sha1-modp2048", // 26
	}
)

const (
	azureIKELifetime      = 28800     // seconds, fixed even with a custom policy
	azureChildLifetime    = 27000     // seconds, default saLifeTimeSeconds
	azureChildDataKB      = 102400000 // default saDataSizeKilobytes
	azureDefaultDPDTimout = 45
)

// IKEProposal translates a custom policy's phase-1 fields into one strict
// strongSwan IKE proposal.
func (p IPsecPolicy) IKEProposal() (string, error) {
	enc, ok := azIKEEncryption[p.IKEEncryption]
	if !ok {
		return "", fmt.Errorf("ipsecPolicies[0].ikeEncryption %q is not an Azure value (DES, DES3, AES128, AES192, AES256, GCMAES128, GCMAES256)", p.IKEEncryption)
	}
	integ, ok := azIntegrity[p.IKEIntegrity]
	if !ok {
		return "", fmt.Errorf("ipsecPolicies[0].ikeIntegrity %q is not emulated by the lab (use MD5, SHA1, SHA256 or SHA384)", p.IKEIntegrity)
	}
	dh, ok := azDHGroup[p.DHGroup]
	if !ok {
		return "", fmt.Errorf("ipsecPolicies[0].dhGroup %q is not a usable IKE DH group (DHGroup1, DHGroup2, DHGroup14, DHGroup2048, ECP256, ECP384, DHGroup24)", p.DHGroup)
	}
	if strings.Contains(enc, "gcm") {
		integ = "prf" + integ // with AEAD, the "integrity" is the PRF
	}
	return enc + "-" + integ + "-" + dh, nil
}

// ESPProposal translates a custom policy's phase-2 fields into one strict
// strongSwan ESP proposal.
func (p IPsecPolicy) ESPProposal() (string, error) {
	enc, ok := azIPsecEncryption[p.IPsecEncryption]
	if !ok {
		return "", fmt.Errorf("ipsecPolicies[0].ipsecEncryption %q is not an Azure value (None, DES, DES3, AES128, AES192, AES256, GCMAES128, GCMAES192, GCMAES256)", p.IPsecEncryption)
	}
	parts := []string{enc}
	gcm := strings.HasPrefix(p.IPsecEncryption, "GCM")
	switch {
	case gcm && p.IPsecIntegrity != p.IPsecEncryption:
		return "", fmt.Errorf("ipsecPolicies[0].ipsecIntegrity %q must equal ipsecEncryption %q: Azure requires GCM on both", p.IPsecIntegrity, p.IPsecEncryption)
	case !gcm && strings.HasPrefix(p.IPsecIntegrity, "GCM"):
		return "", fmt.Errorf("ipsecPolicies[0].ipsecIntegrity %q needs ipsecEncryption %q too", p.IPsecIntegrity, p.IPsecIntegrity)
	case !gcm:
		integ, ok := azIntegrity[p.IPsecIntegrity]
		if !ok || p.IPsecIntegrity == "SHA384" {
			return "", fmt.Errorf("ipsecPolicies[0].ipsecIntegrity %q is not an Azure value (MD5, SHA1, SHA256, GCMAES128, GCMAES192, GCMAES256)", p.IPsecIntegrity)
		}
		parts = append(parts, integ)
	}
	pfs, ok := azPFSGroup[p.PFSGroup]
	if p.PFSGroup == "PFSMM" { // "same as main mode": the IKE DH group
		pfs, ok = azDHGroup[p.DHGroup]
	}
	if !ok {
		return "", fmt.Errorf("ipsecPolicies[0].pfsGroup %q is not an Azure value (None, PFS1, PFS2, PFS2048, PFS14, ECP256, ECP384, PFS24, PFSMM)", p.PFSGroup)
	}
	if pfs != "" {
		parts = append(parts, pfs)
	}
	return strings.Join(parts, "-"), nil
}

var connNameRE = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// SwanctlName is the IKE/CHILD config name AzureConfig uses for an Azure
// connection name; pass it to Charon.Status. swanctl treats '.' as a
// section separator, so anything outside [A-Za-z0-9_-] becomes '_'.
func SwanctlName(azureName string) string { return connNameRE.ReplaceAllString(azureName, "_") }

// AzureConfig renders the swanctl.conf of the Azure gateway namespace for
// one connection. A custom policy is the only proposal Azure accepts;
// without one it accepts its default offers. The gateway stays responder in
// Default and ResponderOnly mode (a real Default gateway also initiates, with
// any-to-any selectors that kernel-libipsec cannot route, so the lab lets the
// Hetzner side initiate, as docs/facts/ipsec.md, "Pitfalls", recommends); InitiatorOnly makes it
// initiate with the LNG prefixes. Traffic selectors are the VNet and LNG
// prefixes: a proposal wider than them is narrowed, as Azure routes only
// those.
func AzureConfig(in AzureConnection) (string, error) {
	name := SwanctlName(in.Name)
	if name == "" {
		return "", fmt.Errorf("connection name is empty: the Azure gateway needs it to name its IKE configuration")
	}
	if !in.LocalAddr.Is4() || !in.RemoteAddr.Is4() {
		return "", fmt.Errorf("connection %s: gateway public IP %v and local network gateway gatewayIpAddress %v must both be IPv4 addresses", in.Name, in.LocalAddr, in.RemoteAddr)
	}
	if len(in.LocalPrefixes) == 0 || len(in.RemotePrefixes) == 0 {
		return "", fmt.Errorf("connection %s: needs the VNet address space (%d prefixes) and the local network gateway's addressPrefixes (%d prefixes); both must be non-empty", in.Name, len(in.LocalPrefixes), len(in.RemotePrefixes))
	}
	if in.SharedKey == "" {
		return "", fmt.Errorf("connection %s: sharedKey is empty; Azure needs a pre-shared key", in.Name)
	}
	version := "2"
	switch in.ConnectionProtocol {
	case "", "IKEv2":
	case "IKEv1":
		version = "1"
	default:
		return "", fmt.Errorf("connection %s: connectionProtocol %q must be IKEv2 or IKEv1", in.Name, in.ConnectionProtocol)
	}
	ike, esp := strings.Join(defaultIKEProposals, ", "), strings.Join(defaultESPResponder, ", ")
	life, bytes := int64(azureChildLifetime), int64(azureChildDataKB)
	if p := in.Policy; p != nil {
		var err error
		if ike, err = p.IKEProposal(); err != nil {
			return "", fmt.Errorf("connection %s: %w", in.Name, err)
		}
		if esp, err = p.ESPProposal(); err != nil {
			return "", fmt.Errorf("connection %s: %w", in.Name, err)
		}
		if p.SALifetimeSeconds != 0 {
			life = int64(p.SALifetimeSeconds)
		}
		if p.SADataSizeKilobytes != 0 {
			bytes = int64(p.SADataSizeKilobytes)
		}
	}
	startAction, dpdAction, closeAction := "none", "clear", "none"
	switch in.ConnectionMode {
	case "", "Default", "ResponderOnly":
	case "InitiatorOnly":
		startAction, dpdAction, closeAction = "start", "restart", "start"
	default:
		return "", fmt.Errorf("connection %s: connectionMode %q must be Default, ResponderOnly or InitiatorOnly", in.Name, in.ConnectionMode)
	}
	dpd := in.DPDTimeoutSeconds
	if dpd == 0 {
		dpd = azureDefaultDPDTimout
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Azure route-based gateway, connection %s (written by crosscloud-sim -lab)\nconnections {\n", in.Name)
	fmt.Fprintf(&b, "  %s {\n    version = %s\n    local_addrs = %s\n    remote_addrs = %s\n", name, version, in.LocalAddr, in.RemoteAddr)
	fmt.Fprintf(&b, "    proposals = %s\n    rekey_time = %ds\n    mobike = no\n    dpd_delay = %ds\n", ike, azureIKELifetime, dpd)
	if version == "1" {
		fmt.Fprintf(&b, "    dpd_timeout = %ds\n", dpd)
	}
	fmt.Fprintf(&b, "    local {\n      auth = psk\n      id = %s\n    }\n    remote {\n      auth = psk\n      id = %s\n    }\n", in.LocalAddr, in.RemoteAddr)
	fmt.Fprintf(&b, "    children {\n      %s {\n        local_ts = %s\n        remote_ts = %s\n", name, joinPrefixes(in.LocalPrefixes), joinPrefixes(in.RemotePrefixes))
	fmt.Fprintf(&b, "        esp_proposals = %s\n        life_time = %ds\n        life_bytes = %d\n", esp, life, bytes*1024)
	fmt.Fprintf(&b, "        start_action = %s\n        dpd_action = %s\n        close_action = %s\n      }\n    }\n  }\n}\n", startAction, dpdAction, closeAction)
	// Hex keeps any printable key (quotes, backslashes) out of the parser's way.
	fmt.Fprintf(&b, "secrets {\n  ike-%s {\n    id-1 = %s\n    id-2 = %s\n    secret = 0x%s\n  }\n}\n", name, in.LocalAddr, in.RemoteAddr, hex.EncodeToString([]byte(in.SharedKey)))
	return b.String(), nil
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Masked().String()
	}
	return strings.Join(s, ",")
}
