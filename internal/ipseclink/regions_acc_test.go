package ipseclink_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// newSiteIn is newSite with the user's VNet in another region.
func newSiteIn(t *testing.T, location string) site {
	t.Helper()
	s := site{sim: newSite(t).sim}
	s.vnetID = s.sim.CreateVNet(t, "rg-net", "vnet-"+location, location, []string{"10.1.0.0/16"}, map[string]string{"vm": "10.1.1.0/24"})
	return s
}

// configAt is the original topology with azure.location set to location.
func (s site) configAt(location, extra string) string {
	return strings.Replace(s.config(extra), `location              = "westeurope"`, fmt.Sprintf("location              = %q", location), 1)
}

// zonesOf returns the zones of the link's gateway public IP.
func (s site) zonesOf(t *testing.T) []string {
	p, err := s.armFactory(t).NewPublicIPAddressesClient().Get(context.Background(), "rg-net", "hel1-weu-vgw-pip", nil)
	if err != nil {
		t.Fatalf("reading the gateway's public IP: %v", err)
	}
	var zones []string
	for _, z := range p.Zones {
		zones = append(zones, *z)
	}
	slices.Sort(zones)
	return zones
}

// In a region without availability zones the gateway's public IP has none
// (a zoned one is refused there), and the AZ SKU gateway stays regional.
func TestAccLinkInARegionWithoutZones(t *testing.T) {
	s := newSiteIn(t, "ukwest")
	s.run(t, []resource.TestStep{{
		Config:            s.configAt("ukwest", ""),
		ConfigStateChecks: healthy(),
		Check: func(*terraform.State) error {
			if z := s.zonesOf(t); len(z) != 0 {
				return fmt.Errorf("public IP in ukwest has zones %v, want none", z)
			}
			return nil
		},
	}})
}

// "West Europe" is westeurope: the link builds there with a zone-redundant
// public IP, re-spelling the location plans nothing, and neither does the
// plan after an import (which reads ARM's "westeurope").
func TestAccLinkLocationSpelling(t *testing.T) {
	s := newSite(t)
	s.run(t, []resource.TestStep{{
		Config:            s.configAt("West Europe", ""),
		ConfigStateChecks: healthy(),
		Check: func(*terraform.State) error {
			if z := s.zonesOf(t); !slices.Equal(z, []string{"1", "2", "3"}) {
				return fmt.Errorf("public IP in westeurope has zones %v, want 1, 2 and 3", z)
			}
			return nil
		},
	}, {
		Config:   s.configAt("westeurope", ""),
		PlanOnly: true,
	}, {
		Config:            s.configAt("West Europe", ""),
		ResourceName:      addr,
		ImportState:       true,
		ImportStateKind:   resource.ImportBlockWithID, // the plan with the import block must be a no-op
		ImportStateIdFunc: func(st *terraform.State) (string, error) { return st.RootModule().Resources[addr].Primary.ID, nil },
	}})
}

// refusedAtPlan runs config as a plan that must fail with want and change
// nothing in either cloud.
func refusedAtPlan(t *testing.T, s site, config string, want *regexp.Regexp) {
	t.Helper()
	before := s.sim.Stats(t).MutationsTotal
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps:                    []resource.TestStep{{Config: config, PlanOnly: true, ExpectError: want}},
	})
	if after := s.sim.Stats(t).MutationsTotal; after != before {
		t.Errorf("refused plan changed the clouds: %d API mutations, want 0", after-before)
	}
}

// A VNet in another region than azure.location is refused at plan, on the
// attribute, before anything is built.
func TestAccLinkRefusesVNetInAnotherRegion(t *testing.T) {
	s := newSite(t)
	refusedAtPlan(t, s, s.configAt("northeurope", ""), regexp.MustCompile(
		`(?s)Error: Location is not the VNet's region.*azure\.location: "northeurope" is not the region of\s+virtual\s+network\s+vnet\s+\(westeurope\).*location\s+=\s+"westeurope"`))
}

// A reused active-active gateway would get one tunnel for two instances: it
// is refused at plan with the reason.
func TestAccLinkRefusesActiveActiveGateway(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	f := s.armFactory(t)
	sp, err := f.NewSubnetsClient().BeginCreateOrUpdate(ctx, "rg-net", "vnet", "GatewaySubnet",
		armnetwork.Subnet{Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new("10.1.255.0/27")}}, nil)
	must(t, err)
	sn, err := sp.PollUntilDone(ctx, nil)
	must(t, err)
	var ipcs []*armnetwork.VirtualNetworkGatewayIPConfiguration
	for _, name := range []string{"aa-pip1", "aa-pip2"} {
		pp, err := f.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, "rg-net", name, armnetwork.PublicIPAddress{Location: new("westeurope"),
			SKU:        &armnetwork.PublicIPAddressSKU{Name: new(armnetwork.PublicIPAddressSKUNameStandard)},
			Zones:      []*string{new("1"), new("2"), new("3")},
			Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: new(armnetwork.IPAllocationMethodStatic)}}, nil)
		must(t, err)
		pip, err := pp.PollUntilDone(ctx, nil)
		must(t, err)
		ipcs = append(ipcs, &armnetwork.VirtualNetworkGatewayIPConfiguration{Name: new(name),
			Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
				Subnet: &armnetwork.SubResource{ID: sn.ID}, PublicIPAddress: &armnetwork.SubResource{ID: pip.ID}}})
	}
	gp, err := f.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, "rg-net", "aa-gw", armnetwork.VirtualNetworkGateway{Location: new("westeurope"),
		Properties: &armnetwork.VirtualNetworkGatewayPropertiesFormat{
			GatewayType: new(armnetwork.VirtualNetworkGatewayTypeVPN), VPNType: new(armnetwork.VPNTypeRouteBased), Active: new(true),
			SKU: &armnetwork.VirtualNetworkGatewaySKU{Name: new(armnetwork.VirtualNetworkGatewaySKUNameVPNGw2AZ)}, IPConfigurations: ipcs}}, nil)
	must(t, err)
	gw, err := gp.PollUntilDone(ctx, nil)
	must(t, err)
	config := strings.Replace(s.config(""), `gateway_subnet_prefix = "10.1.255.0/27"`, fmt.Sprintf("virtual_network_gateway_id = %q", *gw.ID), 1)
	refusedAtPlan(t, s, config, regexp.MustCompile(`(?s)Error: Gateway cannot be reused.*is\s+active-active.*a\s+link\s+builds\s+one\s+tunnel`))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A dual-stack VNet: the tunnel carries its IPv4 space only (the default
// remote_prefixes leave the IPv6 prefix out, with a warning at plan).
func TestAccLinkDualStackVNet(t *testing.T) {
	s := site{sim: newSite(t).sim}
	s.vnetID = s.sim.CreateVNet(t, "rg-net", "dual", "westeurope", []string{"10.1.0.0/16", "fd00:db8:1::/48"}, map[string]string{"vm": "10.1.1.0/24"})
	s.run(t, []resource.TestStep{{
		Config: s.config(""),
		ConfigStateChecks: append(healthy(), statecheck.ExpectKnownValue(addr, tfjsonpath.New("azure").AtMapKey("remote_prefixes"),
			knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.1.0.0/16")}))),
	}})
}
