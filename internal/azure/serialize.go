package azure

import (
	"context"
	"strings"
	"sync"
)

// A VPN gateway serializes writes to its connections: a second concurrent
// write is refused with AnotherOperationInProgress, synchronously (409,
// Azure/Azure-Landing-Zones#4134) or inside the operation (redrive). One
// provider process serves every resource of a Terraform run, so several
// links reusing one gateway take turns here instead of colliding there;
// writers outside this process still collide, and redrive's back-off
// handles those.
var gatewaySlots sync.Map // lower-case gateway ID -> chan struct{} (capacity 1)

// holdGateway waits for this process's turn to write a connection of the
// gateway, or for ctx to end; call the returned release when done.
func holdGateway(ctx context.Context, gatewayID string) (release func(), err error) {
	v, _ := gatewaySlots.LoadOrStore(strings.ToLower(gatewayID), make(chan struct{}, 1))
	slot := v.(chan struct{})
	select {
	case slot <- struct{}{}:
		return func() { <-slot }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// connectionGateway returns the gateway of an existing connection ("" when
// the connection is gone).
func (c *Client) connectionGateway(ctx context.Context, connID string) (string, error) {
	conn, err := c.GetConnection(ctx, connID)
	if conn == nil || err != nil {
		return "", err
	}
	return conn.GatewayID, nil
}
