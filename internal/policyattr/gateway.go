package policyattr

import (
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// GatewayCrypto fills the crypto half of a gateway's strongSwan
// configuration from a policy and a DPD timeout: the IKE and ESP proposals,
// the CHILD_SA lifetime and the DPD delay. It is the one place the link
// (for the server it builds and for the plan-time size check) and the
// strongswan_config data source (for a gateway someone else runs) turn a
// policy into strongSwan's terms, so the two can never disagree on what a
// policy means. The addresses, prefixes and key are the caller's.
func GatewayCrypto(g *cloudinit.Gateway, p ipsec.Policy, dpdTimeoutSeconds int64) error {
	ike, err := p.IKEProposal()
	if err != nil {
		return err
	}
	esp, err := p.ESPProposal()
	if err != nil {
		return err
	}
	g.IKEProposal, g.ESPProposal = ike, esp
	g.ChildLifetime = time.Duration(p.SALifetimeSeconds) * time.Second
	g.DPDDelay = ipsec.DPDDelay(dpdTimeoutSeconds)
	return nil
}
