package azure_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
)

// A run killed after it created the GatewaySubnet leaves no Terraform state
// behind; the re-run finds the subnet and must still know it is the link's,
// or destroy leaves it in the user's VNet. The VNet's tag carries that, and
// nobody else's subnet is ever claimed.
func TestGatewaySubnetOwnershipSurvivesALostRun(t *testing.T) {
	ctx := context.Background()
	sim, c, vnetID := env(t)
	pfx := netip.MustParsePrefix("10.1.255.0/27")

	// The user's own tags on the VNet must survive both tag writes.
	f, err := armnetwork.NewClientFactory(sim.SubscriptionID(), sim.Credential(), sim.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	env := "prod"
	if _, err := f.NewVirtualNetworksClient().UpdateTags(ctx, rg, "vnet", armnetwork.TagsObject{Tags: map[string]*string{"env": &env}}, nil); err != nil {
		t.Fatal(err)
	}

	id, owned, err := c.EnsureGatewaySubnet(ctx, vnetID, "l", pfx, nil)
	if err != nil || !owned {
		t.Fatalf("first EnsureGatewaySubnet: owned=%v err=%v", owned, err)
	}
	// The killed run's progress is gone; the re-run only has the cloud.
	again, owned, err := c.EnsureGatewaySubnet(ctx, vnetID, "l", pfx, nil)
	if err != nil || !owned || again != id {
		t.Fatalf("re-run of the same link must adopt the subnet as its own: owned=%v id=%s err=%v", owned, again, err)
	}
	if _, owned, err := c.EnsureGatewaySubnet(ctx, vnetID, "other", pfx, nil); err != nil || owned {
		t.Fatalf("another link must not own it: owned=%v err=%v", owned, err)
	}
	if err := c.DeleteGatewaySubnet(ctx, vnetID, "l"); err != nil {
		t.Fatal(err)
	}
	v, err := c.GetVNet(ctx, vnetID)
	if err != nil {
		t.Fatal(err)
	}
	if v.GatewaySubnetID != "" || v.GatewaySubnetOwner != "" {
		t.Errorf("after DeleteGatewaySubnet: subnet %q, owner tag %q; want both gone", v.GatewaySubnetID, v.GatewaySubnetOwner)
	}
	got, err := f.NewVirtualNetworksClient().Get(ctx, rg, "vnet", nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := got.Tags["env"]; e == nil || *e != "prod" {
		t.Errorf("the user's tag env=prod was lost: %v", got.Tags)
	}

	// A GatewaySubnet the user made is never the link's, tag or not.
	sim.CreateVNet(t, rg, "vnet", loc, []string{"10.1.0.0/16"}, map[string]string{"default": "10.1.1.0/24", azure.GatewaySubnetName: "10.1.254.0/27"})
	if _, owned, err := c.EnsureGatewaySubnet(ctx, vnetID, "l", pfx, nil); err != nil || owned {
		t.Fatalf("a user's GatewaySubnet: owned=%v err=%v; want not owned", owned, err)
	}
}
