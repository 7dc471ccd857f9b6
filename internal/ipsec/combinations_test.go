package ipsec

import (
	"slices"
	"strings"
	"testing"
)

// The oracle below is written from docs/facts/ipsec.md (custom policy enums and rules, the keyword
// table) and the design's weak list, independently of the package code, so the
// exhaustive test compares two separate readings of the same rules.

var oracleEnc = map[string]string{
	"DES": "des", "DES3": "3des", "AES128": "aes128", "AES192": "aes192", "AES256": "aes256",
	"GCMAES128": "aes128gcm16", "GCMAES192": "aes192gcm16", "GCMAES256": "aes256gcm16", "None": "null",
}

var oracleHash = map[string]string{"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA384": "sha384"}

var oracleGroup = map[string]string{
	"DHGroup1": "modp768", "DHGroup2": "modp1024", "DHGroup14": "modp2048", "DHGroup2048": "modp2048",
	"ECP256": "ecp256", "ECP384": "ecp384", "DHGroup24": "modp2048s256",
	"PFS1": "modp768", "PFS2": "modp1024", "PFS2048": "modp2048", "PFS14": "modp2048", "PFS24": "modp2048s256",
}

var oracleWeak = []string{
	"ike:DES", "ike:DES3", "ikeint:MD5", "dh:DHGroup1", "dh:DHGroup2", "dh:DHGroup24",
	"esp:DES", "esp:DES3", "esp:None", "espint:MD5", "pfs:PFS1", "pfs:PFS2", "pfs:PFS24",
}

var policyFields = []string{"ike_encryption", "ike_integrity", "dh_group", "ipsec_encryption",
	"ipsec_integrity", "pfs_group", "sa_lifetime_seconds", "sa_datasize_kilobytes"}

func gcm(v string) bool { return len(v) > 6 && v[:6] == "GCMAES" }

// oracleIKE returns the expected IKE tokens, or nil when phase 1 cannot be expressed.
func oracleIKE(p Policy) []string {
	if p.DHGroup == "None" || gcm(p.IKEIntegrity) {
		return nil // no IKEv2 without DH; GCM integrity: invalid with CBC, undocumented PRF with GCM
	}
	mid := oracleHash[p.IKEIntegrity]
	if gcm(p.IKEEncryption) {
		mid = "prf" + mid
	}
	return []string{oracleEnc[p.IKEEncryption], mid, oracleGroup[p.DHGroup]}
}

// oracleESP returns the expected ESP tokens, or nil when phase 2 cannot be expressed.
func oracleESP(p Policy) []string {
	if p.PFSGroup == "PFSMM" {
		return nil
	}
	if (gcm(p.IPsecEncryption) || gcm(p.IPsecIntegrity)) && p.IPsecEncryption != p.IPsecIntegrity {
		return nil
	}
	toks := []string{oracleEnc[p.IPsecEncryption]}
	if !gcm(p.IPsecEncryption) {
		toks = append(toks, oracleHash[p.IPsecIntegrity])
	}
	if p.PFSGroup != "None" {
		toks = append(toks, oracleGroup[p.PFSGroup])
	}
	return toks
}

func oracleAccepts(p Policy, allowWeak bool) bool {
	if oracleIKE(p) == nil || oracleESP(p) == nil || p.SALifetimeSeconds < 300 || p.SADataSizeKilobytes < 1024 {
		return false
	}
	if allowWeak {
		return true
	}
	for _, w := range []string{"ike:" + p.IKEEncryption, "ikeint:" + p.IKEIntegrity, "dh:" + p.DHGroup,
		"esp:" + p.IPsecEncryption, "espint:" + p.IPsecIntegrity, "pfs:" + p.PFSGroup} {
		if slices.Contains(oracleWeak, w) {
			return false
		}
	}
	return true
}

// allCombinations yields every combination of the six armnetwork enums.
func allCombinations(yield func(Policy) bool) {
	d := DefaultPolicy()
	for _, ie := range AllowedValues(FieldIKEEncryption) {
		for _, ii := range AllowedValues(FieldIKEIntegrity) {
			for _, dh := range AllowedValues(FieldDHGroup) {
				for _, ee := range AllowedValues(FieldIPsecEncryption) {
					for _, ei := range AllowedValues(FieldIPsecIntegrity) {
						for _, pfs := range AllowedValues(FieldPFSGroup) {
							p := Policy{ie, ii, dh, ee, ei, pfs, d.SALifetimeSeconds, d.SADataSizeKilobytes}
							if !yield(p) {
								return
							}
						}
					}
				}
			}
		}
	}
}

func TestEveryEnumCombination(t *testing.T) {
	var total, strict, weak, failures int
	fail := func(format string, args ...any) {
		t.Helper()
		if failures++; failures <= 20 {
			t.Errorf(format, args...)
		}
	}
	for p := range allCombinations {
		total++
		for _, allowWeak := range []bool{false, true} {
			issues := p.Validate(allowWeak)
			if got, want := len(issues) == 0, oracleAccepts(p, allowWeak); got != want {
				fail("%+v allowWeak=%v: Validate accepts=%v, oracle accepts=%v; issues %v", p, allowWeak, got, want, issues)
			}
			for _, is := range issues {
				if !slices.Contains(policyFields, is.Path.String()) || is.Message == "" {
					fail("%+v: issue with unknown field or empty message: %+v", p, is)
				}
			}
			if len(issues) == 0 {
				if allowWeak {
					weak++
				} else {
					strict++
				}
			}
		}
		checkRendering(p, "IKE", p.IKEProposal, oracleIKE(p), fail)
		checkRendering(p, "ESP", p.ESPProposal, oracleESP(p), fail)
	}
	if total != 7*6*8*9*6*9 {
		t.Errorf("generated %d combinations, want the full product of the armnetwork enums", total)
	}
	// The oracle must not be trivial: some policies pass, more pass with allowWeak, most fail.
	if strict == 0 || weak <= strict || weak >= total {
		t.Errorf("accepted: strict %d, with allowWeak %d, of %d; expected 0 < strict < weak < total", strict, weak, total)
	}
	t.Logf("%d combinations: %d accepted strictly, %d with allow_weak_crypto", total, strict, weak)
}

func checkRendering(p Policy, phase string, render func() (string, error), want []string,
	fail func(string, ...any)) {
	got, err := render()
	switch {
	case want == nil && err == nil:
		fail("%+v: %s proposal %q rendered, but the policy cannot be expressed", p, phase, got)
	case want != nil && err != nil:
		fail("%+v: %s proposal failed: %v; want %v", p, phase, err, want)
	case want != nil && !slices.Equal(strings.Split(got, "-"), want):
		fail("%+v: %s proposal %q parses to %q, want %q", p, phase, got, strings.Split(got, "-"), want)
	}
}
