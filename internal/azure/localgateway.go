package azure

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// LocalGatewaySpec describes Azure's view of the Hetzner side.
type LocalGatewaySpec struct {
	ResourceGroup, Name, Location, Link string
	PeerIP                              netip.Addr
	Prefixes                            []netip.Prefix
}

// EnsureLocalGateway creates or converges the local network gateway (the
// Hetzner server's public IPv4 and the prefixes Azure routes to it). A PUT
// with the same body is harmless, so an existing one is simply re-put when
// it differs.
func (c *Client) EnsureLocalGateway(ctx context.Context, s LocalGatewaySpec) (string, error) {
	prefixes := make([]*string, 0, len(s.Prefixes))
	for _, p := range s.Prefixes {
		prefixes = append(prefixes, new(p.String()))
	}
	got, err := c.lngs.Get(ctx, s.ResourceGroup, s.Name, nil)
	switch {
	case err == nil:
		if err := adopt("local network gateway", s.Name, deref(got.ID), got.Tags, s.Link); err != nil {
			return "", err
		}
		cur := LocalGatewayOf(got.LocalNetworkGateway)
		if cur.ProvisioningState == StateSucceeded && cur.PeerIP == s.PeerIP && slices.Equal(cur.Prefixes, s.Prefixes) {
			return cur.ID, nil
		}
	case !IsNotFound(err):
		return "", fmt.Errorf("reading local network gateway %s: %w", s.Name, err)
	}
	body := armnetwork.LocalNetworkGateway{
		Location: &s.Location,
		Tags:     Tags(s.Link),
		Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{
			GatewayIPAddress:         new(s.PeerIP.String()),
			LocalNetworkAddressSpace: &armnetwork.AddressSpace{AddressPrefixes: prefixes},
		},
	}
	// The operation URL of an in-place update answers 404 although the
	// update is applied (hashicorp/go-azure-sdk#989, Azure/azure-cli#30169),
	// so the wait reads the resource's provisioningState, as azurerm's
	// custom local network gateway poller does.
	err = putPolled(ctx, c, "writing local network gateway "+s.Name,
		func() (*runtime.Poller[armnetwork.LocalNetworkGatewaysClientCreateOrUpdateResponse], error) {
			return c.lngs.BeginCreateOrUpdate(ctx, s.ResourceGroup, s.Name, body, nil)
		}, c.localGatewayState(ctx, s.ResourceGroup, s.Name))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/localNetworkGateways/%s", c.SubscriptionID, s.ResourceGroup, s.Name), nil
}

// LocalGateway is the observed state of a local network gateway.
type LocalGateway struct {
	ID, ProvisioningState string
	PeerIP                netip.Addr
	Prefixes              []netip.Prefix
}

// LocalGatewayOf converts the SDK model; unparsable values stay zero, which
// the caller sees as drift.
func LocalGatewayOf(g armnetwork.LocalNetworkGateway) *LocalGateway {
	out := &LocalGateway{ID: deref(g.ID)}
	if p := g.Properties; p != nil {
		out.ProvisioningState = string(deref(p.ProvisioningState))
		out.PeerIP, _ = netip.ParseAddr(deref(p.GatewayIPAddress))
		if p.LocalNetworkAddressSpace != nil {
			for _, s := range p.LocalNetworkAddressSpace.AddressPrefixes {
				if pfx, err := netip.ParsePrefix(deref(s)); err == nil {
					out.Prefixes = append(out.Prefixes, pfx)
				}
			}
		}
	}
	return out
}

// GetLocalGateway reads a local network gateway; (nil, nil) when gone.
func (c *Client) GetLocalGateway(ctx context.Context, id string) (*LocalGateway, error) {
	got, found, err := read(ctx, "local network gateway", id, c.lngs.Get)
	if err != nil || !found {
		return nil, err
	}
	return LocalGatewayOf(got.LocalNetworkGateway), nil
}

// DeleteLocalGateway removes a local network gateway; not found is success.
func (c *Client) DeleteLocalGateway(ctx context.Context, id string) error {
	return deleteInGroup(ctx, c, "local network gateway", id, c.lngs.BeginDelete, c.localGatewayState)
}
