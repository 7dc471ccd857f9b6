package azure

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// provisioningOf extracts provisioningState from the properties of the
// resource kinds a link manages.
func provisioningOf(props any) string {
	var st *armnetwork.ProvisioningState
	switch p := props.(type) {
	case *armnetwork.PublicIPAddressPropertiesFormat:
		if p != nil {
			st = p.ProvisioningState
		}
	case *armnetwork.VirtualNetworkGatewayPropertiesFormat:
		if p != nil {
			st = p.ProvisioningState
		}
	case *armnetwork.LocalNetworkGatewayPropertiesFormat:
		if p != nil {
			st = p.ProvisioningState
		}
	case *armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat:
		if p != nil {
			st = p.ProvisioningState
		}
	case *armnetwork.SubnetPropertiesFormat:
		if p != nil {
			st = p.ProvisioningState
		}
	}
	return string(deref(st))
}

// stateOf turns a GET into a provisioningState reader for waitProvisioned
// and waitGone: "" when the resource answers 404.
func stateOf[R any](get func() (R, error), props func(R) any) func() (string, error) {
	return func() (string, error) {
		r, err := get()
		if IsNotFound(err) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		return provisioningOf(props(r)), nil
	}
}

// groupState is stateOf for a resource directly in a resource group, read
// with its kind's Get (a subnet, whose Get also names the VNet, uses
// stateOf itself).
func groupState[R, O any](ctx context.Context, get func(context.Context, string, string, *O) (R, error), rg, name string, props func(R) any) func() (string, error) {
	return stateOf(func() (R, error) { return get(ctx, rg, name, nil) }, props)
}

// The provisioningState readers of the kinds a link creates in a resource
// group, for the waits of their writes and deletes (deleteInGroup).

func (c *Client) gatewayState(ctx context.Context, rg, name string) func() (string, error) {
	return groupState(ctx, c.gateways.Get, rg, name, func(r armnetwork.VirtualNetworkGatewaysClientGetResponse) any { return r.Properties })
}

func (c *Client) publicIPState(ctx context.Context, rg, name string) func() (string, error) {
	return groupState(ctx, c.publicIPs.Get, rg, name, func(r armnetwork.PublicIPAddressesClientGetResponse) any { return r.Properties })
}

func (c *Client) localGatewayState(ctx context.Context, rg, name string) func() (string, error) {
	return groupState(ctx, c.lngs.Get, rg, name, func(r armnetwork.LocalNetworkGatewaysClientGetResponse) any { return r.Properties })
}

func (c *Client) connectionState(ctx context.Context, rg, name string) func() (string, error) {
	return groupState(ctx, c.connections.Get, rg, name, func(r armnetwork.VirtualNetworkGatewayConnectionsClientGetResponse) any { return r.Properties })
}

// waitProvisioned polls a resource with GET until its provisioningState is
// terminal. It serves the cases the SDK poller cannot: adopting an
// operation that an earlier, interrupted run started (its operation URL is
// lost), and resources whose operation URL cannot be trusted or that keep
// reading Updating after their operation ended. GETs carry no Retry-After,
// so the client's frequency applies. Failed is a *provisioningFailed.
func (c *Client) waitProvisioned(ctx context.Context, what string, get func() (string, error)) error {
	every := c.pollInterval()
	for {
		st, err := get()
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		switch st {
		case StateSucceeded:
			return nil
		case StateFailed:
			return &provisioningFailed{what: what}
		case "":
			return fmt.Errorf("%s disappeared while waiting for it", what)
		}
		if err := sleep(ctx, every); err != nil {
			return fmt.Errorf("waiting for %s (still %s): %w", what, st, err)
		}
	}
}

// waitGone polls until state reports the resource gone (""); Failed (a
// delete that failed) is a *provisioningFailed.
func (c *Client) waitGone(ctx context.Context, what string, state func() (string, error)) error {
	for {
		st, err := state()
		switch {
		case err != nil:
			return fmt.Errorf("waiting for %s: %w", what, err)
		case st == "":
			return nil
		case st == StateFailed:
			return &provisioningFailed{what: what}
		}
		if err := sleep(ctx, c.pollInterval()); err != nil {
			return fmt.Errorf("waiting for %s (still %s): %w", what, st, err)
		}
	}
}

// provisioningFailed is a resource whose provisioningState ended Failed.
type provisioningFailed struct{ what string }

func (e *provisioningFailed) Error() string {
	return e.what + ": provisioning ended Failed; run apply again to retry, or inspect it in the Azure portal"
}
