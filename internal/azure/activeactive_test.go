package azure_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

const (
	typeGateway  = "Microsoft.Network/virtualNetworkGateways"
	typePublicIP = "Microsoft.Network/publicIPAddresses"
)

// haSide is an emulator with a GatewaySubnet and the two public IPs of an
// active-active gateway for link "ha".
func haSide(t *testing.T) (*simtest.Instance, *azure.Client, string, []azure.PublicIP) {
	t.Helper()
	sim, c, vnetID := env(t)
	ctx := context.Background()
	subnetID := gatewaySubnet(t, c, vnetID)
	pips, err := c.EnsurePublicIPs(ctx,
		azure.PublicIPSpec{ResourceGroup: rg, Name: "ha-vgw-pip", Location: loc, Link: "ha", Zones: zones3},
		azure.PublicIPSpec{ResourceGroup: rg, Name: "ha-vgw-pip2", Location: loc, Link: "ha", Zones: zones3})
	if err != nil {
		t.Fatal(err)
	}
	if len(pips) != 2 || pips[0].Addr == pips[1].Addr || !strings.HasSuffix(pips[1].ID, "/ha-vgw-pip2") {
		t.Fatalf("EnsurePublicIPs: %+v", pips)
	}
	return sim, c, subnetID, pips
}

func haSpec(subnetID string, pips []azure.PublicIP) azure.GatewaySpec {
	return azure.GatewaySpec{ResourceGroup: rg, Name: "ha-vgw", Location: loc, Link: "ha", SKU: "VpnGw1AZ",
		SubnetID: subnetID, PublicIPID: pips[0].ID, ActiveActive: true, SecondPublicIPID: pips[1].ID}
}

func TestActiveActiveGatewayBuildsBothTunnelsAndLeavesNoPublicIP(t *testing.T) {
	ctx := context.Background()
	sim, c, subnetID, pips := haSide(t)
	gw, err := c.EnsureGateway(ctx, haSpec(subnetID, pips), nil)
	if err != nil || !gw.ActiveActive || len(gw.PublicIPIDs) != 2 ||
		!strings.EqualFold(gw.PublicIPIDs[0], pips[0].ID) || !strings.EqualFold(gw.PublicIPIDs[1], pips[1].ID) {
		t.Fatalf("EnsureGateway: %+v %v", gw, err)
	}
	before := sim.Stats(t).MutationsTotal
	if again, err := c.EnsureGateway(ctx, haSpec(subnetID, pips), nil); err != nil || again.ID != gw.ID {
		t.Fatalf("re-run: %+v %v", again, err)
	}
	if n := sim.Stats(t).MutationsTotal - before; n != 0 {
		t.Errorf("a re-run against a matching active-active gateway wrote %d times, want 0", n)
	}
	addrs, err := c.GatewayPublicIPs(ctx, gw)
	if err != nil || len(addrs) != 2 || addrs[0] != pips[0].Addr || addrs[1] != pips[1].Addr {
		t.Fatalf("GatewayPublicIPs: %v %v, want %v %v", addrs, err, pips[0].Addr, pips[1].Addr)
	}

	// One local network gateway and one connection; two tunnels.
	lngID, err := c.EnsureLocalGateway(ctx, azure.LocalGatewaySpec{ResourceGroup: rg, Name: "ha-lng", Location: loc, Link: "ha",
		PeerIP: netip.MustParseAddr("203.0.113.10"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	connID, err := c.EnsureConnection(ctx, azure.ConnectionSpec{ResourceGroup: rg, Name: "ha-conn", Location: loc, Link: "ha",
		GatewayID: gw.ID, LocalGatewayID: lngID, SharedKey: "initialKey123", Policy: ipsec.DefaultPolicy(), DPDTimeoutSeconds: 45})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitConnected(ctx, connID, 5*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	conn, err := c.GetConnection(ctx, connID)
	if err != nil || len(conn.Tunnels) != 2 {
		t.Fatalf("connection tunnels: %+v %v", conn, err)
	}
	for i, addr := range addrs {
		tun, err := conn.TunnelTo(addr)
		if err != nil || tun.Status != azure.ConnectionConnected || tun.Name != conn.Tunnels[i].Name {
			t.Errorf("instance %d (%s): %+v %v, want tunnel %q Connected", i, addr, tun, err, conn.Tunnels[i].Name)
		}
	}
	if _, err := conn.TunnelTo(netip.MustParseAddr("198.51.100.250")); !errors.Is(err, azure.ErrNoTunnel) {
		t.Errorf("an address of no instance: %v, want ErrNoTunnel", err)
	}

	if err := c.DeleteConnection(ctx, connID); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteLocalGateway(ctx, lngID); err != nil {
		t.Fatal(err)
	}
	// The caller recorded only the first public IP; the second is found
	// through the gateway, so nothing is orphaned. A second pass is a no-op.
	for pass := range 2 {
		if err := c.DeleteGatewayAndPublicIPs(ctx, gw.ID, "ha", pips[0].ID); err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
	}
	for _, typ := range []string{typeGateway, typePublicIP} {
		if n := count(t, sim, typ); n != 0 {
			t.Errorf("%s left behind: %d", typ, n)
		}
	}
}

// A public IP the gateway used but the link does not own survives the
// gateway's deletion.
func TestDeleteGatewayKeepsAForeignSecondPublicIP(t *testing.T) {
	ctx := context.Background()
	sim, c, subnetID, pips := haSide(t)
	foreign, err := c.EnsurePublicIPs(ctx, azure.PublicIPSpec{ResourceGroup: rg, Name: "shared-pip", Location: loc, Link: "other", Zones: zones3})
	if err != nil {
		t.Fatal(err)
	}
	spec := haSpec(subnetID, pips)
	spec.SecondPublicIPID = foreign[0].ID
	gw, err := c.EnsureGateway(ctx, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteGatewayAndPublicIPs(ctx, gw.ID, "ha", pips[0].ID); err != nil {
		t.Fatal(err)
	}
	left := sim.Find(t, "azure", typePublicIP)
	var names []string
	for _, r := range left {
		names = append(names, r.Name)
	}
	if len(left) != 2 || !strings.Contains(strings.Join(names, ","), "shared-pip") {
		t.Fatalf("public IPs after delete: %v, want the unused ha-vgw-pip2 and the foreign shared-pip", names)
	}
}

// An existing gateway changes mode in place: same gateway, first public IP
// kept; after going back to active-standby the second address is free.
func TestGatewayChangesModeInPlace(t *testing.T) {
	ctx := context.Background()
	sim, c, subnetID, pips := haSide(t)
	standby := azure.GatewaySpec{ResourceGroup: rg, Name: "ha-vgw", Location: loc, Link: "ha", SKU: "VpnGw1AZ", SubnetID: subnetID, PublicIPID: pips[0].ID}
	first, err := c.EnsureGateway(ctx, standby, nil)
	if err != nil || first.ActiveActive {
		t.Fatalf("active-standby gateway: %+v %v", first, err)
	}
	aa, err := c.EnsureGateway(ctx, haSpec(subnetID, pips), nil)
	if err != nil || !aa.ActiveActive || aa.ID != first.ID || len(aa.PublicIPIDs) != 2 {
		t.Fatalf("to active-active: %+v %v", aa, err)
	}
	back, err := c.EnsureGateway(ctx, standby, nil)
	if err != nil || back.ActiveActive || len(back.PublicIPIDs) != 1 || !strings.EqualFold(back.PublicIPIDs[0], pips[0].ID) {
		t.Fatalf("back to active-standby: %+v %v", back, err)
	}
	if n := count(t, sim, typeGateway); n != 1 {
		t.Fatalf("%d gateways, want the one changed in place", n)
	}
	if err := c.DeletePublicIP(ctx, pips[1].ID); err != nil {
		t.Fatalf("the second public IP must be free after the change back: %v", err)
	}
}

// Specs the gateway PUT would refuse are refused before any request.
func TestActiveActiveSpecRefusedBeforeAnyCall(t *testing.T) {
	ctx := context.Background()
	sim, c, subnetID, pips := haSide(t)
	noSecond := haSpec(subnetID, pips)
	noSecond.SecondPublicIPID = ""
	same := haSpec(subnetID, pips)
	same.SecondPublicIPID = strings.ToUpper(pips[0].ID)
	basic := haSpec(subnetID, pips)
	basic.SKU = "Basic"
	stray := haSpec(subnetID, pips)
	stray.ActiveActive = false
	for name, tt := range map[string]struct {
		spec azure.GatewaySpec
		want string
	}{
		"no second public IP":       {noSecond, "needs a second public IP"},
		"one public IP for both":    {same, "each needs its own"},
		"Basic SKU":                 {basic, "cannot run active-active"},
		"second IP, active-standby": {stray, "only used by an active-active gateway"},
	} {
		t.Run(name, func(t *testing.T) {
			before := sim.Stats(t).RequestsTotal
			_, err := c.EnsureGateway(ctx, tt.spec, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if n := sim.Stats(t).RequestsTotal - before; n != 0 {
				t.Errorf("%d requests before refusing", n)
			}
		})
	}
}
