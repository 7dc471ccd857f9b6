package azure

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"golang.org/x/sync/errgroup"
)

// An active-active gateway runs both of its instances, each on its own
// Standard static public IP, each with its own tunnel to the one local
// network gateway; both tunnels belong to the one connection. Static routing
// needs no BGP with a single peer device. Facts and sources:
// docs/facts/azure.md, "Active-active gateways".

// secondInstanceName names the second IP configuration; the first keeps
// "default", so turning active-active on or off leaves it alone.
const secondInstanceName = "activeActive"

// check refuses a spec the gateway PUT would fail on, before any call.
func (s GatewaySpec) check() error {
	switch {
	case !s.ActiveActive && s.SecondPublicIPID != "":
		return fmt.Errorf("virtual network gateway %s: a second public IP (%s) is only used by an active-active gateway; set ActiveActive or drop it", s.Name, s.SecondPublicIPID)
	case !s.ActiveActive:
		return nil
	case s.SecondPublicIPID == "":
		return fmt.Errorf("virtual network gateway %s: an active-active gateway needs a second public IP, one for each instance", s.Name)
	case strings.EqualFold(s.SecondPublicIPID, s.PublicIPID):
		return fmt.Errorf("virtual network gateway %s: both instances of an active-active gateway name public IP %s; each needs its own", s.Name, s.PublicIPID)
	case strings.EqualFold(s.SKU, "Basic"), strings.EqualFold(s.SKU, "Standard"):
		return fmt.Errorf("virtual network gateway %s: SKU %s cannot run active-active; use VpnGw1AZ or larger", s.Name, s.SKU)
	}
	return nil
}

// secondInstance is the IP configuration of the second instance.
func secondInstance(s GatewaySpec) *armnetwork.VirtualNetworkGatewayIPConfiguration {
	return &armnetwork.VirtualNetworkGatewayIPConfiguration{
		Name: new(secondInstanceName),
		Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
			PrivateIPAllocationMethod: new(armnetwork.IPAllocationMethodDynamic),
			Subnet:                    &armnetwork.SubResource{ID: &s.SubnetID},
			PublicIPAddress:           &armnetwork.SubResource{ID: &s.SecondPublicIPID},
		},
	}
}

// modeDiffers reports whether an existing gateway must be re-PUT to match
// the spec's mode: active-active on or off, or an active-active gateway on
// other public IPs. An active-standby spec against an active-standby
// gateway is never re-PUT (as before active-active existed).
func modeDiffers(g *Gateway, s GatewaySpec) bool {
	if g.ActiveActive != s.ActiveActive {
		return true
	}
	if !s.ActiveActive {
		return false
	}
	want := []string{strings.ToLower(s.PublicIPID), strings.ToLower(s.SecondPublicIPID)}
	got := make([]string, 0, len(g.PublicIPIDs))
	for _, id := range g.PublicIPIDs {
		got = append(got, strings.ToLower(id))
	}
	return !slices.Equal(got, want)
}

// PublicIP is one public IP resource and its address.
type PublicIP struct {
	ID   string
	Addr netip.Addr
}

// EnsurePublicIPs ensures several public IPs at once (an active-active
// gateway's two), in the order given; each is EnsurePublicIP. On an error
// the result still holds every IP that was ensured (the others have an
// empty ID), so the caller can record what exists.
func (c *Client) EnsurePublicIPs(ctx context.Context, specs ...PublicIPSpec) ([]PublicIP, error) {
	out := make([]PublicIP, len(specs))
	g, ctx := errgroup.WithContext(ctx)
	for i, s := range specs {
		g.Go(func() error {
			id, addr, err := c.EnsurePublicIP(ctx, s)
			out[i] = PublicIP{ID: id, Addr: addr}
			return err
		})
	}
	return out, g.Wait()
}

// GatewayPublicIPs reads the address of each of the gateway's public IPs in
// the order of its IP configurations: instance 0, then (active-active)
// instance 1.
func (c *Client) GatewayPublicIPs(ctx context.Context, g *Gateway) ([]netip.Addr, error) {
	out := make([]netip.Addr, len(g.PublicIPIDs))
	for i, id := range g.PublicIPIDs {
		addr, err := c.PublicIPAddress(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("virtual network gateway %s, instance %d: %w", g.ID, i, err)
		}
		out[i] = addr
	}
	return out, nil
}

// DeleteGatewayAndPublicIPs removes a gateway the link created and then its
// public IPs, so none is left behind even when the caller recorded only
// one of them: the gateway's own IP configurations name them all. A public
// IP learned from the gateway is deleted only if it carries the link's tag;
// the IDs in known (recorded when the link created them) are deleted as
// given. Not found is success throughout.
func (c *Client) DeleteGatewayAndPublicIPs(ctx context.Context, gatewayID, link string, known ...string) error {
	gw, err := c.GetGateway(ctx, gatewayID)
	if err != nil {
		return err
	}
	var learned []string
	if gw != nil {
		for _, id := range gw.PublicIPIDs {
			if !slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, id) }) {
				learned = append(learned, id)
			}
		}
	}
	if err := c.DeleteGateway(ctx, gatewayID); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, id := range known {
		if id != "" {
			g.Go(func() error { return c.DeletePublicIP(gctx, id) })
		}
	}
	for _, id := range learned {
		g.Go(func() error { return c.deleteOwnedPublicIP(gctx, id, link) })
	}
	return g.Wait()
}

// deleteOwnedPublicIP deletes a public IP if it carries the link's tag.
func (c *Client) deleteOwnedPublicIP(ctx context.Context, id, link string) error {
	got, found, err := read(ctx, "public IP", id, c.publicIPs.Get)
	switch {
	case err != nil || !found:
		return err
	case !ownedBy(got.Tags, link):
		return nil // someone else's address, only lent to the gateway
	}
	return c.DeletePublicIP(ctx, id)
}

// Tunnel is one entry of a connection's tunnelConnectionStatus: one per
// instance of an active-active gateway.
type Tunnel struct {
	// Name is Azure's tunnel name. Its format is not documented
	// (unverified); see TunnelTo.
	Name                      string
	Status                    string
	IngressBytes, EgressBytes int64
	// LastEstablished is lastConnectionEstablishedUtcTime as Azure spells it.
	LastEstablished string
}

func tunnelsOf(p *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat) []Tunnel {
	var out []Tunnel
	for _, t := range p.TunnelConnectionStatus {
		if t == nil {
			continue
		}
		out = append(out, Tunnel{Name: deref(t.Tunnel), Status: string(deref(t.ConnectionStatus)),
			IngressBytes: deref(t.IngressBytesTransferred), EgressBytes: deref(t.EgressBytesTransferred),
			LastEstablished: deref(t.LastConnectionEstablishedUTCTime)})
	}
	return out
}

// ErrNoTunnel says no tunnel name mentions the instance's address.
var ErrNoTunnel = errors.New("no tunnel of the connection names that gateway address")

// TunnelTo finds the tunnel of the gateway instance with public address
// addr, by looking for the address among the parts of the tunnel names
// (split at '_' and spaces). The name's format is unverified, so this
// is a best effort: ErrNoTunnel when no name mentions the address, and the
// caller falls back to the connection's overall status.
func (c *Connection) TunnelTo(addr netip.Addr) (Tunnel, error) {
	for _, t := range c.Tunnels {
		for _, part := range strings.FieldsFunc(t.Name, func(r rune) bool { return r == '_' || r == ' ' }) {
			if a, err := netip.ParseAddr(part); err == nil && a == addr {
				return t, nil
			}
		}
	}
	return Tunnel{}, fmt.Errorf("%w %s (tunnels: %d)", ErrNoTunnel, addr, len(c.Tunnels))
}
