package azuresim

import (
	"bytes"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

func zoned(p armnetwork.PublicIPAddress, zones ...string) armnetwork.PublicIPAddress {
	p.Zones = nil
	for _, z := range zones {
		p.Zones = append(p.Zones, new(z))
	}
	return p
}

func inRegion(p armnetwork.PublicIPAddress, loc string) armnetwork.PublicIPAddress {
	p.Location = new(loc)
	return p
}

func TestPublicIPZonesFollowTheRegion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	pips := f.net.NewPublicIPAddressesClient()
	std := pipBody(armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	for _, tt := range []struct {
		name, code string
		body       armnetwork.PublicIPAddress
	}{
		{"zoned IP in ukwest", "LocationNotSupportAvailabilityZones", inRegion(zoned(std, "1", "2", "3"), "ukwest")},
		{"zoned IP in West US", "LocationNotSupportAvailabilityZones", inRegion(zoned(std, "1"), "West US")},
		{"zone 4 in westeurope", "InvalidAvailabilityZone", zoned(std, "4")},
		{"unknown region", "LocationNotAvailableForResourceType", inRegion(zoned(std), "westeurop")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f.t = t
			f.refused(tt.code, func() error { _, err := pips.BeginCreateOrUpdate(ctx, "rg", "pip", tt.body, nil); return err })
		})
	}
	f.t = t
	for name, body := range map[string]armnetwork.PublicIPAddress{
		"zoneless-ukwest": inRegion(zoned(std), "ukwest"), "zoned-weu": zoned(std, "1", "2", "3"), "zonal-weu": zoned(std, "2"),
	} {
		p, err := pips.BeginCreateOrUpdate(ctx, "rg", name, body, nil)
		done(t, p, err)
	}
}

// In a zoned region an AZ SKU gateway needs zoned public IPs; in a region
// without zones it takes a zone-less one (and stays regional); a non-AZ SKU
// (only existing gateways have one) must not have zoned IPs.
func TestGatewayZoneRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	std := pipBody(armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	pips, gws := f.net.NewPublicIPAddressesClient(), f.net.NewVirtualNetworkGatewaysClient()
	pip := func(name string, body armnetwork.PublicIPAddress) string {
		p, err := pips.BeginCreateOrUpdate(ctx, "rg", name, body, nil)
		return *done(t, p, err).ID
	}
	weu := f.vnet("rg", "weu", "10.1.0.0/16", subnet("GatewaySubnet", "10.1.255.0/27"))
	ukwBody := vnetBody("10.2.0.0/16", subnet("GatewaySubnet", "10.2.255.0/27"))
	ukwBody.Location = new("ukwest")
	vp, err := f.net.NewVirtualNetworksClient().BeginCreateOrUpdate(ctx, "rg", "ukw", ukwBody, nil)
	ukw := done(t, vp, err)
	noZones := pip("weu-nozones", zoned(std))
	f.refused("VmssVpnGatewayPublicIpsMustHaveZonesConfigured", func() error {
		_, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", gatewayBody("VpnGw1AZ", *weu.ID+"/subnets/GatewaySubnet", noZones), nil)
		return err
	})
	regional := gatewayBody("VpnGw2AZ", *ukw.ID+"/subnets/GatewaySubnet", pip("ukw", inRegion(zoned(std), "ukwest")))
	regional.Location = new("ukwest")
	p, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw-ukw", regional, nil)
	done(t, p, err)

	// A VpnGw1 gateway from before 2025 (written into the state, as the API
	// no longer creates one) cannot be updated onto a zoned public IP.
	zonedID := pip("weu-zoned", zoned(std, "1", "2", "3"))
	p, err = gws.BeginCreateOrUpdate(ctx, "rg", "old", gatewayBody("VpnGw1AZ", *weu.ID+"/subnets/GatewaySubnet", zonedID), nil)
	done(t, p, err)
	b, err := f.srv.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.UnmarshalState(bytes.ReplaceAll(b, []byte(`"VpnGw1AZ"`), []byte(`"VpnGw1"`))); err != nil {
		t.Fatal(err)
	}
	f.refused("RegionalVmssVpnGatewayPublicIpsMustNotHaveZonesConfigured", func() error {
		_, err := gws.BeginCreateOrUpdate(ctx, "rg", "old", gatewayBody("VpnGw1", *weu.ID+"/subnets/GatewaySubnet", zonedID), nil)
		return err
	})
}

// ARM spells locations one way ("westeurope") whatever the request said,
// refuses unknown ones, and a gateway must be in its VNet's and its public
// IP's region.
func TestLocationsAreNormalizedAndRegional(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g, err := f.rgs.CreateOrUpdate(ctx, "rg", armresources.ResourceGroup{Location: new("West Europe")}, nil)
	if err != nil || deref(g.Location) != "westeurope" {
		t.Fatalf("group location %q (%v), want westeurope", deref(g.Location), err)
	}
	if _, err := f.rgs.CreateOrUpdate(ctx, "rg2", armresources.ResourceGroup{Location: new("Middle Earth")}, nil); armCode(t, err) != "LocationNotAvailableForResourceGroup" {
		t.Errorf("unknown group location: %v", err)
	}
	body := vnetBody("10.1.0.0/16", subnet("GatewaySubnet", "10.1.255.0/27"))
	body.Location = new("North Europe")
	vp, err := f.net.NewVirtualNetworksClient().BeginCreateOrUpdate(ctx, "rg", "vnet", body, nil)
	v := done(t, vp, err)
	if deref(v.Location) != "northeurope" {
		t.Errorf("VNet location %q, want northeurope", deref(v.Location))
	}
	weuPIP := f.pip("rg", "pip", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	gws := f.net.NewVirtualNetworkGatewaysClient()
	f.refused("InvalidResourceReference", func() error { // westeurope gateway, northeurope VNet
		_, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", gatewayBody("VpnGw1AZ", *v.ID+"/subnets/GatewaySubnet", *weuPIP.ID), nil)
		return err
	})
	neu := gatewayBody("VpnGw1AZ", *v.ID+"/subnets/GatewaySubnet", *weuPIP.ID)
	neu.Location = new("northeurope")
	f.refused("InvalidResourceReference", func() error { // northeurope gateway, westeurope public IP
		_, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", neu, nil)
		return err
	})
}

// The Microsoft.Network provider lists the regions of each resource type
// and, for public IPs, the zones of each region.
func TestProviderListsRegionsAndZones(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pc, err := armresources.NewProvidersClient(SubscriptionID, staticCred(testToken), f.clientOptions())
	if err != nil {
		t.Fatal(err)
	}
	got, err := pc.Get(ctx, "Microsoft.Network", nil)
	if err != nil {
		t.Fatal(err)
	}
	var pipType *armresources.ProviderResourceType
	for _, rt := range got.ResourceTypes {
		if deref(rt.ResourceType) == "publicIPAddresses" {
			pipType = rt
		}
	}
	if pipType == nil {
		t.Fatalf("no publicIPAddresses in %+v", got.ResourceTypes)
	}
	zonesOf := map[string][]string{}
	for _, zm := range pipType.ZoneMappings {
		zonesOf[deref(zm.Location)] = derefAll(zm.Zones)
	}
	if !slices.Equal(zonesOf["West Europe"], []string{"1", "2", "3"}) || zonesOf["UK West"] != nil || zonesOf["West US"] != nil {
		t.Errorf("zone mappings %v: want West Europe 1,2,3 and none for UK West / West US", zonesOf)
	}
	if !slices.ContainsFunc(pipType.Locations, func(l *string) bool { return deref(l) == "UK West" }) {
		t.Errorf("UK West is not among the public IP locations")
	}
}
