package azure

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// ConnectionSpec describes the IPsec connection between the two gateways.
type ConnectionSpec struct {
	ResourceGroup, Name, Location, Link string
	GatewayID, LocalGatewayID           string
	SharedKey                           string
	Policy                              ipsec.Policy
	DPDTimeoutSeconds                   int32
	// Mode is the connectionMode (Default, ResponderOnly, InitiatorOnly);
	// "" is Default. It is set at creation: a different mode re-creates
	// the connection (azurerm marks connection_mode ForceNew).
	Mode string
}

// EnsureConnection creates or converges the connection: IKEv2 (immutable
// after creation, so never anything else), exactly one custom policy so the
// gateway offers and accepts only what the Hetzner side proposes, the shared
// key and the DPD timeout.
func (c *Client) EnsureConnection(ctx context.Context, s ConnectionSpec) (string, error) {
	got, err := c.connections.Get(ctx, s.ResourceGroup, s.Name, nil)
	if err == nil {
		if err := adopt("connection", s.Name, deref(got.ID), got.Tags, s.Link); err != nil {
			return "", err
		}
	}
	if err != nil && !IsNotFound(err) {
		return "", fmt.Errorf("reading connection %s: %w", s.Name, err)
	}
	if err == nil {
		if got, err = c.settledConnection(ctx, s, got); err != nil {
			return "", err
		}
	}
	if got.Properties != nil && !strings.EqualFold(modeOf(ConnectionSpec{Mode: string(deref(got.Properties.ConnectionMode))}), modeOf(s)) {
		// connectionMode is chosen at creation.
		if err := c.DeleteConnection(ctx, deref(got.ID)); err != nil {
			return "", fmt.Errorf("re-creating connection %s for connection mode %s: %w", s.Name, modeOf(s), err)
		}
		got = armnetwork.VirtualNetworkGatewayConnectionsClientGetResponse{}
	}
	if got.Properties != nil && connectionMatches(got.VirtualNetworkGatewayConnection, s) {
		// Nothing to change: a PUT would drop the tunnel for a few seconds
		// on real Azure. The key is converged separately (EnsureSharedKey).
		return deref(got.ID), nil
	}
	body := armnetwork.VirtualNetworkGatewayConnection{
		Location: &s.Location,
		Tags:     Tags(s.Link),
		Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType:         new(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec),
			ConnectionProtocol:     new(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2),
			ConnectionMode:         new(armnetwork.VirtualNetworkGatewayConnectionMode(modeOf(s))),
			VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: &s.GatewayID},
			LocalNetworkGateway2:   &armnetwork.LocalNetworkGateway{ID: &s.LocalGatewayID},
			SharedKey:              &s.SharedKey,
			DpdTimeoutSeconds:      &s.DPDTimeoutSeconds,
			IPSecPolicies:          []*armnetwork.IPSecPolicy{s.Policy.ToARM()},
			EnableBgp:              new(false),
		},
	}
	release, err := holdGateway(ctx, s.GatewayID)
	if err != nil {
		return "", fmt.Errorf("writing connection %s: waiting for the gateway's other connection writes: %w", s.Name, err)
	}
	defer release()
	res, err := putLRO(ctx, c, "writing connection "+s.Name,
		func() (*runtime.Poller[armnetwork.VirtualNetworkGatewayConnectionsClientCreateOrUpdateResponse], error) {
			return c.connections.BeginCreateOrUpdate(ctx, s.ResourceGroup, s.Name, body, nil)
		})
	if err != nil {
		return "", err
	}
	return deref(res.ID), nil
}

func modeOf(s ConnectionSpec) string {
	if s.Mode == "" {
		return string(armnetwork.VirtualNetworkGatewayConnectionModeDefault)
	}
	return s.Mode
}

// settledConnection waits while an existing connection is still Updating
// (a key change settles after its operation reported Succeeded) and returns
// it as it then is: comparing an Updating connection would send a
// content-identical PUT, and a write to it now would be refused.
func (c *Client) settledConnection(ctx context.Context, s ConnectionSpec, got armnetwork.VirtualNetworkGatewayConnectionsClientGetResponse) (armnetwork.VirtualNetworkGatewayConnectionsClientGetResponse, error) {
	if st := provisioningOf(got.Properties); st != StateUpdating && st != StateDeleting {
		return got, nil
	}
	err := c.waitProvisioned(ctx, "connection "+s.Name, c.connectionState(ctx, s.ResourceGroup, s.Name))
	var pf *provisioningFailed
	if err != nil && !errors.As(err, &pf) {
		return got, err
	}
	return c.connections.Get(ctx, s.ResourceGroup, s.Name, nil)
}

// SetSharedKey rotates the connection's key through the sharedkey endpoint,
// which (unlike a connection PUT) leaves the rest of the connection alone.
func (c *Client) SetSharedKey(ctx context.Context, connID, key string) error {
	rid, err := ParseID("connection", connID)
	if err != nil {
		return err
	}
	gw, err := c.connectionGateway(ctx, connID)
	if err != nil {
		return err
	}
	release, err := holdGateway(ctx, gw)
	if err != nil {
		return fmt.Errorf("setting the shared key of %s: waiting for the gateway's other connection writes: %w", connID, err)
	}
	defer release()
	_, err = putLRO(ctx, c, "setting the shared key of "+connID,
		func() (*runtime.Poller[armnetwork.VirtualNetworkGatewayConnectionsClientSetSharedKeyResponse], error) {
			return c.connections.BeginSetSharedKey(ctx, rid.ResourceGroupName, rid.Name, armnetwork.ConnectionSharedKey{Value: &key}, nil)
		})
	if err != nil {
		return err
	}
	// The operation reports Succeeded while the connection is still
	// Updating, applying the key (specs#26660, #14473); azurerm polls GET
	// until Succeeded after it (PR #23860). Until then the connection
	// refuses writes and its status predates the new key.
	return c.waitProvisioned(ctx, "the shared key of "+connID, c.connectionState(ctx, rid.ResourceGroupName, rid.Name))
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
	Mode                      string
	// Tunnels is the per-instance status of an active-active gateway's
	// connection (tunnelConnectionStatus); empty otherwise.
	Tunnels []Tunnel
}

// GetConnection reads a connection; (nil, nil) when it does not exist.
func (c *Client) GetConnection(ctx context.Context, id string) (*Connection, error) {
	got, found, err := read(ctx, "connection", id, c.connections.Get)
	if err != nil || !found {
		return nil, err
	}
	out := &Connection{ID: deref(got.ID)}
	p := got.Properties
	if p == nil {
		return out, nil
	}
	out.ProvisioningState = string(deref(p.ProvisioningState))
	out.Status = string(deref(p.ConnectionStatus))
	out.Mode = string(deref(p.ConnectionMode))
	out.Protocol = string(deref(p.ConnectionProtocol))
	out.IngressBytes = deref(p.IngressBytesTransferred)
	out.EgressBytes = deref(p.EgressBytesTransferred)
	out.DPDTimeoutSeconds = deref(p.DpdTimeoutSeconds)
	out.Tunnels = tunnelsOf(p)
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
		// Connected counts only from a connection that is not Updating:
		// while a key or policy change is applied, the status still
		// describes the tunnel from before it.
		if last == ConnectionConnected && conn.ProvisioningState == StateSucceeded {
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
	gw, err := c.connectionGateway(ctx, id)
	if gw == "" || err != nil {
		return err // gone already, or unreadable
	}
	release, err := holdGateway(ctx, gw)
	if err != nil {
		return fmt.Errorf("deleting connection %s: waiting for the gateway's other connection writes: %w", id, err)
	}
	defer release()
	return deleteInGroup(ctx, c, "connection", id, c.connections.BeginDelete, c.connectionState)
}
