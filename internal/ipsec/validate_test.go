package ipsec

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

func TestValidateIssues(t *testing.T) {
	with := func(f func(*Policy)) Policy { p := DefaultPolicy(); f(&p); return p }
	tests := []struct {
		name       string
		p          Policy
		allowWeak  bool
		wantFields []string
		wantInMsg  []string // each must appear in some issue's message
	}{
		{"default is accepted", DefaultPolicy(), false, nil, nil},
		{"wrong case gets a hint", with(func(p *Policy) { p.IKEEncryption = "gcmaes256" }), false,
			[]string{"ike_encryption"}, []string{`did you mean "GCMAES256"`}},
		{"unknown value lists allowed ones", with(func(p *Policy) { p.DHGroup = "DHGroup5" }), true,
			[]string{"dh_group"}, []string{"DHGroup14", "ECP384"}},
		{"weak DES refused", with(func(p *Policy) { p.IKEEncryption = "DES" }), false,
			[]string{"ike_encryption"}, []string{"allow_weak_crypto", "GCMAES256"}},
		{"weak DES allowed knowingly", with(func(p *Policy) { p.IKEEncryption = "DES" }), true, nil, nil},
		{"DH group 2 refused", with(func(p *Policy) { p.DHGroup = "DHGroup2" }), false,
			[]string{"dh_group"}, []string{"MODP1024", "ECP384"}},
		{"null ESP refused", with(func(p *Policy) { p.IPsecEncryption, p.IPsecIntegrity = "None", "SHA256" }), false,
			[]string{"ipsec_encryption"}, []string{"clear text"}},
		{"PFS24 and MD5 refused together", with(func(p *Policy) {
			p.IPsecEncryption, p.IPsecIntegrity, p.PFSGroup = "AES256", "MD5", "PFS24"
		}), false, []string{"ipsec_integrity", "pfs_group"}, []string{"MD5", "RFC 5114"}},
		{"DH None refused even when weak allowed", with(func(p *Policy) { p.DHGroup = "None" }), true,
			[]string{"dh_group"}, []string{"IKEv2"}},
		{"PFSMM refused even when weak allowed", with(func(p *Policy) { p.PFSGroup = "PFSMM" }), true,
			[]string{"pfs_group"}, []string{"strongSwan", "ECP384"}},
		{"GCM ESP needs the same GCM integrity", with(func(p *Policy) { p.IPsecIntegrity = "SHA256" }), false,
			[]string{"ipsec_integrity"}, []string{`ipsec_integrity = "GCMAES256"`}},
		{"GCM integrity needs the matching encryption", with(func(p *Policy) { p.IPsecEncryption = "AES256" }), false,
			[]string{"ipsec_integrity"}, []string{`ipsec_encryption = "GCMAES256"`, "SHA256"}},
		{"GCM integrity with null ESP: two issues", with(func(p *Policy) { p.IPsecEncryption = "None" }), false,
			[]string{"ipsec_encryption", "ipsec_integrity"}, nil},
		{"GCM IKE integrity with CBC IKE", with(func(p *Policy) { p.IKEEncryption, p.IKEIntegrity = "AES256", "GCMAES128" }),
			true, []string{"ike_integrity"}, []string{"only valid with GCM ike_encryption"}},
		{"GCM IKE integrity as PRF", with(func(p *Policy) { p.IKEEncryption, p.IKEIntegrity = "GCMAES256", "GCMAES256" }), true,
			[]string{"ike_integrity"}, []string{"PRF", "SHA384"}},
		{"lifetime 300 is the minimum", with(func(p *Policy) { p.SALifetimeSeconds = 300 }), false, nil, nil},
		{"lifetime 299 refused", with(func(p *Policy) { p.SALifetimeSeconds = 299 }), true,
			[]string{"sa_lifetime_seconds"}, []string{"300"}},
		{"datasize 1024 is the minimum", with(func(p *Policy) { p.SADataSizeKilobytes = 1024 }), false, nil, nil},
		{"datasize 1023 refused", with(func(p *Policy) { p.SADataSizeKilobytes = 1023 }), true,
			[]string{"sa_datasize_kilobytes"}, []string{"1024"}},
		{"datasize 0 is no volume limit", with(func(p *Policy) { p.SADataSizeKilobytes = 0 }), false, nil, nil},
		{"all issues at once, in attribute order", Policy{SALifetimeSeconds: -1, SADataSizeKilobytes: 1, IKEEncryption: "x", IKEIntegrity: "SHA1",
			DHGroup: "ECP256", IPsecEncryption: "AES128", IPsecIntegrity: "SHA1", PFSGroup: "None"}, false,
			[]string{"ike_encryption", "sa_lifetime_seconds", "sa_datasize_kilobytes"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issues := tt.p.Validate(tt.allowWeak)
			var fields []string
			var msgs strings.Builder
			for _, is := range issues {
				fields = append(fields, is.Path.String())
				msgs.WriteString(is.Message + "\n")
			}
			if !slices.Equal(fields, tt.wantFields) {
				t.Fatalf("issue fields = %v, want %v; issues: %v", fields, tt.wantFields, issues)
			}
			for _, s := range tt.wantInMsg {
				if !strings.Contains(msgs.String(), s) {
					t.Errorf("messages do not mention %q:\n%s", s, msgs.String())
				}
			}
		})
	}
}

// Issues that travel as text (a proposal that cannot render) name their
// attribute under ipsec_policy, so a log line still points at the field.
func TestIssueError(t *testing.T) {
	p := DefaultPolicy()
	p.PFSGroup = "PFSMM"
	_, err := p.ESPProposal()
	if err == nil || !strings.HasPrefix(err.Error(), "ipsec_policy.pfs_group: PFSMM is not usable") {
		t.Errorf("ESPProposal error = %v, want it to start with ipsec_policy.pfs_group", err)
	}
	var e *attrerr.Error
	if !errors.As(err, &e) || e.Path.String() != "ipsec_policy.pfs_group" {
		t.Errorf("error %v is not an *attrerr.Error on ipsec_policy.pfs_group", err)
	}
	if is := p.Validate(false); len(is) != 1 || is[0].Path.String() != FieldPFSGroup {
		t.Errorf("Validate = %v, want one issue on %s (relative to the policy)", is, FieldPFSGroup)
	}
}

// The allowed values must include every value of the 2024-05-01 swagger
// (docs/facts/ipsec.md, "Custom policy"); the provider schema's OneOf validators come from here.
func TestAllowedValuesMatchSwagger(t *testing.T) {
	swagger := map[string][]string{
		"ike_encryption":   {"DES", "DES3", "AES128", "AES192", "AES256", "GCMAES256", "GCMAES128"},
		"ike_integrity":    {"MD5", "SHA1", "SHA256", "SHA384", "GCMAES256", "GCMAES128"},
		"dh_group":         {"None", "DHGroup1", "DHGroup2", "DHGroup14", "DHGroup2048", "ECP256", "ECP384", "DHGroup24"},
		"ipsec_encryption": {"None", "DES", "DES3", "AES128", "AES192", "AES256", "GCMAES128", "GCMAES192", "GCMAES256"},
		"ipsec_integrity":  {"MD5", "SHA1", "SHA256", "GCMAES128", "GCMAES192", "GCMAES256"},
		"pfs_group":        {"None", "PFS1", "PFS2", "PFS2048", "ECP256", "ECP384", "PFS24", "PFS14", "PFSMM"},
	}
	for field, want := range swagger {
		got := AllowedValues(field)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("AllowedValues(%q) = %v, want %v", field, got, want)
		}
	}
	for _, f := range []string{"sa_lifetime_seconds", "nope", ""} {
		if got := AllowedValues(f); got != nil {
			t.Errorf("AllowedValues(%q) = %v, want nil", f, got)
		}
	}
	// Callers may modify the returned slice without corrupting validation.
	AllowedValues(FieldDHGroup)[0] = "mutated"
	if slices.Contains(AllowedValues(FieldDHGroup), "mutated") {
		t.Error("AllowedValues returns shared state")
	}
}

func TestWeakValues(t *testing.T) {
	want := map[string][]string{
		"ike_encryption":   {"DES", "DES3"},
		"ike_integrity":    {"MD5"},
		"dh_group":         {"DHGroup1", "DHGroup2", "DHGroup24"},
		"ipsec_encryption": {"DES", "DES3", "None"},
		"ipsec_integrity":  {"MD5"},
		"pfs_group":        {"PFS1", "PFS2", "PFS24"},
	}
	for field, w := range want {
		got := WeakValues(field)
		slices.Sort(got)
		if !slices.Equal(got, w) {
			t.Errorf("WeakValues(%q) = %v, want %v", field, got, w)
		}
		for _, v := range w {
			if !IsWeak(field, v) {
				t.Errorf("IsWeak(%q, %q) = false", field, v)
			}
		}
	}
	if IsWeak(FieldDHGroup, "ECP384") || IsWeak(FieldIKEIntegrity, "SHA1") {
		t.Error("IsWeak reports a strong value as weak")
	}
}
