package ipseclink

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
)

// publicIPZones decides the availability zones of a new gateway's public
// IP. An AZ gateway SKU needs a zoned IP where the region has zones
// (VmssVpnGatewayPublicIpsMustHaveZonesConfigured) and a zone-less one where
// it has none (a zoned IP there is refused with
// LocationNotSupportAvailabilityZones; the gateway stays regional). The
// subscription's Microsoft.Network provider says which; if it cannot be
// read, all three zones are asked for and EnsurePublicIP falls back to a
// regional address when ARM refuses them.
func publicIPZones(ctx context.Context, c clouds, s spec) []string {
	if !strings.HasSuffix(s.SKU, "AZ") {
		return nil
	}
	zones, err := c.az.PublicIPZones(ctx, s.AzureLocation)
	if err != nil {
		tflog.Warn(ctx, "cannot read the regions with availability zones; asking for zones 1-3", map[string]any{"error": err.Error()})
		return []string{"1", "2", "3"}
	}
	return zones
}

// reusableFor refuses a gateway this link cannot use: what checkReusable
// refuses for every link, and what depends on the link's own settings.
//
// An active-active gateway runs two instances, each with its own public IP,
// and each establishes a tunnel; Azure routes VNet-to-peer traffic through
// both at once ("the traffic from your Azure virtual network to your
// on-premises network will be routed through both tunnels simultaneously",
// MD articles/vpn-gateway/vpn-gateway-highlyavailable.md). A link builds
// one IKE connection to one address, so half the flows would leave through
// an instance without a tunnel: it is refused rather than built with one
// tunnel.
func reusableFor(s spec, id string, gw *azure.Gateway) error {
	if err := checkReusable(id, gw); err != nil {
		return err
	}
	const attr = "azure.virtual_network_gateway_id"
	if gw.ActiveActive {
		return fmt.Errorf("%s: gateway %s is active-active (public IPs %s): Azure sends traffic through a tunnel to each of its two instances, "+
			"and a link builds one tunnel; reuse an active-standby gateway, or leave virtual_network_gateway_id unset so the link creates one",
			attr, id, strings.Join(gw.PublicIPIDs, ", "))
	}
	if s.AzureLocation != "" && azure.NormalizeLocation(gw.Location) != azure.NormalizeLocation(s.AzureLocation) {
		return fmt.Errorf("%s: gateway %s is in %s, but azure.location is %q; the local network gateway and the connection live in the gateway's region: set location = %q",
			attr, id, gw.Location, s.AzureLocation, azure.NormalizeLocation(gw.Location))
	}
	return nil
}

// vnetRegionError says why azure.location must be the VNet's region: a VPN
// gateway lives in its VNet's region and its public IP in the gateway's;
// Azure refuses a cross-region reference (InvalidResourceReference "…make
// sure … that both resources are in the same region") only at the gateway
// PUT, after the public IP exists.
func vnetRegionError(s spec, vnet *azure.VNet) error {
	if s.AzureLocation == "" || vnet.Location == "" || azure.NormalizeLocation(s.AzureLocation) == azure.NormalizeLocation(vnet.Location) {
		return nil
	}
	return fmt.Errorf("azure.location: %q is not the region of virtual network %s (%s); the VPN gateway must be in its VNet's region: set location = %q",
		s.AzureLocation, vnet.Name, vnet.Location, azure.NormalizeLocation(vnet.Location))
}

// preflightAzure checks, with reads only and before anything is built, what
// planning could not check because a value was unknown then (a VNet or a
// reused gateway that another resource creates in the same apply).
func preflightAzure(ctx context.Context, c clouds, s spec) error {
	if s.VNetID != "" {
		vnet, err := c.az.GetVNet(ctx, s.VNetID)
		if err != nil {
			return err
		}
		if err := vnetRegionError(s, vnet); err != nil {
			return err
		}
	}
	if s.GatewayID != "" {
		gw, err := c.az.GetGateway(ctx, s.GatewayID)
		if err != nil {
			return err
		}
		return reusableFor(s, s.GatewayID, gw)
	}
	return nil
}
