package lab

import (
	"context"
	"regexp"
	"testing"
)

// A server leaving the internet bridge must not change the bridge's MAC:
// the other servers would keep a stale ARP entry for their router and lose
// their public traffic until it expired (seen as a minute-long gap in the
// HA key rotation, bench -only ha-rotation). A Linux bridge without a MAC
// of its own takes its lowest port's, so the port here has the lowest MAC
// there is.
func TestBridgeKeepsItsMACWhenPortsComeAndGo(t *testing.T) {
	requireLab(t)
	ctx := context.Background()
	prefix := testPrefix("br")
	ns, peer := prefix+"a", prefix+"b"
	for _, n := range []string{ns, peer} {
		if err := AddNS(ctx, prefix, n); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = DelNS(context.Background(), n) })
	}
	if err := AddBridge(ctx, ns, "br0"); err != nil {
		t.Fatal(err)
	}
	before := linkMAC(t, ns, "br0")
	if err := AddVeth(ctx, peer, "eth0", ns, "p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ipCmd(ctx, ns, "link", "set", "p1", "address", "00:00:00:00:00:01"); err != nil {
		t.Fatal(err)
	}
	if err := SetMaster(ctx, ns, "p1", "br0"); err != nil {
		t.Fatal(err)
	}
	if got := linkMAC(t, ns, "br0"); got != before {
		t.Errorf("a port joining changed the bridge's MAC from %s to %s", before, got)
	}
	if _, err := ipCmd(ctx, ns, "link", "del", "p1"); err != nil {
		t.Fatal(err)
	}
	if got := linkMAC(t, ns, "br0"); got != before {
		t.Errorf("a port leaving changed the bridge's MAC from %s to %s", before, got)
	}
}

var etherRE = regexp.MustCompile(`link/ether ([0-9a-f:]{17})`)

func linkMAC(t *testing.T, ns, dev string) string {
	t.Helper()
	out, err := ipCmd(context.Background(), ns, "link", "show", dev)
	if err != nil {
		t.Fatal(err)
	}
	m := etherRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no MAC in %q", out)
	}
	return m[1]
}
