package azuresim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// region is one public Azure region the emulator knows.
type region struct {
	name, display string
	// zoned: the region has availability zones "1", "2" and "3".
	zoned bool
}

// regions are the public Azure regions with their availability-zone support:
// MD articles/reliability/regions-list.md (2025-03-21) for the list and
// articles/reliability/availability-zones-overview.md (2026-02-11, the
// "Regions with availability zones" table) for the zones. North Central US
// is listed there with zones in preview; the emulator treats it as zoned.
// Programmatic names are the display names lower-cased without spaces.
var regions = []region{
	{"australiacentral", "Australia Central", false}, {"australiacentral2", "Australia Central 2", false},
	{"australiaeast", "Australia East", true}, {"australiasoutheast", "Australia Southeast", false},
	{"austriaeast", "Austria East", true}, {"belgiumcentral", "Belgium Central", true},
	{"brazilsouth", "Brazil South", true}, {"brazilsoutheast", "Brazil Southeast", false},
	{"canadacentral", "Canada Central", true}, {"canadaeast", "Canada East", false},
	{"centralindia", "Central India", true}, {"centralus", "Central US", true},
	{"chilecentral", "Chile Central", true}, {"denmarkeast", "Denmark East", true},
	{"eastasia", "East Asia", true}, {"eastus", "East US", true}, {"eastus2", "East US 2", true},
	{"francecentral", "France Central", true}, {"francesouth", "France South", false},
	{"germanynorth", "Germany North", false}, {"germanywestcentral", "Germany West Central", true},
	{"indiasouthcentral", "India South Central", true}, {"indonesiacentral", "Indonesia Central", true},
	{"israelcentral", "Israel Central", true}, {"italynorth", "Italy North", true},
	{"japaneast", "Japan East", true}, {"japanwest", "Japan West", true},
	{"koreacentral", "Korea Central", true}, {"koreasouth", "Korea South", false},
	{"malaysiawest", "Malaysia West", true}, {"mexicocentral", "Mexico Central", true},
	{"newzealandnorth", "New Zealand North", true}, {"northcentralus", "North Central US", true},
	{"northeurope", "North Europe", true}, {"norwayeast", "Norway East", true}, {"norwaywest", "Norway West", false},
	{"polandcentral", "Poland Central", true}, {"qatarcentral", "Qatar Central", true},
	{"southafricanorth", "South Africa North", true}, {"southafricawest", "South Africa West", false},
	{"southcentralus", "South Central US", true}, {"southindia", "South India", false},
	{"southeastasia", "Southeast Asia", true}, {"spaincentral", "Spain Central", true},
	{"swedencentral", "Sweden Central", true}, {"swedensouth", "Sweden South", false},
	{"switzerlandnorth", "Switzerland North", true}, {"switzerlandwest", "Switzerland West", false},
	{"uaecentral", "UAE Central", false}, {"uaenorth", "UAE North", true},
	{"uksouth", "UK South", true}, {"ukwest", "UK West", false},
	{"westcentralus", "West Central US", false}, {"westeurope", "West Europe", true},
	{"westindia", "West India", false}, {"westus", "West US", false},
	{"westus2", "West US 2", true}, {"westus3", "West US 3", true},
}

var zoneNames = []string{"1", "2", "3"}

// normalizeLocation is ARM's spelling of a location: "West Europe" and
// "westeurope" name the same region, and responses carry the latter
// (azurerm normalizes every location it reads for this reason:
// location.Normalize, commonschema.Location()).
func normalizeLocation(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }

func regionOf(location string) (region, bool) {
	n := normalizeLocation(location)
	i := slices.IndexFunc(regions, func(r region) bool { return r.name == n })
	if i < 0 {
		return region{}, false
	}
	return regions[i], true
}

func regionNames() string {
	names := make([]string, len(regions))
	for i, r := range regions {
		names[i] = r.name
	}
	return strings.Join(names, ",")
}

// checkLocation refuses a missing or unknown location and normalizes a
// known one in place. LocationNotAvailableForResourceType is a real code;
// the message follows ARM's wording as quoted in field reports.
func checkLocation(loc **string, armType string) *armError {
	if deref(*loc) == "" {
		return badRequest("LocationRequired", "The location property is required for this definition.")
	}
	r, ok := regionOf(**loc)
	if !ok {
		return badRequest("LocationNotAvailableForResourceType",
			"The provided location '%s' is not available for resource type '%s'. List of available regions for the resource type is '%s'.", **loc, armType, regionNames())
	}
	*loc = new(r.name)
	return nil
}

// checkZones applies the public IP zone rules: zones only where the region
// has them (LocationNotSupportAvailabilityZones, seen for VPN gateway IPs in
// ukwest in Azure/Azure-Landing-Zones#425 and Azure/ALZ-Bicep#981, westus in
// Azure/missionlz#280, switzerlandnorth before it had zones in
// Azure/terraform-azurerm-loadbalancer#38), and only zone names the region
// has (InvalidAvailabilityZone, azurerm#6296).
func checkZones(zones []*string, location, name string) *armError {
	if len(zones) == 0 {
		return nil
	}
	r, _ := regionOf(location)
	if !r.zoned {
		return badRequest("LocationNotSupportAvailabilityZones",
			"The resource 'Microsoft.Network/publicIPAddresses/%s' does not support availability zones at location '%s'.", name, r.name)
	}
	for _, z := range zones {
		if !slices.Contains(zoneNames, deref(z)) {
			return badRequest("InvalidAvailabilityZone",
				"The zone(s) '%s' for resource 'Microsoft.Network/publicIPAddresses/%s' is not supported. The supported zones for location '%s' are '%s'",
				deref(z), name, r.name, strings.Join(zoneNames, ","))
		}
	}
	return nil
}

// serveProvider answers GET /subscriptions/{sub}/providers/Microsoft.Network:
// the resource types with the regions they are offered in and, for public
// IPs, the zones of each region (zoneMappings), which is how a client learns
// where a zoned public IP can be created (armresources ProviderResourceType;
// Azure/PSRule.Rules.Azure checks public IP zones against these mappings).
func (s *Server) serveProvider(w http.ResponseWriter, r *http.Request, namespace string) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r)
		return
	}
	if !ieq(namespace, "Microsoft.Network") {
		writeError(w, &armError{Status: http.StatusNotFound, Code: "InvalidResourceNamespace",
			Message: fmt.Sprintf("The resource namespace '%s' is invalid. crosscloud-sim serves Microsoft.Network only.", namespace)})
		return
	}
	var locations []*string
	var zoned []*armresources.ZoneMapping
	for _, rg := range regions {
		locations = append(locations, new(rg.display))
		if rg.zoned {
			zoned = append(zoned, &armresources.ZoneMapping{Location: new(rg.display), Zones: []*string{new("1"), new("2"), new("3")}})
		}
	}
	var types []*armresources.ProviderResourceType
	for _, k := range kinds {
		t := &armresources.ProviderResourceType{ResourceType: new(k.seg()), Locations: locations}
		for _, v := range networkAPIVersions {
			t.APIVersions = append(t.APIVersions, new(v))
		}
		if k.seg() == "publicIPAddresses" {
			t.ZoneMappings = zoned
		}
		types = append(types, t)
	}
	writeJSON(w, http.StatusOK, armresources.Provider{
		ID: new("/subscriptions/" + s.sub + "/providers/Microsoft.Network"), Namespace: new("Microsoft.Network"),
		RegistrationState: new("Registered"), RegistrationPolicy: new("RegistrationRequired"), ResourceTypes: types,
	})
}
