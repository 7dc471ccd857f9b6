package ipsec

import (
	"fmt"
	"strings"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// Keyword tables from Azure names to strongSwan proposal keywords
// (docs/facts/ipsec.md, "strongSwan keywords"; strongswan:src/libstrongswan/crypto/proposal/proposal_keywords_static.txt).
// Encryption names are shared by IKE and ESP; which names each phase accepts
// is decided by the armnetwork enums, checked before these tables are used.
var (
	encKeyword = map[string]string{
		"DES": "des", "DES3": "3des", "None": "null",
		"AES128": "aes128", "AES192": "aes192", "AES256": "aes256", // CBC
		// GCM with the 16-byte ICV: the only GCM variant Azure offers.
		"GCMAES128": "aes128gcm16", "GCMAES192": "aes192gcm16", "GCMAES256": "aes256gcm16",
	}
	// integKeyword: in an IKE proposal strongSwan derives the matching PRF
	// from an integrity keyword, which is what Azure does with a CBC suite.
	integKeyword = map[string]string{"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}
	// prfKeyword: with a GCM (AEAD) IKE cipher there is no separate integrity
	// algorithm, so Azure's ike_integrity names the PRF.
	prfKeyword = map[string]string{"MD5": "prfmd5", "SHA1": "prfsha1", "SHA256": "prfsha256", "SHA384": "prfsha384"}
	// keKeyword covers both DhGroup and PfsGroup names (docs/facts/ipsec.md, "DH numbering").
	keKeyword = map[string]string{
		"DHGroup1": "modp768", "PFS1": "modp768",
		"DHGroup2": "modp1024", "PFS2": "modp1024",
		"DHGroup14": "modp2048", "DHGroup2048": "modp2048", "PFS2048": "modp2048", "PFS14": "modp2048",
		"ECP256": "ecp256", "ECP384": "ecp384",
		"DHGroup24": "modp2048s256", "PFS24": "modp2048s256",
	}
)

const none = "None"

func isGCM(v string) bool { return strings.HasPrefix(v, "GCMAES") }

// IKEProposal renders phase 1 as one strongSwan proposal for swanctl.conf
// `proposals`, e.g. "aes256gcm16-prfsha384-ecp384". It is strict: exactly the
// policy and nothing appended, because Azure with a custom policy offers and
// accepts only that policy, and a wider strongSwan offer would only hide a
// mismatch until a rekey. Weak values render (Validate decides whether they
// are allowed); an error means the policy cannot be expressed at all.
func (p Policy) IKEProposal() (string, error) {
	if issues := p.ikeIssues(); len(issues) > 0 {
		return "", underPolicy(issues)
	}
	mid := integKeyword[p.IKEIntegrity]
	if isGCM(p.IKEEncryption) {
		mid = prfKeyword[p.IKEIntegrity]
	}
	return encKeyword[p.IKEEncryption] + "-" + mid + "-" + keKeyword[p.DHGroup], nil
}

// ESPProposal renders phase 2 as one strongSwan proposal for
// `esp_proposals`, e.g. "aes256gcm16-ecp384". GCM carries its own integrity,
// so no integrity keyword follows it; PFS None renders no key-exchange part,
// since strongSwan then runs no DH on CREATE_CHILD_SA, as Azure does.
func (p Policy) ESPProposal() (string, error) {
	if issues := p.espIssues(); len(issues) > 0 {
		return "", underPolicy(issues)
	}
	out := encKeyword[p.IPsecEncryption]
	if !isGCM(p.IPsecEncryption) {
		out += "-" + integKeyword[p.IPsecIntegrity]
	}
	if p.PFSGroup != none {
		out += "-" + keKeyword[p.PFSGroup]
	}
	return out, nil
}

// ikeIssues lists what makes phase 1 impossible to express, whatever
// allow_weak_crypto says. IKEProposal and Validate share it, so a policy that
// Validate accepts always renders.
func (p Policy) ikeIssues() []*attrerr.Error {
	var out []*attrerr.Error
	encOK := checkEnum(&out, FieldIKEEncryption, p.IKEEncryption)
	intOK := checkEnum(&out, FieldIKEIntegrity, p.IKEIntegrity)
	if checkEnum(&out, FieldDHGroup, p.DHGroup) && p.DHGroup == none {
		out = append(out, issue(FieldDHGroup, "None is not a valid IKE Diffie-Hellman group: IKEv2 always runs a "+
			"key exchange to create the IKE SA; choose "+recommended[FieldDHGroup]))
	}
	if encOK && intOK && isGCM(p.IKEIntegrity) {
		if isGCM(p.IKEEncryption) {
			// Azure documents only SHA384/SHA256/SHA1/MD5 as the PRF of a GCM
			// IKE suite. Which PRF it would use for GCMAESxxx is unknown, and a
			// guess that differs from Azure means NO_PROPOSAL_CHOSEN, so refuse.
			out = append(out, issue(FieldIKEIntegrity, fmt.Sprintf("%s is not usable as ike_integrity: with GCM "+
				"ike_encryption the integrity value names the PRF, and Azure documents no PRF for %s, so strongSwan "+
				"cannot be set to match; choose SHA384 (prfsha384, recommended) or SHA256 (prfsha256)",
				p.IKEIntegrity, p.IKEIntegrity)))
		} else {
			out = append(out, issue(FieldIKEIntegrity, fmt.Sprintf("%s is only valid with GCM ike_encryption "+
				"(GCMAES128 or GCMAES256), not %s; with %s choose %s", p.IKEIntegrity, p.IKEEncryption,
				p.IKEEncryption, recommended[FieldIKEIntegrity])))
		}
	}
	return out
}

// espIssues lists what makes phase 2 impossible to express.
func (p Policy) espIssues() []*attrerr.Error {
	var out []*attrerr.Error
	encOK := checkEnum(&out, FieldIPsecEncryption, p.IPsecEncryption)
	intOK := checkEnum(&out, FieldIPsecIntegrity, p.IPsecIntegrity)
	if checkEnum(&out, FieldPFSGroup, p.PFSGroup) && p.PFSGroup == "PFSMM" {
		out = append(out, issue(FieldPFSGroup, "PFSMM is not usable with a strongSwan site-to-site peer: it names "+
			"no Diffie-Hellman group (Azure's IPsec/IKE policy docs do not list it), so esp_proposals cannot "+
			"match it and the child SA or its rekey would fail; choose the group dh_group uses (ECP384 with "+
			"dh_group ECP384, PFS2048 with DHGroup14), or None"))
	}
	if encOK && intOK {
		switch {
		case isGCM(p.IPsecEncryption) && p.IPsecIntegrity != p.IPsecEncryption:
			out = append(out, issue(FieldIPsecIntegrity, fmt.Sprintf("ipsec_encryption %s needs ipsec_integrity "+
				"%s: GCM authenticates itself and Azure requires the same GCMAESxxx for both; set ipsec_integrity = %q",
				p.IPsecEncryption, p.IPsecEncryption, p.IPsecEncryption)))
		case isGCM(p.IPsecIntegrity) && p.IPsecIntegrity != p.IPsecEncryption:
			out = append(out, issue(FieldIPsecIntegrity, fmt.Sprintf("%s is only valid with ipsec_encryption %s, "+
				"not %s; set ipsec_encryption = %q, or with %s choose SHA256", p.IPsecIntegrity, p.IPsecIntegrity,
				p.IPsecEncryption, p.IPsecIntegrity, p.IPsecEncryption)))
		}
	}
	return out
}

// checkEnum appends an issue when value is not one of Azure's values for field
// and reports whether it is; later rules only look at values that passed.
func checkEnum(out *[]*attrerr.Error, field, value string) bool {
	allowed := enumValues[field]
	for _, a := range allowed {
		if a == value {
			return true
		}
	}
	hint := ""
	for _, a := range allowed {
		if strings.EqualFold(a, value) {
			hint = fmt.Sprintf(" (values are case-sensitive: did you mean %q?)", a)
		}
	}
	*out = append(*out, issue(field, fmt.Sprintf("%q is not a value Azure accepts%s; allowed: %s; choose %s",
		value, hint, strings.Join(allowed, ", "), recommended[field])))
	return false
}
