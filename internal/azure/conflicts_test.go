package azure_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// gatewaySide is a provisioned gateway with n local network gateways.
type gatewaySide struct {
	sim  *simtest.Instance
	c    *azure.Client
	gw   string
	lngs []string
}

func newGatewaySide(t *testing.T, n int) gatewaySide {
	t.Helper()
	sim, c, vnetID := slowEnv(t)
	ctx := context.Background()
	gw, err := c.EnsureGateway(ctx, gatewaySpec(t, c, vnetID, "g"), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := gatewaySide{sim: sim, c: c, gw: gw.ID}
	for i := range n {
		id, err := c.EnsureLocalGateway(ctx, azure.LocalGatewaySpec{ResourceGroup: rg, Name: fmt.Sprintf("l%d-lng", i), Location: loc, Link: fmt.Sprintf("l%d", i),
			PeerIP: netip.AddrFrom4([4]byte{203, 0, 113, byte(10 + i)}), Prefixes: []netip.Prefix{netip.MustParsePrefix(fmt.Sprintf("10.0.%d.0/24", i+1))}})
		if err != nil {
			t.Fatal(err)
		}
		g.lngs = append(g.lngs, id)
	}
	return g
}

func (g gatewaySide) spec(i int) azure.ConnectionSpec {
	return azure.ConnectionSpec{ResourceGroup: rg, Name: fmt.Sprintf("l%d-conn", i), Location: loc, Link: fmt.Sprintf("l%d", i), GatewayID: g.gw,
		LocalGatewayID: g.lngs[i], SharedKey: fmt.Sprintf("key%dForTheTest", i), Policy: ipsec.DefaultPolicy(), DPDTimeoutSeconds: 45}
}

// Another writer (another tool, another Terraform run) starts a connection
// on the gateway just before the link does: the link's write fails inside
// its operation (AnotherOperationInProgress), then meets 409s; it backs off
// and succeeds once the gateway is free, instead of giving up after three
// immediate re-PUTs.
func TestConnectionWriteOutlastsAForeignWriter(t *testing.T) {
	g := newGatewaySide(t, 2)
	ctx := context.Background()
	f, err := armnetwork.NewClientFactory(g.sim.SubscriptionID(), g.sim.Credential(), g.sim.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	foreign := g.spec(1)
	if _, err := f.NewVirtualNetworkGatewayConnectionsClient().BeginCreateOrUpdate(ctx, rg, "foreign-conn", armnetwork.VirtualNetworkGatewayConnection{
		Location: new(loc), Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType:         new(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec),
			VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: &foreign.GatewayID},
			LocalNetworkGateway2:   &armnetwork.LocalNetworkGateway{ID: &foreign.LocalGatewayID}, SharedKey: new("foreignKey1")}}, nil); err != nil {
		t.Fatal(err)
	}
	id, err := g.c.EnsureConnection(ctx, g.spec(0))
	if err != nil {
		t.Fatalf("EnsureConnection behind a foreign writer: %v", err)
	}
	if conn, err := g.c.GetConnection(ctx, id); err != nil || conn.ProvisioningState != azure.StateSucceeded {
		t.Fatalf("connection after the conflict: %+v %v", conn, err)
	}
}

// Links of one run reusing one gateway take turns writing its connections.
func TestConnectionsOfOneGatewayAllSucceed(t *testing.T) {
	g := newGatewaySide(t, 3)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() {
			id, err := g.c.EnsureConnection(ctx, g.spec(i))
			if err == nil {
				err = g.c.EnsureSharedKey(ctx, id, g.spec(i).SharedKey+"X")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("link %d: %v", i, err)
		}
	}
}

// A key change returns only once the connection applies it (Succeeded), and
// Connected is then read from the connection after the change, not from the
// status the old tunnel left.
func TestKeyChangeWaitsUntilInForce(t *testing.T) {
	g := newGatewaySide(t, 1)
	ctx := context.Background()
	id, err := g.c.EnsureConnection(ctx, g.spec(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := g.c.EnsureSharedKey(ctx, id, "rotatedKey0Test"); err != nil {
		t.Fatal(err)
	}
	conn, err := g.c.GetConnection(ctx, id)
	if err != nil || conn.ProvisioningState != azure.StateSucceeded {
		t.Fatalf("EnsureSharedKey returned while the connection is %+v (%v), want Succeeded", conn, err)
	}
	// A policy change right after the key change is accepted (no
	// AnotherOperationInProgress), and the key survives the PUT.
	spec := g.spec(0)
	spec.DPDTimeoutSeconds = 30
	if _, err := g.c.EnsureConnection(ctx, spec); err != nil {
		t.Fatalf("EnsureConnection after the key change: %v", err)
	}
	if k, err := g.c.SharedKey(ctx, id); err != nil || k != "rotatedKey0Test" {
		t.Fatalf("key after the PUT: %q %v", k, err)
	}
}
