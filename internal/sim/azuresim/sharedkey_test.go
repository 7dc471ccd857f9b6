package azuresim

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// SetSharedKey's operation succeeds while the connection still reads
// Updating (and still reports the status from before the change); a write
// meanwhile is refused; then it settles. A connection PUT never changes the
// key of an existing connection.
func TestSharedKeyChangeSettlesAfterItsOperation(t *testing.T) {
	t.Parallel()
	f := newFixtureOpts(t, []Option{WithGatewayCreateDuration(time.Minute)}, func(e *simenv.Env) { e.Clock.Scale = 0.002 }) // settle 1 min -> 120 ms
	st := f.stack("rg", "VpnGw1AZ")
	f.connect(st, "conn", "First123")
	conns := f.net.NewVirtualNetworkGatewayConnectionsClient()
	p, err := conns.BeginSetSharedKey(ctx, "rg", "conn", armnetwork.ConnectionSharedKey{Value: new("Second456")}, nil)
	done(t, p, err)
	got, err := conns.Get(ctx, "rg", "conn", nil)
	if err != nil || *got.Properties.ProvisioningState != armnetwork.ProvisioningStateUpdating || *got.Properties.ConnectionStatus != "Connected" {
		t.Errorf("right after SetSharedKey: %v %s %s, want Updating with the old tunnel's Connected", err,
			*got.Properties.ProvisioningState, *got.Properties.ConnectionStatus)
	}
	if k, err := conns.GetSharedKey(ctx, "rg", "conn", nil); err != nil || *k.Value != "Second456" {
		t.Errorf("key after SetSharedKey: %v %v", k.Value, err)
	}
	body := connBody(st.gwID, st.lngID, "Third789")
	f.refused("AnotherOperationInProgress", func() error { _, err := conns.BeginCreateOrUpdate(ctx, "rg", "conn", body, nil); return err })
	f.eventually("connection Succeeded", func() bool {
		got, err := conns.Get(ctx, "rg", "conn", nil)
		return err == nil && *got.Properties.ProvisioningState == armnetwork.ProvisioningStateSucceeded
	})
	cp, err := conns.BeginCreateOrUpdate(ctx, "rg", "conn", body, nil)
	done(t, cp, err)
	if k, err := conns.GetSharedKey(ctx, "rg", "conn", nil); err != nil || *k.Value != "Second456" {
		t.Errorf("key after a PUT carrying another: %v %v, want the PUT to leave it", k.Value, err)
	}
}

// Writes to two connections of one gateway are serialized: a write soon
// after the sibling's is accepted and fails inside its operation
// (AnotherOperationInProgress), a later one is refused with 409.
func TestGatewaySerializesItsConnections(t *testing.T) {
	t.Parallel()
	f := newFixtureOpts(t, []Option{WithGatewayCreateDuration(time.Minute)}, func(e *simenv.Env) { e.Clock.Scale = 0.01 }) // race 100 ms, report 10 ms, create 1.2 s
	st := f.stack("rg", "VpnGw1AZ")
	lp, err := f.net.NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, "rg", "other", lngBody("203.0.113.11", "10.0.2.0/24"), nil)
	other := *done(t, lp, err).ID
	conns := f.net.NewVirtualNetworkGatewayConnectionsClient()
	if _, err := conns.BeginCreateOrUpdate(ctx, "rg", "a", connBody(st.gwID, st.lngID, "KeyA1"), nil); err != nil {
		t.Fatal(err)
	}
	p, err := conns.BeginCreateOrUpdate(ctx, "rg", "b", connBody(st.gwID, other, "KeyB1"), nil)
	if err != nil {
		t.Fatalf("a write right after the sibling's: %v, want it accepted", err)
	}
	if _, err := p.PollUntilDone(ctx, poll); armCode(t, err) != "AnotherOperationInProgress" {
		t.Errorf("its operation: %v, want Failed with AnotherOperationInProgress", err)
	}
	f.eventually("past the race window", func() bool {
		_, err := conns.BeginCreateOrUpdate(ctx, "rg", "b", connBody(st.gwID, other, "KeyB1"), nil)
		return err != nil && armCode(t, err) == "AnotherOperationInProgress" && status(t, err) == 409
	})
	f.eventually("sibling done, write accepted", func() bool {
		p, err := conns.BeginCreateOrUpdate(ctx, "rg", "b", connBody(st.gwID, other, "KeyB1"), nil)
		if err != nil {
			return false
		}
		_, err = p.PollUntilDone(ctx, poll)
		return err == nil
	})
}
