package azure

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// NormalizeLocation is ARM's own spelling of a region: "West Europe" and
// "westeurope" are the same location, and ARM answers with the latter. A
// link compares and stores locations in this form so that neither a re-plan
// nor an import sees a difference in spelling as a new region (azurerm does
// the same: location.Normalize and commonschema.Location()).
func NormalizeLocation(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// PublicIPZones returns the availability zones a public IP can use in
// location, as this subscription's Microsoft.Network provider lists them
// (resourceTypes[publicIPAddresses].zoneMappings). It is empty in a region
// without zones (ukwest, westus, ...), where a zoned public IP is refused
// with LocationNotSupportAvailabilityZones. The answer comes from ARM rather
// than a table in the provider because zones are added to regions over
// time and can differ per subscription. An error means the provider could
// not be read (for example a role without subscription-level read).
func (c *Client) PublicIPZones(ctx context.Context, location string) ([]string, error) {
	c.zonesMu.Lock()
	defer c.zonesMu.Unlock()
	if c.zones == nil {
		resp, err := c.providers.Get(ctx, "Microsoft.Network", nil)
		if err != nil {
			return nil, fmt.Errorf("reading the Microsoft.Network resource provider (for the regions with availability zones): %w", err)
		}
		c.zones = map[string][]string{}
		for _, rt := range resp.ResourceTypes {
			if rt == nil || !strings.EqualFold(deref(rt.ResourceType), "publicIPAddresses") {
				continue
			}
			for _, zm := range rt.ZoneMappings {
				if zm == nil {
					continue
				}
				var zones []string
				for _, z := range zm.Zones {
					zones = append(zones, deref(z))
				}
				slices.Sort(zones)
				c.zones[NormalizeLocation(deref(zm.Location))] = zones
			}
		}
	}
	return slices.Clone(c.zones[NormalizeLocation(location)]), nil
}

// zonesRefused reports ARM's refusal of a zoned public IP in a region
// without availability zones (Azure/Azure-Landing-Zones#425: "does not
// support availability zones at location 'ukwest'").
func zonesRefused(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.ErrorCode == "LocationNotSupportAvailabilityZones"
}
