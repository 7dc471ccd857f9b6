package ipsec

import (
	"strings"
	"testing"
)

func pol(ikeEnc, ikeInt, dh, espEnc, espInt, pfs string) Policy {
	return Policy{ikeEnc, ikeInt, dh, espEnc, espInt, pfs, 27000, 102400000}
}

// Golden renderings: the first two are the worked examples of docs/facts/ipsec.md, "strongSwan keywords",
// the others pin each row of its keyword table.
func TestProposalsGolden(t *testing.T) {
	tests := []struct {
		name     string
		p        Policy
		ike, esp string
	}{
		{"facts example: CBC IKE, GCM ESP without PFS", pol("AES256", "SHA256", "DHGroup14", "GCMAES256", "GCMAES256", "None"),
			"aes256-sha256-modp2048", "aes256gcm16"},
		{"facts example: GCM both phases with ECP384", pol("GCMAES256", "SHA384", "ECP384", "GCMAES256", "GCMAES256", "ECP384"),
			"aes256gcm16-prfsha384-ecp384", "aes256gcm16-ecp384"},
		{"default policy: CBC IKE, GCM ESP", DefaultPolicy(), "aes256-sha384-ecp384", "aes256gcm16-ecp384"},
		{"origin setup (weak)", pol("AES256", "SHA1", "DHGroup2", "AES256", "SHA1", "None"),
			"aes256-sha1-modp1024", "aes256-sha1"},
		{"GCM128 with PRF sha256, PFS2048", pol("GCMAES128", "SHA256", "ECP256", "GCMAES128", "GCMAES128", "PFS2048"),
			"aes128gcm16-prfsha256-ecp256", "aes128gcm16-modp2048"},
		{"DHGroup2048 and PFS14 are MODP2048", pol("AES128", "SHA256", "DHGroup2048", "AES128", "SHA256", "PFS14"),
			"aes128-sha256-modp2048", "aes128-sha256-modp2048"},
		{"group 24", pol("AES192", "SHA384", "DHGroup24", "GCMAES192", "GCMAES192", "PFS24"),
			"aes192-sha384-modp2048s256", "aes192gcm16-modp2048s256"},
		{"GCM IKE with SHA1 and MD5 PRFs", pol("GCMAES256", "SHA1", "ECP384", "AES256", "MD5", "ECP256"),
			"aes256gcm16-prfsha1-ecp384", "aes256-md5-ecp256"},
		{"GCM IKE with MD5 PRF", pol("GCMAES128", "MD5", "DHGroup1", "DES", "SHA1", "PFS1"),
			"aes128gcm16-prfmd5-modp768", "des-sha1-modp768"},
		{"3DES and null ESP", pol("DES3", "MD5", "DHGroup1", "None", "SHA256", "PFS2"),
			"3des-md5-modp768", "null-sha256-modp1024"},
		{"DES IKE, 3DES ESP", pol("DES", "SHA384", "ECP256", "DES3", "SHA1", "None"),
			"des-sha384-ecp256", "3des-sha1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ike, err := tt.p.IKEProposal()
			if err != nil || ike != tt.ike {
				t.Errorf("IKEProposal() = %q, %v; want %q", ike, err, tt.ike)
			}
			esp, err := tt.p.ESPProposal()
			if err != nil || esp != tt.esp {
				t.Errorf("ESPProposal() = %q, %v; want %q", esp, err, tt.esp)
			}
		})
	}
}

// A policy that cannot be expressed must fail to render, with an error that
// names the attribute, rather than producing a proposal Azure would not match.
func TestProposalsRefuseInexpressible(t *testing.T) {
	tests := []struct {
		name      string
		p         Policy
		render    func(Policy) (string, error)
		wantInErr []string
	}{
		{"DH None", pol("AES256", "SHA256", "None", "AES256", "SHA256", "None"), Policy.IKEProposal,
			[]string{"dh_group", "None"}},
		{"GCM integrity with CBC IKE", pol("AES256", "GCMAES256", "ECP384", "AES256", "SHA256", "None"), Policy.IKEProposal,
			[]string{"ike_integrity", "GCMAES256"}},
		{"GCM integrity as PRF", pol("GCMAES256", "GCMAES256", "ECP384", "AES256", "SHA256", "None"), Policy.IKEProposal,
			[]string{"ike_integrity", "SHA384"}},
		{"unknown IKE value", pol("CHACHA20", "SHA256", "ECP384", "AES256", "SHA256", "None"), Policy.IKEProposal,
			[]string{"ike_encryption", "CHACHA20"}},
		{"PFSMM", pol("AES256", "SHA256", "ECP384", "AES256", "SHA256", "PFSMM"), Policy.ESPProposal,
			[]string{"pfs_group", "PFSMM"}},
		{"GCM ESP with SHA integrity", pol("AES256", "SHA256", "ECP384", "GCMAES256", "SHA256", "None"), Policy.ESPProposal,
			[]string{"ipsec_integrity", "GCMAES256"}},
		{"GCM key sizes differ", pol("AES256", "SHA256", "ECP384", "GCMAES128", "GCMAES256", "None"), Policy.ESPProposal,
			[]string{"ipsec_integrity", "GCMAES128"}},
		{"unknown ESP value", pol("AES256", "SHA256", "ECP384", "AES256", "SHA512", "None"), Policy.ESPProposal,
			[]string{"ipsec_integrity", "SHA512"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.render(tt.p)
			if err == nil {
				t.Fatalf("rendered %q, want an error", got)
			}
			for _, s := range tt.wantInErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}
