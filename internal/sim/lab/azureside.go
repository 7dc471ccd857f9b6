package lab

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/strongswan/govici/vici"
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
// without one it accepts its default offers.
//
// Who initiates follows the connection mode. In Default mode Azure is
// "both initiator and responder" (MD virtual-wan-ipsec include: "When
// working with Default policies, Azure can act as both initiator and
// responder"), ResponderOnly never initiates, InitiatorOnly initiates. As
// initiator a route-based gateway without policy-based traffic selectors
// proposes 0.0.0.0/0 === 0.0.0.0/0 (MicrosoftDocs/azure-docs#17516; the VPN
// FAQ: custom traffic selectors are "proposed only when a VPN gateway
// initiates"). So an initiating connection gets a second child, <name>-init,
// that starts at once with any-to-any selectors; the peer's strongSwan
// narrows them to its own (RFC 7296 §2.9) and the SA carries the narrowed
// selectors on both sides. Whether real Azure accepts the narrowed answer is
// not documented: here it does, as strongSwan does. As responder the
// gateway accepts the peer's selectors within the VNet and LNG prefixes (a
// wider proposal is narrowed, as Azure routes only those). InitiatorOnly
// still answers the peer here (not modelled: strongSwan cannot refuse per
// connection).
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
		// saDataSizeKilobytes 0 is allowed (the portal: "0 or between 1024
		// and 2147483647"); what Azure does with it is not documented: the
		// lab takes it as no volume limit (strongSwan's life_bytes = 0).
		bytes = int64(p.SADataSizeKilobytes)
	}
	respond, initiate := true, true
	switch in.ConnectionMode {
	case "", "Default":
	case "ResponderOnly":
		initiate = false
	case "InitiatorOnly":
		respond = false
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
	b.WriteString("    children {\n")
	child := func(child, localTS, remoteTS, start, dpd string) {
		fmt.Fprintf(&b, "      %s {\n        local_ts = %s\n        remote_ts = %s\n", child, localTS, remoteTS)
		fmt.Fprintf(&b, "        esp_proposals = %s\n        life_time = %ds\n        life_bytes = %d\n", esp, life, bytes*1024)
		fmt.Fprintf(&b, "        start_action = %s\n        dpd_action = %s\n        close_action = none\n      }\n", start, dpd)
	}
	if respond {
		child(name, joinPrefixes(in.LocalPrefixes), joinPrefixes(in.RemotePrefixes), "none", "clear")
	}
	if initiate {
		child(name+"-init", "0.0.0.0/0", "0.0.0.0/0", "start", "restart")
	}
	b.WriteString("    }\n  }\n}\n")
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

// AzureChild is one CHILD_SA of an Azure connection as the Azure gateway's
// charon reports it: which child config it came from (<name> when the peer
// initiated, <name>-init when Azure did) and the traffic selectors it
// carries after any narrowing.
type AzureChild struct {
	Name, State       string
	LocalTS, RemoteTS []string
	InBytes, OutBytes int64
}

// AzureChildren lists the CHILD_SAs of one Azure connection on the first
// instance.
func (l *Lab) AzureChildren(ctx context.Context, connectionName string) ([]AzureChild, error) {
	c := l.azureCharon()
	if c == nil {
		return nil, nil
	}
	return azureChildren(ctx, c, connectionName)
}

func azureChildren(ctx context.Context, c *Charon, connectionName string) ([]AzureChild, error) {
	s, err := vici.NewSession(vici.WithSocketPath(c.Socket))
	if err != nil {
		return nil, fmt.Errorf("connecting to the Azure gateway's charon: %w", err)
	}
	defer s.Close()
	in := vici.NewMessage()
	_ = in.Set("ike", SwanctlName(connectionName))
	var out []AzureChild
	for m, err := range s.CallStreaming(ctx, "list-sas", "list-sa", in) {
		if err != nil {
			return nil, fmt.Errorf("list-sas on the Azure gateway: %w", err)
		}
		for _, ike := range m.Keys() {
			sa, ok := m.Get(ike).(*vici.Message)
			if !ok {
				continue
			}
			children, ok := sa.Get("child-sas").(*vici.Message)
			if !ok {
				continue
			}
			for _, k := range children.Keys() {
				ch, ok := children.Get(k).(*vici.Message)
				if !ok {
					continue
				}
				var c struct {
					Name     string   `vici:"name"`
					State    string   `vici:"state"`
					LocalTS  []string `vici:"local-ts"`
					RemoteTS []string `vici:"remote-ts"`
					BytesIn  string   `vici:"bytes-in"`
					BytesOut string   `vici:"bytes-out"`
				}
				if err := vici.UnmarshalMessage(ch, &c); err != nil {
					return nil, err
				}
				in, _ := strconv.ParseInt(c.BytesIn, 10, 64)
				out2, _ := strconv.ParseInt(c.BytesOut, 10, 64)
				out = append(out, AzureChild{Name: c.Name, State: c.State, LocalTS: c.LocalTS, RemoteTS: c.RemoteTS, InBytes: in, OutBytes: out2})
			}
		}
	}
	return out, nil
}

// azureBytes sums the byte counters of every CHILD_SA of a connection on
// one instance. When both sides initiate (Default mode) a connection can
// have two IKE SAs for a while, and traffic uses either; Azure's
// ingress/egress counters are the connection's, not one SA's.
func azureBytes(ctx context.Context, c *Charon, connectionName string) (in, out int64, err error) {
	children, err := azureChildren(ctx, c, connectionName)
	for _, c := range children {
		in, out = in+c.InBytes, out+c.OutBytes
	}
	return in, out, err
}
