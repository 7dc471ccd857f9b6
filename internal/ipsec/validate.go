package ipsec

import (
	"fmt"
	"slices"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// Validate checks the policy against Azure's enums, the pairing rules that
// make a policy expressible on both sides (docs/facts/ipsec.md) and Azure's
// lifetime minimums, and, unless allowWeak, refuses weak algorithms. It
// returns every issue at once, in attribute order, so a user fixes a plan in
// one round; nil means the policy is usable and both proposals render.
func (p Policy) Validate(allowWeak bool) []*attrerr.Error {
	var out []*attrerr.Error
	out = append(out, p.ikeIssues()...)
	out = append(out, p.espIssues()...)
	if !allowWeak {
		out = append(out, p.weakIssues()...)
	}
	if p.SALifetimeSeconds < MinSALifetimeSeconds {
		out = append(out, issue(FieldSALifetimeSeconds, fmt.Sprintf("%d s is below Azure's minimum of %d s; "+
			"choose at least %d (Azure's default is 27000)", p.SALifetimeSeconds, MinSALifetimeSeconds,
			MinSALifetimeSeconds)))
	}
	// 0 is allowed: the portal accepts "0 or between 1024 and 2147483647"
	// and azurerm allows it (azurerm#21407, PR #27056).
	if p.SADataSizeKilobytes != 0 && p.SADataSizeKilobytes < MinSADataSizeKilobytes {
		out = append(out, issue(FieldSADataSizeKilobytes, fmt.Sprintf("%d KB is below Azure's minimum of %d KB; "+
			"choose 0 (no data-volume limit) or at least %d (Azure's default is 102400000)", p.SADataSizeKilobytes, MinSADataSizeKilobytes,
			MinSADataSizeKilobytes)))
	}
	return sortByField(out)
}

// weakIssues reports each field holding a value on the weak list.
func (p Policy) weakIssues() []*attrerr.Error {
	var out []*attrerr.Error
	for _, f := range p.enumFields() {
		if reason, weak := weakReasons[f.name+"/"+f.value]; weak {
			out = append(out, issue(f.name, fmt.Sprintf("%s is weak: %s; choose %s, or set %s = true to accept it "+
				"knowingly", f.value, reason, recommended[f.name], AllowWeakAttribute)))
		}
	}
	return out
}

type enumField struct{ name, value string }

func (p Policy) enumFields() []enumField {
	return []enumField{
		{FieldIKEEncryption, p.IKEEncryption},
		{FieldIKEIntegrity, p.IKEIntegrity},
		{FieldDHGroup, p.DHGroup},
		{FieldIPsecEncryption, p.IPsecEncryption},
		{FieldIPsecIntegrity, p.IPsecIntegrity},
		{FieldPFSGroup, p.PFSGroup},
	}
}

var fieldOrder = map[string]int{
	FieldIKEEncryption: 0, FieldIKEIntegrity: 1, FieldDHGroup: 2, FieldIPsecEncryption: 3,
	FieldIPsecIntegrity: 4, FieldPFSGroup: 5, FieldSALifetimeSeconds: 6, FieldSADataSizeKilobytes: 7,
}

// sortByField orders issues as the attributes appear in ipsec_policy; the sort
// is stable so several issues on one field keep their rule order.
func sortByField(issues []*attrerr.Error) []*attrerr.Error {
	slices.SortStableFunc(issues, func(a, b *attrerr.Error) int { return fieldOrder[a.Path[0].Name] - fieldOrder[b.Path[0].Name] })
	return issues
}
