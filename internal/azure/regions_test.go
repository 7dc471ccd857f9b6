package azure_test

import (
	"context"
	"slices"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
)

func TestNormalizeLocation(t *testing.T) {
	for in, want := range map[string]string{"West Europe": "westeurope", "westeurope": "westeurope", " UK West ": "ukwest", "EastUS2": "eastus2"} {
		if got := azure.NormalizeLocation(in); got != want {
			t.Errorf("NormalizeLocation(%q) = %q, want %q", in, got, want)
		}
	}
}

// The zones come from the subscription's Microsoft.Network provider.
func TestPublicIPZonesComeFromTheProvider(t *testing.T) {
	_, c, _ := env(t)
	ctx := context.Background()
	for loc, want := range map[string][]string{"westeurope": {"1", "2", "3"}, "West Europe": {"1", "2", "3"}, "ukwest": nil, "westus": nil} {
		got, err := c.PublicIPZones(ctx, loc)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("PublicIPZones(%q) = %v, %v; want %v", loc, got, err, want)
		}
	}
}

// Asked for zones where the region has none (a stale or unreadable
// listing), the adapter creates the regional address an AZ SKU uses there.
func TestZonedPublicIPFallsBackToRegional(t *testing.T) {
	sim, c, _ := env(t)
	ctx := context.Background()
	id, _, err := c.EnsurePublicIP(ctx, azure.PublicIPSpec{ResourceGroup: rg, Name: "z-vgw-pip", Location: "ukwest", Link: "z", Zones: []string{"1", "2", "3"}})
	if err != nil {
		t.Fatalf("EnsurePublicIP in ukwest with zones: %v", err)
	}
	if n := len(sim.Find(t, "azure", "Microsoft.Network/publicIPAddresses")); n != 1 || id == "" {
		t.Fatalf("%d public IPs (%s), want 1", n, id)
	}
}
