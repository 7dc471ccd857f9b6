// Package ipsec holds the tunnel's crypto policy in Azure's vocabulary and its
// strongSwan rendering. It is pure: no I/O, no clients. The provider validates
// plans with it, the Azure adapter sends ToARM to the connection, the
// cloud-init renderer writes IKEProposal/ESPProposal into swanctl.conf, and the
// emulator uses the same rules to decide whether two peers would agree.
//
// Both sides of the tunnel must offer exactly one common suite or the SA never
// forms (docs/facts/origin.md; docs/facts/ipsec.md); keeping the Azure names and the strongSwan
// keywords in one table is what guarantees they describe the same suite.
package ipsec

import (
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// Terraform attribute names inside ipsec_policy. Issues carry these as their
// path so the provider can attach a diagnostic to the exact attribute the
// user wrote.
const (
	FieldIKEEncryption       = "ike_encryption"
	FieldIKEIntegrity        = "ike_integrity"
	FieldDHGroup             = "dh_group"
	FieldIPsecEncryption     = "ipsec_encryption"
	FieldIPsecIntegrity      = "ipsec_integrity"
	FieldPFSGroup            = "pfs_group"
	FieldSALifetimeSeconds   = "sa_lifetime_seconds"
	FieldSADataSizeKilobytes = "sa_datasize_kilobytes"
)

// PolicyAttribute is where both resources mount the policy; errors that
// travel as text (a proposal that cannot render, a policy Azure returned
// incomplete) name their field under it.
const PolicyAttribute = "ipsec_policy"

// AllowWeakAttribute is the provider attribute that lets a user accept weak
// algorithms knowingly; messages about weak values point to it.
const AllowWeakAttribute = "allow_weak_crypto"

// Lower bounds Azure puts on the phase-2 SA lifetimes (docs/facts/ipsec.md, "Custom policy"). A
// shorter lifetime would make Azure reject the connection PUT.
const (
	MinSALifetimeSeconds   = 300
	MinSADataSizeKilobytes = 1024
)

// Policy is one IPsec/IKE policy in Azure's names (the armnetwork v9 enum
// strings), because that is what users know from the Azure portal and docs and
// what the connection's ipsecPolicies carries. Phase 1 (IKE SA) is
// IKEEncryption/IKEIntegrity/DHGroup; phase 2 (ESP child SA) is
// IPsecEncryption/IPsecIntegrity/PFSGroup plus the lifetimes.
type Policy struct {
	IKEEncryption, IKEIntegrity, DHGroup, IPsecEncryption, IPsecIntegrity, PFSGroup string
	SALifetimeSeconds                                                               int32
	SADataSizeKilobytes                                                             int32
}

// DefaultPolicy is the policy used when the user sets none: AES-256-CBC with
// HMAC-SHA-384 (integrity and PRF) and ECP384 for IKE, AES-256-GCM with
// ECP384 PFS for ESP. Every algorithm is in Azure's custom-policy tables and
// in strongSwan, nothing is on the weak list, and the lifetimes are Azure's
// own defaults so nothing surprises a reader of the Azure docs.
//
// IKE is CBC, not GCM, because its mapping onto strongSwan is unambiguous: a
// CBC suite has separate integrity and PRF transforms and Azure's
// ikeIntegrity names both (aes256-sha384-ecp384). How Azure builds an IKE
// proposal when ikeEncryption is GCM (a PRF only, or a PRF and an integrity
// transform, and what ikeIntegrity then means) is documented nowhere, so a
// default resting on it would rest on a guess (docs/facts/azure.md). ESP
// GCM has no such question: Azure requires ipsecIntegrity to name the same
// GCM algorithm, and an AEAD ESP proposal has no integrity transform.
func DefaultPolicy() Policy {
	return Policy{
		IKEEncryption:       string(armnetwork.IkeEncryptionAES256),
		IKEIntegrity:        string(armnetwork.IkeIntegritySHA384),
		DHGroup:             string(armnetwork.DhGroupECP384),
		IPsecEncryption:     string(armnetwork.IPSecEncryptionGCMAES256),
		IPsecIntegrity:      string(armnetwork.IPSecIntegrityGCMAES256),
		PFSGroup:            string(armnetwork.PfsGroupECP384),
		SALifetimeSeconds:   27000,
		SADataSizeKilobytes: 102400000,
	}
}

// issue is one rule violation, reported per attribute so the provider can
// point the user at the line to change. Its path is the attribute name
// inside ipsec_policy (one of the Field* constants); the message says what
// is wrong and what to choose instead.
func issue(field, msg string) *attrerr.Error {
	return &attrerr.Error{Path: attrerr.At(field), Message: msg}
}

// underPolicy returns issues as one error whose paths start at
// ipsec_policy, for errors read as text rather than mapped onto a schema.
func underPolicy(issues []*attrerr.Error) error {
	out := make([]*attrerr.Error, len(issues))
	for i, is := range issues {
		out[i] = &attrerr.Error{Path: append(attrerr.At(PolicyAttribute), is.Path...), Message: is.Message}
	}
	return attrerr.Join(out)
}

// AllowedValues lists the values Azure's API accepts for an enum attribute,
// taken from armnetwork's Possible...Values so that the provider schema, the
// docs and the emulator follow the SDK rather than a hand-kept copy. It
// returns nil for a field that is not an enum.
func AllowedValues(field string) []string {
	return slices.Clone(enumValues[field])
}

// enumValues is built once: Validate consults it for every field.
var enumValues = map[string][]string{
	FieldIKEEncryption:   toStrings(armnetwork.PossibleIkeEncryptionValues()),
	FieldIKEIntegrity:    toStrings(armnetwork.PossibleIkeIntegrityValues()),
	FieldDHGroup:         toStrings(armnetwork.PossibleDhGroupValues()),
	FieldIPsecEncryption: toStrings(armnetwork.PossibleIPSecEncryptionValues()),
	FieldIPsecIntegrity:  toStrings(armnetwork.PossibleIPSecIntegrityValues()),
	FieldPFSGroup:        toStrings(armnetwork.PossiblePfsGroupValues()),
}

// weakReasons says why each weak value is weak; the key is field + "/" + value.
// These are refused unless the user sets allow_weak_crypto (DESIGN.md, "Contracts").
var weakReasons = map[string]string{
	FieldIKEEncryption + "/DES":    "single DES has a 56-bit key and can be brute-forced",
	FieldIKEEncryption + "/DES3":   "3DES has a 64-bit block (Sweet32) and is deprecated for IKEv2 (RFC 8247)",
	FieldIKEIntegrity + "/MD5":     "MD5 is broken",
	FieldDHGroup + "/DHGroup1":     "DH group 1 (MODP768) is broken",
	FieldDHGroup + "/DHGroup2":     "DH group 2 (MODP1024) is within reach of well-funded attackers (Logjam) and strongSwan leaves it out of its defaults",
	FieldDHGroup + "/DHGroup24":    "DH group 24 (MODP2048 with a 256-bit subgroup, RFC 5114) is deprecated by RFC 8247",
	FieldIPsecEncryption + "/DES":  "single DES has a 56-bit key and can be brute-forced",
	FieldIPsecEncryption + "/DES3": "3DES has a 64-bit block (Sweet32) and is deprecated for ESP (RFC 8221)",
	FieldIPsecEncryption + "/None": "None is null encryption: tunnel traffic would cross the internet in clear text",
	FieldIPsecIntegrity + "/MD5":   "MD5 is broken",
	FieldPFSGroup + "/PFS1":        "PFS group 1 (MODP768) is broken",
	FieldPFSGroup + "/PFS2":        "PFS group 2 (MODP1024) is within reach of well-funded attackers (Logjam)",
	FieldPFSGroup + "/PFS24":       "PFS group 24 (MODP2048 with a 256-bit subgroup, RFC 5114) is deprecated by RFC 8247",
}

// recommended is what each message suggests instead of a refused value.
var recommended = map[string]string{
	FieldIKEEncryption:   "AES256 (recommended) or GCMAES256",
	FieldIKEIntegrity:    "SHA384 (recommended) or SHA256",
	FieldDHGroup:         "ECP384 (recommended), ECP256 or DHGroup14",
	FieldIPsecEncryption: "GCMAES256 with ipsec_integrity GCMAES256 (recommended), or AES256",
	FieldIPsecIntegrity:  "SHA256, or the GCMAESxxx matching a GCM ipsec_encryption",
	FieldPFSGroup:        "ECP384 (recommended), ECP256, PFS2048 or None",
}

// WeakValues lists the enum values of field that are refused unless
// allow_weak_crypto is set, so docs and schema descriptions can name them.
func WeakValues(field string) []string {
	var out []string
	for _, v := range AllowedValues(field) {
		if _, weak := weakReasons[field+"/"+v]; weak {
			out = append(out, v)
		}
	}
	return out
}

// IsWeak reports whether value is on the weak list for field.
func IsWeak(field, value string) bool {
	_, weak := weakReasons[field+"/"+value]
	return weak
}

func toStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
