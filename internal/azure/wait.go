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
	}
	return string(deref(st))
}

// waitProvisioned polls a resource with GET until its provisioningState is
// terminal. It serves the one case the SDK poller cannot: adopting an
// operation that an earlier, interrupted run started, whose operation URL
// is lost. GETs carry no Retry-After, so the client's frequency applies.
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
			return fmt.Errorf("%s: provisioning ended %s; run apply again to retry, or inspect it in the Azure portal", what, st)
		case "":
			return fmt.Errorf("%s disappeared while waiting for it", what)
		}
		if err := sleep(ctx, every); err != nil {
			return fmt.Errorf("waiting for %s (still %s): %w", what, st, err)
		}
	}
}
