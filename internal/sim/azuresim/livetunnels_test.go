package azuresim

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// TestLiveTunnelsPerInstance: with a charon per instance the lab answers
// each tunnel itself, so the second instance's tunnel shows its own state
// and bytes; without per-instance answers only the first carries the lab's.
func TestLiveTunnelsPerInstance(t *testing.T) {
	conn := func() *armnetwork.VirtualNetworkGatewayConnection {
		return &armnetwork.VirtualNetworkGatewayConnection{Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			TunnelConnectionStatus: []*armnetwork.TunnelConnectionHealth{{Tunnel: new("a")}, {Tunnel: new("b")}}}}
	}
	tests := []struct {
		name   string
		st     simenv.ConnectionStatus
		want   [2]string
		wantIn [2]int64
	}{
		{"per instance", simenv.ConnectionStatus{Status: "Connected", IngressBytes: 30, Tunnels: []simenv.TunnelStatus{
			{Status: "NotConnected"}, {Status: "Connected", IngressBytes: 30}}},
			[2]string{"NotConnected", "Connected"}, [2]int64{0, 30}},
		{"one answer for the connection", simenv.ConnectionStatus{Status: "Connected", IngressBytes: 7},
			[2]string{"Connected", "NotConnected"}, [2]int64{7, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := conn()
			liveTunnels(c, tt.st)
			for i, tun := range c.Properties.TunnelConnectionStatus {
				if got := string(deref(tun.ConnectionStatus)); got != tt.want[i] {
					t.Errorf("tunnel %d status %q, want %q", i, got, tt.want[i])
				}
				if tun.IngressBytesTransferred != nil && *tun.IngressBytesTransferred != tt.wantIn[i] {
					t.Errorf("tunnel %d ingress %d, want %d", i, *tun.IngressBytesTransferred, tt.wantIn[i])
				}
			}
		})
	}
}
