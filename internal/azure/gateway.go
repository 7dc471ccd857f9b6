package azure

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Provisioning states ARM reports while and after an operation runs.
const (
	StateSucceeded = "Succeeded"
	StateFailed    = "Failed"
	StateUpdating  = "Updating"
	StateDeleting  = "Deleting"
)

// PublicIPSpec describes the gateway's public address.
type PublicIPSpec struct {
	ResourceGroup, Name, Location, Link string
	// Zones are the availability zones of a zone-redundant address (AZ
	// gateway SKUs in a region with zones); empty for a regional one.
	Zones []string
}

// EnsurePublicIP returns the Standard static public IP a VPN gateway needs
// (Basic and dynamic addresses are refused for new gateways since 2023-12),
// creating it when absent. A Standard address is assigned at creation, so
// the Hetzner firewall and cloud-init can use it long before the gateway
// exists.
func (c *Client) EnsurePublicIP(ctx context.Context, s PublicIPSpec) (id string, addr netip.Addr, err error) {
	got, err := c.publicIPs.Get(ctx, s.ResourceGroup, s.Name, nil)
	switch {
	case err == nil:
		if err := adopt("public IP", s.Name, deref(got.ID), got.Tags, s.Link); err != nil {
			return "", netip.Addr{}, err
		}
		if st := provisioningOf(got.Properties); st != StateFailed {
			if st != StateSucceeded {
				if got.PublicIPAddress, err = c.waitPublicIP(ctx, s); err != nil {
					return "", netip.Addr{}, err
				}
			}
			return publicIPResult(got.PublicIPAddress)
		}
	case !IsNotFound(err):
		return "", netip.Addr{}, fmt.Errorf("reading public IP %s: %w", s.Name, err)
	}
	body := armnetwork.PublicIPAddress{
		Location: &s.Location,
		Tags:     Tags(s.Link),
		SKU: &armnetwork.PublicIPAddressSKU{
			Name: new(armnetwork.PublicIPAddressSKUNameStandard),
			Tier: new(armnetwork.PublicIPAddressSKUTierRegional),
		},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{
			PublicIPAllocationMethod: new(armnetwork.IPAllocationMethodStatic),
			PublicIPAddressVersion:   new(armnetwork.IPVersionIPv4),
		},
	}
	for _, z := range s.Zones {
		body.Zones = append(body.Zones, new(z))
	}
	create := func() (*runtime.Poller[armnetwork.PublicIPAddressesClientCreateOrUpdateResponse], error) {
		return c.publicIPs.BeginCreateOrUpdate(ctx, s.ResourceGroup, s.Name, body, nil)
	}
	res, err := putLRO(ctx, c, "creating public IP "+s.Name, create)
	if err != nil && len(body.Zones) > 0 && zonesRefused(err) {
		// The zones came from a provider listing that was unreadable or
		// wrong for this subscription: a zone-less Standard IP is what an
		// AZ SKU gateway uses in a region without zones.
		body.Zones = nil
		res, err = putLRO(ctx, c, "creating public IP "+s.Name+" without zones", create)
	}
	if err != nil {
		return "", netip.Addr{}, err
	}
	return publicIPResult(res.PublicIPAddress)
}

func (c *Client) waitPublicIP(ctx context.Context, s PublicIPSpec) (armnetwork.PublicIPAddress, error) {
	var last armnetwork.PublicIPAddress
	err := c.waitProvisioned(ctx, "public IP "+s.Name, func() (string, error) {
		got, err := c.publicIPs.Get(ctx, s.ResourceGroup, s.Name, nil)
		last = got.PublicIPAddress
		return provisioningOf(got.Properties), err
	})
	return last, err
}

func publicIPResult(p armnetwork.PublicIPAddress) (string, netip.Addr, error) {
	var s string
	if p.Properties != nil {
		s = deref(p.Properties.IPAddress)
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("public IP %s has no usable address yet (%q)", deref(p.ID), s)
	}
	return deref(p.ID), addr, nil
}

// PublicIPAddress reads the address of a public IP resource.
func (c *Client) PublicIPAddress(ctx context.Context, id string) (netip.Addr, error) {
	rid, err := ParseID("public IP", id)
	if err != nil {
		return netip.Addr{}, err
	}
	got, err := c.publicIPs.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("reading public IP %s: %w", id, err)
	}
	_, addr, err := publicIPResult(got.PublicIPAddress)
	return addr, err
}

// GatewaySpec describes the route-based VPN gateway of a link.
type GatewaySpec struct {
	ResourceGroup, Name, Location, Link string
	SKU                                 string
	SubnetID, PublicIPID                string
	// ActiveActive runs both gateway instances, the second on
	// SecondPublicIPID (required then, and only then): each builds its own
	// tunnel to the one local network gateway (activeactive.go).
	ActiveActive     bool
	SecondPublicIPID string
}

// Gateway is what a link needs to know about a VPN gateway.
type Gateway struct {
	ID, ProvisioningState, SKU, VPNType, GatewayType string
	Location, SubnetID                               string
	PublicIPIDs                                      []string
	// ActiveActive: two instances, each with its own public IP, both
	// carrying traffic.
	ActiveActive bool
	// Link is the link that created it (ownership.Marks.Owner): empty
	// unless the gateway carries both of crosscloud's ownership tags.
	Link string
}

// generation picks the gateway generation a SKU supports: VpnGw1 only
// exists as Generation1, VpnGw4/5 only as Generation2.
func generation(sku string) armnetwork.VPNGatewayGeneration {
	if strings.HasPrefix(sku, "VpnGw1") {
		return armnetwork.VPNGatewayGenerationGeneration1
	}
	return armnetwork.VPNGatewayGenerationGeneration2
}

// EnsureGateway creates the VPN gateway (30-45 minutes in real Azure) or
// adopts the one a previous, interrupted run started. onAccepted is called
// with the gateway ID before the PUT is sent (the ID follows from the name),
// so the caller records it even if the request or the long wait is cut off:
// a timed-out apply must never lead to a second, untracked gateway.
func (c *Client) EnsureGateway(ctx context.Context, s GatewaySpec, onAccepted func(id string)) (*Gateway, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	id := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworkGateways/%s", c.SubscriptionID, s.ResourceGroup, s.Name)
	got, err := c.gateways.Get(ctx, s.ResourceGroup, s.Name, nil)
	switch {
	case err == nil:
		if err := adopt("virtual network gateway", s.Name, deref(got.ID), got.Tags, s.Link); err != nil {
			return nil, err
		}
		if onAccepted != nil {
			onAccepted(deref(got.ID))
		}
		var cur *Gateway
		switch provisioningOf(got.Properties) {
		case StateSucceeded:
			cur = gatewayOf(got.VirtualNetworkGateway)
		case StateFailed:
			// fall through to a re-PUT below
		default:
			if err := c.waitProvisioned(ctx, "virtual network gateway "+s.Name, func() (string, error) {
				g, err := c.GetGateway(ctx, id)
				if g == nil {
					return "", err
				}
				return g.ProvisioningState, err
			}); err != nil {
				return nil, err
			}
			if cur, err = c.GetGateway(ctx, id); cur == nil || err != nil {
				return cur, err
			}
		}
		if cur != nil && !modeDiffers(cur, s) {
			return cur, nil
		}
		// A gateway in the other mode changes in place (one PUT, 30-45
		// minutes in real Azure), keeping its first public IP.
	case !IsNotFound(err):
		return nil, fmt.Errorf("reading virtual network gateway %s: %w", s.Name, err)
	}
	body := armnetwork.VirtualNetworkGateway{
		Location: &s.Location,
		Tags:     Tags(s.Link),
		Properties: &armnetwork.VirtualNetworkGatewayPropertiesFormat{
			GatewayType:          new(armnetwork.VirtualNetworkGatewayTypeVPN),
			VPNType:              new(armnetwork.VPNTypeRouteBased),
			VPNGatewayGeneration: new(generation(s.SKU)),
			SKU: &armnetwork.VirtualNetworkGatewaySKU{
				Name: new(armnetwork.VirtualNetworkGatewaySKUName(s.SKU)),
				Tier: new(armnetwork.VirtualNetworkGatewaySKUTier(s.SKU)),
			},
			Active:    new(s.ActiveActive),
			EnableBgp: new(false),
			IPConfigurations: []*armnetwork.VirtualNetworkGatewayIPConfiguration{{
				Name: new("default"),
				Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
					PrivateIPAllocationMethod: new(armnetwork.IPAllocationMethodDynamic),
					Subnet:                    &armnetwork.SubResource{ID: &s.SubnetID},
					PublicIPAddress:           &armnetwork.SubResource{ID: &s.PublicIPID},
				},
			}},
		},
	}
	if s.ActiveActive {
		body.Properties.IPConfigurations = append(body.Properties.IPConfigurations, secondInstance(s))
	}
	if onAccepted != nil {
		onAccepted(id)
	}
	res, err := putLRO(ctx, c, "creating virtual network gateway "+s.Name,
		func() (*runtime.Poller[armnetwork.VirtualNetworkGatewaysClientCreateOrUpdateResponse], error) {
			return c.gateways.BeginCreateOrUpdate(ctx, s.ResourceGroup, s.Name, body, nil)
		})
	if err != nil {
		return nil, err
	}
	return gatewayOf(res.VirtualNetworkGateway), nil
}

// GetGateway reads a gateway; (nil, nil) when it does not exist.
func (c *Client) GetGateway(ctx context.Context, id string) (*Gateway, error) {
	got, found, err := read(ctx, "virtual network gateway", id, c.gateways.Get)
	if err != nil || !found {
		return nil, err
	}
	return gatewayOf(got.VirtualNetworkGateway), nil
}

func gatewayOf(g armnetwork.VirtualNetworkGateway) *Gateway {
	out := &Gateway{ID: deref(g.ID), Location: deref(g.Location)}
	out.Link = marks(g.Tags).Owner()
	p := g.Properties
	if p == nil {
		return out
	}
	out.ProvisioningState = string(deref(p.ProvisioningState))
	out.ActiveActive = deref(p.Active)
	out.VPNType = string(deref(p.VPNType))
	out.GatewayType = string(deref(p.GatewayType))
	if p.SKU != nil {
		out.SKU = string(deref(p.SKU.Name))
	}
	for _, ipc := range p.IPConfigurations {
		if ipc == nil || ipc.Properties == nil {
			continue
		}
		if ipc.Properties.PublicIPAddress != nil {
			out.PublicIPIDs = append(out.PublicIPIDs, deref(ipc.Properties.PublicIPAddress.ID))
		}
		if ipc.Properties.Subnet != nil && out.SubnetID == "" {
			out.SubnetID = deref(ipc.Properties.Subnet.ID)
		}
	}
	return out
}

// DeleteGateway removes a gateway the link created; not found is success.
func (c *Client) DeleteGateway(ctx context.Context, id string) error {
	return deleteInGroup(ctx, c, "virtual network gateway", id, c.gateways.BeginDelete, c.gatewayState)
}

// DeletePublicIP removes a public IP the link created; not found is success.
func (c *Client) DeletePublicIP(ctx context.Context, id string) error {
	return deleteInGroup(ctx, c, "public IP", id, c.publicIPs.BeginDelete, c.publicIPState)
}
