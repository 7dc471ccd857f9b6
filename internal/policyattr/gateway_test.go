package policyattr

import (
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// GatewayCrypto writes the policy's proposals, lifetime and DPD delay and
// leaves the caller's half (addresses, prefixes, key) alone; a policy that
// does not render is an error, with the gateway unchanged.
func TestGatewayCrypto(t *testing.T) {
	p := ipsec.DefaultPolicy()
	ike, _ := p.IKEProposal()
	esp, _ := p.ESPProposal()
	g := cloudinit.Gateway{ConnectionName: "link", SharedKey: "k"}
	if err := GatewayCrypto(&g, p, 45); err != nil {
		t.Fatal(err)
	}
	if g.IKEProposal != ike || g.ESPProposal != esp || g.ChildLifetime != time.Duration(p.SALifetimeSeconds)*time.Second ||
		g.DPDDelay != ipsec.DPDDelay(45) || g.ConnectionName != "link" || g.SharedKey != "k" {
		t.Errorf("GatewayCrypto(default policy, 45) = %+v", g)
	}

	bad := p
	bad.IKEEncryption = "ROT13"
	before := g
	if err := GatewayCrypto(&g, bad, 45); err == nil {
		t.Error("a policy with an unknown IKE encryption rendered")
	}
	if g.IKEProposal != before.IKEProposal || g.DPDDelay != before.DPDDelay {
		t.Errorf("a failed GatewayCrypto changed the gateway: %+v", g)
	}
}
