package ipsec

import (
	"regexp"
	"testing"
)

var proposalRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func FuzzPolicy(f *testing.F) {
	d := DefaultPolicy()
	f.Add(d.IKEEncryption, d.IKEIntegrity, d.DHGroup, d.IPsecEncryption, d.IPsecIntegrity, d.PFSGroup,
		d.SALifetimeSeconds, d.SADataSizeKilobytes, false)
	f.Add("AES256", "SHA256", "DHGroup14", "GCMAES256", "GCMAES256", "None", int32(27000), int32(102400000), false)
	f.Add("DES3", "MD5", "DHGroup2", "None", "MD5", "PFS24", int32(300), int32(1024), true)
	f.Add("GCMAES128", "GCMAES128", "None", "GCMAES192", "SHA1", "PFSMM", int32(299), int32(0), true)
	f.Add("AES128", "SHA1", "DHGroup24", "DES", "GCMAES128", "PFS14", int32(-1), int32(-2147483648), false)
	f.Add("gcmaes256", "", "ECP256", "AES192", "SHA256", "PFS2048", int32(2147483647), int32(1023), true)
	f.Fuzz(func(t *testing.T, ie, ii, dh, ee, ei, pfs string, life, size int32, allowWeak bool) {
		p := Policy{ie, ii, dh, ee, ei, pfs, life, size}
		issues := p.Validate(allowWeak)
		for _, is := range issues {
			if is.Path.String() == "" || is.Message == "" {
				t.Fatalf("issue without field or message: %+v", is)
			}
		}
		if !allowWeak && len(issues) == 0 && len(p.Validate(true)) != 0 {
			t.Fatalf("%+v: accepted strictly but refused with allowWeak", p)
		}
		ike, ikeErr := p.IKEProposal()
		esp, espErr := p.ESPProposal()
		if len(issues) == 0 && (ikeErr != nil || espErr != nil) {
			t.Fatalf("%+v: Validate accepts but rendering fails: %v / %v", p, ikeErr, espErr)
		}
		if ikeErr == nil && !proposalRE.MatchString(ike) {
			t.Fatalf("%+v: IKE proposal %q is not [a-z0-9-] tokens", p, ike)
		}
		if espErr == nil && !proposalRE.MatchString(esp) {
			t.Fatalf("%+v: ESP proposal %q is not [a-z0-9-] tokens", p, esp)
		}
		if got, err := FromARM(p.ToARM()); err != nil || got != p {
			t.Fatalf("ARM round trip: %+v -> %+v, %v", p, got, err)
		}
	})
}

func FuzzSharedKey(f *testing.F) {
	for _, s := range []string{"a", "", "abc-def", "x~", "with space", "é", "\x00", "!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, k string) {
		want := len(k) >= 1 && len(k) <= 128
		for i := 0; i < len(k); i++ {
			if c := k[i]; c <= ' ' || c >= 0x7f || c == '-' || c == '~' {
				want = false
			}
		}
		err := ValidateSharedKey(k)
		if (err == nil) != want {
			t.Fatalf("ValidateSharedKey(%q) = %v, want valid=%v", k, err, want)
		}
		if err != nil && err.Error()[:len("shared_key: ")] != "shared_key: " {
			t.Fatalf("error %q does not start with shared_key", err)
		}
	})
}
