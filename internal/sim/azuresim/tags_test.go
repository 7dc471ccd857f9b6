package azuresim

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// UpdateTags on a VNet answers 200 at once with the new tags (the SDK
// accepts nothing else), replaces the whole set, keeps subnets and address
// space, is refused while a subnet operation runs, and 404s for a VNet
// that does not exist.
func TestVNetUpdateTags(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(e *simenv.Env) { e.Clock.Scale = 0.01 })
	f.group("rg")
	f.vnet("rg", "vnet", "10.1.0.0/16", subnet("vm", "10.1.1.0/24"))
	vnets := f.net.NewVirtualNetworksClient()
	a, b := "1", "2"
	if _, err := vnets.UpdateTags(ctx, "rg", "vnet", armnetwork.TagsObject{Tags: map[string]*string{"a": &a, "b": &b}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := vnets.UpdateTags(ctx, "rg", "vnet", armnetwork.TagsObject{Tags: map[string]*string{"b": &a}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tags) != 1 || got.Tags["b"] == nil || *got.Tags["b"] != "1" {
		t.Errorf("tags after the second PATCH = %v, want exactly b=1", got.Tags)
	}
	read, err := vnets.Get(ctx, "rg", "vnet", nil)
	if err != nil || len(read.Tags) != 1 || len(read.Properties.Subnets) != 1 || len(read.Properties.AddressSpace.AddressPrefixes) != 1 {
		t.Errorf("VNet after PATCH: %v tags %v subnets %d", err, read.Tags, len(read.Properties.Subnets))
	}

	p, err := f.net.NewSubnetsClient().BeginCreateOrUpdate(ctx, "rg", "vnet", "GatewaySubnet", *subnet("GatewaySubnet", "10.1.255.0/27"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vnets.UpdateTags(ctx, "rg", "vnet", armnetwork.TagsObject{}, nil); armCode(t, err) != "AnotherOperationInProgress" {
		t.Errorf("PATCH while a subnet is written: %v, want AnotherOperationInProgress", err)
	}
	done(t, p, nil)
	if _, err := vnets.UpdateTags(ctx, "rg", "nope", armnetwork.TagsObject{}, nil); status(t, err) != http.StatusNotFound {
		t.Errorf("PATCH of a missing VNet: %v, want 404", err)
	}
}
