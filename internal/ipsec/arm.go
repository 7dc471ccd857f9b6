package ipsec

import (
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// ToARM converts the policy to the armnetwork type that goes into the
// connection's ipsecPolicies (exactly one element: Azure allows one policy
// per connection). All eight fields are set because the API requires all of
// them; no partial policies exist.
func (p Policy) ToARM() *armnetwork.IPSecPolicy {
	return &armnetwork.IPSecPolicy{
		IkeEncryption:       new(armnetwork.IkeEncryption(p.IKEEncryption)),
		IkeIntegrity:        new(armnetwork.IkeIntegrity(p.IKEIntegrity)),
		DhGroup:             new(armnetwork.DhGroup(p.DHGroup)),
		IPSecEncryption:     new(armnetwork.IPSecEncryption(p.IPsecEncryption)),
		IPSecIntegrity:      new(armnetwork.IPSecIntegrity(p.IPsecIntegrity)),
		PfsGroup:            new(armnetwork.PfsGroup(p.PFSGroup)),
		SaLifeTimeSeconds:   new(p.SALifetimeSeconds),
		SaDataSizeKilobytes: new(p.SADataSizeKilobytes),
	}
}

// FromARM reads a policy back from a connection, so Read can detect drift
// made outside Terraform. It fails when the policy or one of its required
// fields is missing, naming the field, rather than inventing a value that
// would hide the drift. Values are copied as they are; Validate judges them.
func FromARM(a *armnetwork.IPSecPolicy) (Policy, error) {
	if a == nil {
		return Policy{}, errors.New("ipsec_policy: the Azure connection returned no IPsec policy")
	}
	var missing []*attrerr.Error
	str := func(field string, v *string) string {
		if v == nil {
			missing = append(missing, issue(field, "missing in the IPsec policy Azure returned"))
			return ""
		}
		return *v
	}
	num := func(field string, v *int32) int32 {
		if v == nil {
			missing = append(missing, issue(field, "missing in the IPsec policy Azure returned"))
			return 0
		}
		return *v
	}
	p := Policy{
		IKEEncryption:       str(FieldIKEEncryption, (*string)(a.IkeEncryption)),
		IKEIntegrity:        str(FieldIKEIntegrity, (*string)(a.IkeIntegrity)),
		DHGroup:             str(FieldDHGroup, (*string)(a.DhGroup)),
		IPsecEncryption:     str(FieldIPsecEncryption, (*string)(a.IPSecEncryption)),
		IPsecIntegrity:      str(FieldIPsecIntegrity, (*string)(a.IPSecIntegrity)),
		PFSGroup:            str(FieldPFSGroup, (*string)(a.PfsGroup)),
		SALifetimeSeconds:   num(FieldSALifetimeSeconds, a.SaLifeTimeSeconds),
		SADataSizeKilobytes: num(FieldSADataSizeKilobytes, a.SaDataSizeKilobytes),
	}
	if len(missing) > 0 {
		return Policy{}, underPolicy(missing)
	}
	return p, nil
}
