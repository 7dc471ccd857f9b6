package azure_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

const (
	rg  = "rg-net"
	loc = "westeurope"
)

// env starts an emulator where a 45-minute gateway takes about a second and
// seeds the VNet a user's other tooling would have created.
func env(t *testing.T) (*simtest.Instance, *azure.Client, string) {
	t.Helper()
	return envWith(t, 10*time.Millisecond, simtest.WithTimeScale(0.0005))
}

// envWith starts an emulator with opts, seeds the resource group and the
// VNet, and returns a client polling every poll.
func envWith(t *testing.T, poll time.Duration, opts ...simtest.Option) (*simtest.Instance, *azure.Client, string) {
	t.Helper()
	sim := simtest.Start(t, opts...)
	sim.CreateResourceGroup(t, rg, loc)
	vnetID := sim.CreateVNet(t, rg, "vnet", loc, []string{"10.1.0.0/16"}, map[string]string{"default": "10.1.1.0/24"})
	c, err := azure.New(sim.SubscriptionID(), sim.Credential(), sim.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	c.PollFrequency = poll
	return sim, c, vnetID
}

// gatewaySubnet creates the VNet's GatewaySubnet (10.1.255.0/27), owned by
// no link, for the tests that build a gateway in it.
func gatewaySubnet(t *testing.T, c *azure.Client, vnetID string) string {
	t.Helper()
	subnetID, _, err := c.EnsureGatewaySubnet(context.Background(), vnetID, "", netip.MustParsePrefix("10.1.255.0/27"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return subnetID
}

// gatewaySpec creates the GatewaySubnet and link's zone-redundant public IP
// and returns the spec of link's VpnGw1AZ gateway on them.
func gatewaySpec(t *testing.T, c *azure.Client, vnetID, link string) azure.GatewaySpec {
	t.Helper()
	subnetID := gatewaySubnet(t, c, vnetID)
	pipID, _, err := c.EnsurePublicIP(context.Background(), azure.PublicIPSpec{ResourceGroup: rg, Name: link + "-vgw-pip", Location: loc, Link: link, Zones: zones3})
	if err != nil {
		t.Fatal(err)
	}
	return azure.GatewaySpec{ResourceGroup: rg, Name: link + "-vgw", Location: loc, Link: link, SKU: "VpnGw1AZ", SubnetID: subnetID, PublicIPID: pipID}
}

func count(t *testing.T, sim *simtest.Instance, typ string) int {
	t.Helper()
	return len(sim.Find(t, "azure", typ))
}

func TestLinkSideBuildsOnceAndAdoptsOnRerun(t *testing.T) {
	ctx := context.Background()
	sim, c, vnetID := env(t)

	vnet, err := c.GetVNet(ctx, vnetID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vnet.AddressSpace) != 1 || vnet.AddressSpace[0] != netip.MustParsePrefix("10.1.0.0/16") || vnet.GatewaySubnetID != "" {
		t.Fatalf("unexpected VNet view: %+v", vnet)
	}
	pfx := netip.MustParsePrefix("10.1.255.0/27")
	subnetID, created, err := c.EnsureGatewaySubnet(ctx, vnetID, "", pfx, nil)
	if err != nil || !created {
		t.Fatalf("first EnsureGatewaySubnet: created=%v err=%v", created, err)
	}
	again, created, err := c.EnsureGatewaySubnet(ctx, vnetID, "", pfx, nil)
	if err != nil || created || again != subnetID {
		t.Fatalf("second EnsureGatewaySubnet must adopt: created=%v id=%s err=%v", created, again, err)
	}

	pip := azure.PublicIPSpec{ResourceGroup: rg, Name: "l-vgw-pip", Location: loc, Link: "l", Zones: zones3}
	pipID, addr, err := c.EnsurePublicIP(ctx, pip)
	if err != nil || !netip.MustParsePrefix("198.51.100.0/24").Contains(addr) {
		t.Fatalf("EnsurePublicIP: %s %v", addr, err)
	}
	if id2, addr2, err := c.EnsurePublicIP(ctx, pip); err != nil || id2 != pipID || addr2 != addr {
		t.Fatalf("re-run must return the same public IP: %s %s %v", id2, addr2, err)
	}

	var accepted atomic.Value
	gw, err := c.EnsureGateway(ctx, azure.GatewaySpec{ResourceGroup: rg, Name: "l-vgw", Location: loc, Link: "l",
		SKU: "VpnGw1AZ", SubnetID: subnetID, PublicIPID: pipID}, func(id string) { accepted.Store(id) })
	if err != nil || gw.ProvisioningState != azure.StateSucceeded {
		t.Fatalf("EnsureGateway: %+v %v", gw, err)
	}
	if accepted.Load() != gw.ID {
		t.Fatalf("the gateway ID must be reported before the wait ends, got %v", accepted.Load())
	}

	lngID, err := c.EnsureLocalGateway(ctx, azure.LocalGatewaySpec{ResourceGroup: rg, Name: "l-lng", Location: loc, Link: "l",
		PeerIP: netip.MustParseAddr("203.0.113.10"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	pol := ipsec.DefaultPolicy()
	spec := azure.ConnectionSpec{ResourceGroup: rg, Name: "l-conn", Location: loc, Link: "l", GatewayID: gw.ID,
		LocalGatewayID: lngID, SharedKey: "initialKey123", Policy: pol, DPDTimeoutSeconds: 45}
	connID, err := c.EnsureConnection(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.GetConnection(ctx, connID)
	if err != nil || conn.Policy == nil || *conn.Policy != pol || conn.Protocol != "IKEv2" || conn.DPDTimeoutSeconds != 45 {
		t.Fatalf("connection does not carry the policy: %+v %v", conn, err)
	}
	if st, err := c.WaitConnected(ctx, connID, 5*time.Millisecond); err != nil || st != azure.ConnectionConnected {
		t.Fatalf("WaitConnected: %q %v", st, err)
	}
	if err := c.SetSharedKey(ctx, connID, "rotatedKey456"); err != nil {
		t.Fatal(err)
	}
	if k, err := c.SharedKey(ctx, connID); err != nil || k != "rotatedKey456" {
		t.Fatalf("shared key after rotation: %q %v", k, err)
	}
	for typ, want := range map[string]int{
		"Microsoft.Network/virtualNetworkGateways": 1, "Microsoft.Network/publicIPAddresses": 1,
		"Microsoft.Network/localNetworkGateways": 1, "Microsoft.Network/connections": 1,
	} {
		if got := count(t, sim, typ); got != want {
			t.Errorf("%s: %d resources, want %d", typ, got, want)
		}
	}

	// Teardown in dependency order; a second pass finds nothing and succeeds.
	for pass := 0; pass < 2; pass++ {
		for _, del := range []func() error{
			func() error { return c.DeleteConnection(ctx, connID) },
			func() error { return c.DeleteLocalGateway(ctx, lngID) },
			func() error { return c.DeleteGateway(ctx, gw.ID) },
			func() error { return c.DeletePublicIP(ctx, pipID) },
			func() error { return c.DeleteSubnet(ctx, subnetID) },
		} {
			if err := del(); err != nil {
				t.Fatalf("pass %d: %v", pass, err)
			}
		}
	}
	for _, typ := range []string{"Microsoft.Network/virtualNetworkGateways", "Microsoft.Network/publicIPAddresses", "Microsoft.Network/connections"} {
		if got := count(t, sim, typ); got != 0 {
			t.Errorf("%s left behind: %d", typ, got)
		}
	}
}

// An apply interrupted during the gateway wait must, on re-run, adopt the
// gateway still provisioning instead of creating a second one.
func TestInterruptedGatewayIsAdoptedNotDuplicated(t *testing.T) {
	sim, c, vnetID := env(t)
	ctx := context.Background()
	spec := gatewaySpec(t, c, vnetID, "i")
	short, cancel := context.WithCancel(ctx)
	// Interrupt the wait once ARM has the gateway (it is provisioning).
	go func() {
		for count(t, sim, "Microsoft.Network/virtualNetworkGateways") == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	_, err := c.EnsureGateway(short, spec, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted wait must end with the context's error, got %v", err)
	}
	gw, err := c.EnsureGateway(ctx, spec, nil)
	if err != nil || gw.ProvisioningState != azure.StateSucceeded {
		t.Fatalf("re-run: %+v %v", gw, err)
	}
	if gw.Link != "i" {
		t.Fatalf("the adopted gateway must carry the link's tag, got %q", gw.Link)
	}
	if n := count(t, sim, "Microsoft.Network/virtualNetworkGateways"); n != 1 {
		t.Fatalf("%d gateways after an interrupted and a resumed run, want 1", n)
	}
}

// A resource found under the name a link wants is adopted only when it
// carries both crosscloud tags naming that link: an untagged one, one whose
// link tag was copied without the managed-by tag, and another link's are
// all refused with an *ownership.Error that says whose it is.
func TestForeignResourceOfTheSameNameIsRefused(t *testing.T) {
	sim, c, _ := env(t)
	ctx := context.Background()
	f, err := armnetwork.NewClientFactory(sim.SubscriptionID(), sim.Credential(), sim.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	std, static := armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic
	for _, tc := range []struct {
		name, owner string
		tags        map[string]*string
	}{
		{"untagged", "", nil},
		{"copied-link-tag", "", map[string]*string{azure.TagLink: new("x")}},
		{"other-link", "y", azure.Tags("y")},
	} {
		pip := "x-" + tc.name + "-pip"
		p, err := f.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, rg, pip, armnetwork.PublicIPAddress{
			Location: new(loc), SKU: &armnetwork.PublicIPAddressSKU{Name: &std}, Tags: tc.tags,
			Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: &static}}, nil)
		if err == nil {
			_, err = p.PollUntilDone(ctx, simtest.PollOptions())
		}
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = c.EnsurePublicIP(ctx, azure.PublicIPSpec{ResourceGroup: rg, Name: pip, Location: loc, Link: "x"})
		var notOwned *ownership.Error
		if !errors.As(err, &notOwned) {
			t.Fatalf("%s: a public IP of the same name that is not link x's must be refused, got %v", tc.name, err)
		}
		if notOwned.Owner != tc.owner || notOwned.Name != pip {
			t.Errorf("%s: error names owner %q and name %q, want %q and %q (%v)", tc.name, notOwned.Owner, notOwned.Name, tc.owner, pip, err)
		}
	}
	// Its own, tagged by an earlier run, is adopted.
	if _, _, err := c.EnsurePublicIP(ctx, azure.PublicIPSpec{ResourceGroup: rg, Name: "x-other-link-pip", Location: loc, Link: "y"}); err != nil {
		t.Fatalf("link y must adopt its own public IP: %v", err)
	}
}

func TestMissingVNetNamesTheAttribute(t *testing.T) {
	_, c, vnetID := env(t)
	_, err := c.GetVNet(context.Background(), vnetID+"-nope")
	if err == nil || !contains(err.Error(), "azure.virtual_network_id") {
		t.Fatalf("want an error naming azure.virtual_network_id, got %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// zones3 are westeurope's zones: an AZ SKU gateway there needs a zoned IP.
var zones3 = []string{"1", "2", "3"}
