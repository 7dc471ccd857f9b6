package labsync

import (
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// HetznerView is what the plane reads from the Hetzner emulator
// (*hcloudsim.Server serves it): deep-copied snapshots, so the reconciler
// never holds the emulator's lock while it changes namespaces.
type HetznerView interface {
	Networks() []schema.Network
	Servers() []schema.Server
	UserData(serverID int64) (string, bool)
	FloatingIPs() []schema.FloatingIP
}

// AzureView is what the plane reads from the Azure emulator
// (*azuresim.Server serves it, snapshot.go), deep copies as well.
type AzureView interface {
	Resources() []simenv.Resource
	VirtualNetworks() []armnetwork.VirtualNetwork
	Gateway(id string) (armnetwork.VirtualNetworkGateway, bool)
	PublicIP(id string) (armnetwork.PublicIPAddress, bool)
	LocalNetworkGateway(id string) (armnetwork.LocalNetworkGateway, bool)
	Connections() []armnetwork.VirtualNetworkGatewayConnection
}
