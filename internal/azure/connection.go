package azure

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
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
		prefixes = append(prefixes, ptr(p.String()))
	}
	got, err := c.lngs.Get(ctx, s.ResourceGroup, s.Name, nil)
	switch {
	case err == nil:
		if !ownedBy(got.Tags, s.Link) {
			return "", &NotOwnedError{Kind: "local network gateway", ID: deref(got.ID), Link: s.Link}
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
			GatewayIPAddress:         ptr(s.PeerIP.String()),
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

func (c *Client) localGatewayState(ctx context.Context, rg, name string) func() (string, error) {
	return stateOf(func() (armnetwork.LocalNetworkGatewaysClientGetResponse, error) {
		return c.lngs.Get(ctx, rg, name, nil)
	}, func(r armnetwork.LocalNetworkGatewaysClientGetResponse) any { return r.Properties })
}

func (c *Client) connectionState(ctx context.Context, rg, name string) func() (string, error) {
	return stateOf(func() (armnetwork.VirtualNetworkGatewayConnectionsClientGetResponse, error) {
		return c.connections.Get(ctx, rg, name, nil)
	}, func(r armnetwork.VirtualNetworkGatewayConnectionsClientGetResponse) any { return r.Properties })
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
	rid, err := ParseID("local network gateway", id)
	if err != nil {
		return nil, err
	}
	got, err := c.lngs.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading local network gateway %s: %w", id, err)
	}
	return LocalGatewayOf(got.LocalNetworkGateway), nil
}

// ConnectionSpec describes the IPsec connection between the two gateways.
type ConnectionSpec struct {
	ResourceGroup, Name, Location, Link string
	GatewayID, LocalGatewayID           string
	SharedKey                           string
	Policy                              ipsec.Policy
	DPDTimeoutSeconds                   int32
}

// EnsureConnection creates or converges the connection: IKEv2 (immutable
// after creation, so never anything else), exactly one custom policy so the
// gateway offers and accepts only what the Hetzner side proposes, the shared
// key and the DPD timeout.
func (c *Client) EnsureConnection(ctx context.Context, s ConnectionSpec) (string, error) {
	got, err := c.connections.Get(ctx, s.ResourceGroup, s.Name, nil)
	if err == nil && !ownedBy(got.Tags, s.Link) {
		return "", &NotOwnedError{Kind: "connection", ID: deref(got.ID), Link: s.Link}
	}
	if err != nil && !IsNotFound(err) {
		return "", fmt.Errorf("reading connection %s: %w", s.Name, err)
	}
	if err == nil && connectionMatches(got.VirtualNetworkGatewayConnection, s) {
		// Nothing to change: a PUT would drop the tunnel for a few seconds
		// on real Azure. The key is converged separately (EnsureSharedKey).
		return deref(got.ID), nil
	}
	body := armnetwork.VirtualNetworkGatewayConnection{
		Location: &s.Location,
		Tags:     Tags(s.Link),
		Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType:         ptr(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec),
			ConnectionProtocol:     ptr(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2),
			ConnectionMode:         ptr(armnetwork.VirtualNetworkGatewayConnectionModeDefault),
			VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: &s.GatewayID},
			LocalNetworkGateway2:   &armnetwork.LocalNetworkGateway{ID: &s.LocalGatewayID},
			SharedKey:              &s.SharedKey,
			DpdTimeoutSeconds:      &s.DPDTimeoutSeconds,
			IPSecPolicies:          []*armnetwork.IPSecPolicy{s.Policy.ToARM()},
			EnableBgp:              ptr(false),
		},
	}
	res, err := putLRO(ctx, c, "writing connection "+s.Name,
		func() (*runtime.Poller[armnetwork.VirtualNetworkGatewayConnectionsClientCreateOrUpdateResponse], error) {
			return c.connections.BeginCreateOrUpdate(ctx, s.ResourceGroup, s.Name, body, nil)
		})
	if err != nil {
		return "", err
	}
	return deref(res.ID), nil
}

// SetSharedKey rotates the connection's key through the sharedkey endpoint,
// which (unlike a connection PUT) leaves the rest of the connection alone.
func (c *Client) SetSharedKey(ctx context.Context, connID, key string) error {
	rid, err := ParseID("connection", connID)
	if err != nil {
		return err
	}
	_, err = putLRO(ctx, c, "setting the shared key of "+connID,
		func() (*runtime.Poller[armnetwork.VirtualNetworkGatewayConnectionsClientSetSharedKeyResponse], error) {
			return c.connections.BeginSetSharedKey(ctx, rid.ResourceGroupName, rid.Name, armnetwork.ConnectionSharedKey{Value: &key}, nil)
		})
	return err
}

// EnsureSharedKey sets the key only when it differs, so a refresh-and-apply
// with no change does not reset the tunnel.
func (c *Client) EnsureSharedKey(ctx context.Context, connID, key string) error {
	cur, err := c.SharedKey(ctx, connID)
	if err != nil || cur == key {
		return err
	}
	return c.SetSharedKey(ctx, connID, key)
}

// connectionMatches reports whether an existing connection already has
// everything the spec asks for (the key aside).
func connectionMatches(got armnetwork.VirtualNetworkGatewayConnection, s ConnectionSpec) bool {
	p := got.Properties
	if p == nil || string(deref(p.ProvisioningState)) != StateSucceeded || len(p.IPSecPolicies) != 1 ||
		p.VirtualNetworkGateway1 == nil || p.LocalNetworkGateway2 == nil {
		return false
	}
	pol, err := ipsec.FromARM(p.IPSecPolicies[0])
	return err == nil && pol == s.Policy && deref(p.DpdTimeoutSeconds) == s.DPDTimeoutSeconds &&
		strings.EqualFold(deref(p.VirtualNetworkGateway1.ID), s.GatewayID) &&
		strings.EqualFold(deref(p.LocalNetworkGateway2.ID), s.LocalGatewayID)
}

// SharedKey reads the connection's current key, to detect out-of-band rotation.
func (c *Client) SharedKey(ctx context.Context, connID string) (string, error) {
	rid, err := ParseID("connection", connID)
	if err != nil {
		return "", err
	}
	got, err := c.connections.GetSharedKey(ctx, rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		return "", fmt.Errorf("reading the shared key of %s: %w", connID, err)
	}
	return deref(got.Value), nil
}

// Connection is the observed state of a link's connection.
type Connection struct {
	ID, ProvisioningState, Status string
	Protocol                      string
	IngressBytes, EgressBytes     int64
	// Policy is nil when the connection has no custom policy (Azure's
	// defaults, DH group 2 only).
	Policy                    *ipsec.Policy
	DPDTimeoutSeconds         int32
	GatewayID, LocalGatewayID string
}

// GetConnection reads a connection; (nil, nil) when it does not exist.
func (c *Client) GetConnection(ctx context.Context, id string) (*Connection, error) {
	rid, err := ParseID("connection", id)
	if err != nil {
		return nil, err
	}
	got, err := c.connections.Get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading connection %s: %w", id, err)
	}
	out := &Connection{ID: deref(got.ID)}
	p := got.Properties
	if p == nil {
		return out, nil
	}
	out.ProvisioningState = string(deref(p.ProvisioningState))
	out.Status = string(deref(p.ConnectionStatus))
	out.Protocol = string(deref(p.ConnectionProtocol))
	out.IngressBytes = deref(p.IngressBytesTransferred)
	out.EgressBytes = deref(p.EgressBytesTransferred)
	out.DPDTimeoutSeconds = deref(p.DpdTimeoutSeconds)
	if p.VirtualNetworkGateway1 != nil {
		out.GatewayID = deref(p.VirtualNetworkGateway1.ID)
	}
	if p.LocalNetworkGateway2 != nil {
		out.LocalGatewayID = deref(p.LocalNetworkGateway2.ID)
	}
	if len(p.IPSecPolicies) > 0 {
		pol, err := ipsec.FromARM(p.IPSecPolicies[0])
		if err == nil {
			out.Policy = &pol
		}
	}
	return out, nil
}

// ConnectionConnected is the status a working tunnel reports.
const ConnectionConnected = "Connected"

// WaitConnected polls the connection until Azure reports Connected. It backs
// off from `every` to 30 s: the tunnel either comes up within a couple of
// IKE retransmits or something is wrong, and each poll costs a read.
func (c *Client) WaitConnected(ctx context.Context, id string, every time.Duration) (string, error) {
	if every <= 0 {
		every = c.PollFrequency
	}
	const ceiling = 30 * time.Second
	last := ""
	for {
		conn, err := c.GetConnection(ctx, id)
		if err != nil {
			return last, err
		}
		if conn == nil {
			return last, fmt.Errorf("connection %s disappeared while waiting for it to connect", id)
		}
		last = conn.Status
		if last == ConnectionConnected {
			return last, nil
		}
		if err := sleep(ctx, every); err != nil {
			return last, fmt.Errorf("connection %s is %q, not Connected: both sides must agree on one policy and key; check the gateway server's strongSwan log (journalctl -u strongswan): %w", id, last, err)
		}
		every = min(every*3/2, ceiling)
	}
}

// DeleteConnection removes a connection; not found is success.
func (c *Client) DeleteConnection(ctx context.Context, id string) error {
	rid, err := ParseID("connection", id)
	if err != nil {
		return err
	}
	return deleteLRO(ctx, c, "deleting connection "+id, func() (*runtime.Poller[armnetwork.VirtualNetworkGatewayConnectionsClientDeleteResponse], error) {
		return c.connections.BeginDelete(ctx, rid.ResourceGroupName, rid.Name, nil)
	}, c.connectionState(ctx, rid.ResourceGroupName, rid.Name))
}

// DeleteLocalGateway removes a local network gateway; not found is success.
func (c *Client) DeleteLocalGateway(ctx context.Context, id string) error {
	rid, err := ParseID("local network gateway", id)
	if err != nil {
		return err
	}
	return deleteLRO(ctx, c, "deleting local network gateway "+id, func() (*runtime.Poller[armnetwork.LocalNetworkGatewaysClientDeleteResponse], error) {
		return c.lngs.BeginDelete(ctx, rid.ResourceGroupName, rid.Name, nil)
	}, c.localGatewayState(ctx, rid.ResourceGroupName, rid.Name))
}
