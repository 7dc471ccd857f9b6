package harness

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sdkopts"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// The HA pair's addresses. The Hetzner probe sits on the gateway subnet's
// last address, the Azure one in the VNet's workload subnet.
const (
	haGatewaySubnet = "10.0.1.0/24"
	haAzureSubnet   = "10.1.1.0/24"
	haAzureSpace    = "10.1.0.0/16"
	haResourceGroup = "rg-ha"
	haLocation      = "westeurope"
	haSharedKey     = "crosscloudHAfailoverKey0123456789"
)

// haAgentEndpoint is the Hetzner API as the lab serves it inside every
// server's namespace (labsync.AgentEndpoint; the harness cannot import
// labsync, whose tests import the harness).
const haAgentEndpoint = "http://" + lab.APIAddr + sim.HCloudPrefix

// HAGateway is one server of the pair.
type HAGateway struct {
	Name     string
	ID       int64
	IP       netip.Addr // private IP on the Hetzner network
	Priority int
}

// HAPair is an active/standby pair of Hetzner gateway servers built the way
// crosscloud_ipsec_link's hetzner.high_availability builds it (keepalived
// and the failover script from the provider's cloud-init, one Floating IP
// Azure knows as its only peer, a route to Azure that follows the holder),
// with no Floating IP assignment or route made beforehand: the agents elect
// one and it claims both. It is made through the emulator's APIs only, so
// the lab test and `make bench` build the same pair.
type HAPair struct {
	sim        *Sim
	hc         *hcloud.Client
	Gateways   [2]HAGateway
	FloatingIP netip.Addr
	fipID      int64
	networkID  int64
	// Destination is the network route to Azure the holder owns.
	Destination netip.Prefix
}

// BuildHAPair creates the Azure side (VNet, VPN gateway, local network
// gateway for the Floating IP, IKEv2 connection) and the Hetzner side
// (network, Floating IP, two servers in different locations), waiting
// for each machine to run cloud-init (on a fresh machine the first wait
// includes building the lab's gateway image).
func BuildHAPair(ctx context.Context, s *Sim) (*HAPair, error) {
	p := &HAPair{sim: s, Destination: netip.MustParsePrefix(haAzureSpace)}
	p.hc = hcloud.NewClient(hcloud.WithEndpoint(s.Env["HCLOUD_ENDPOINT"]), hcloud.WithToken(s.Env["HCLOUD_TOKEN"]),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(50 * time.Millisecond)}))
	vnetID, err := SeedAzure(ctx, s, AzureSeed{ResourceGroup: haResourceGroup, Location: haLocation, VNet: "vnet",
		AddressSpace: []string{haAzureSpace}, Subnets: map[string]string{"vms": haAzureSubnet, "GatewaySubnet": "10.1.2.0/24"}})
	if err != nil {
		return nil, err
	}
	factory, err := armnetwork.NewClientFactory(s.Env["ARM_SUBSCRIPTION_ID"], sdkopts.NewStaticToken(s.Env["ARM_ACCESS_TOKEN"]), armOptions(s))
	if err != nil {
		return nil, err
	}
	gwID, azIP, err := createVPNGateway(ctx, factory, vnetID)
	if err != nil {
		return nil, err
	}
	network, err := p.createNetwork(ctx)
	if err != nil {
		return nil, err
	}
	if err := connectAzure(ctx, factory, gwID, p.FloatingIP); err != nil {
		return nil, err
	}
	for i := range p.Gateways {
		if err := p.createGateway(ctx, network, i, azIP); err != nil {
			return nil, err
		}
		// One after the other: the second boots as the standby of a settled
		// active gateway, which is where a failover starts from. (Booting
		// both at once makes both flap through MASTER while cloud-init
		// restarts keepalived; their overlapping route moves can then
		// leave the network without the route. That is a bug of the
		// failover script, not part of this measurement.)
		if err := p.waitBooted(ctx, p.Gateways[i].Name, 30*time.Minute); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// haPoll is azcore's floor outside tests; the emulator's scaled
// Retry-After, when shorter, still wins.
var haPoll = &runtime.PollUntilDoneOptions{Frequency: time.Second}

// createVPNGateway makes a zoned public IP and a VpnGw1AZ gateway on the
// VNet's GatewaySubnet, returning the gateway's ID and public address.
func createVPNGateway(ctx context.Context, f *armnetwork.ClientFactory, vnetID string) (string, netip.Addr, error) {
	pp, err := f.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, haResourceGroup, "vgw-pip", armnetwork.PublicIPAddress{
		Location:   new(haLocation),
		SKU:        &armnetwork.PublicIPAddressSKU{Name: new(armnetwork.PublicIPAddressSKUNameStandard)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: new(armnetwork.IPAllocationMethodStatic)},
		Zones:      to.SliceOfPtrs("1", "2", "3")}, nil) // an AZ SKU gateway in westeurope needs a zoned IP
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("gateway public IP: %w", err)
	}
	pip, err := pp.PollUntilDone(ctx, haPoll)
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("gateway public IP: %w", err)
	}
	gp, err := f.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, haResourceGroup, "vgw", armnetwork.VirtualNetworkGateway{
		Location: new(haLocation),
		Properties: &armnetwork.VirtualNetworkGatewayPropertiesFormat{
			GatewayType: new(armnetwork.VirtualNetworkGatewayTypeVPN), VPNType: new(armnetwork.VPNTypeRouteBased),
			SKU: &armnetwork.VirtualNetworkGatewaySKU{Name: new(armnetwork.VirtualNetworkGatewaySKUNameVPNGw1AZ)},
			IPConfigurations: []*armnetwork.VirtualNetworkGatewayIPConfiguration{{Name: new("default"),
				Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
					Subnet:          &armnetwork.SubResource{ID: new(vnetID + "/subnets/GatewaySubnet")},
					PublicIPAddress: &armnetwork.SubResource{ID: pip.ID}}}},
		}}, nil)
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("VPN gateway: %w", err)
	}
	gw, err := gp.PollUntilDone(ctx, haPoll)
	if err != nil {
		return "", netip.Addr{}, fmt.Errorf("VPN gateway: %w", err)
	}
	addr, err := netip.ParseAddr(*pip.Properties.IPAddress)
	return *gw.ID, addr, err
}

// connectAzure points the gateway at the Floating IP, the one peer Azure
// knows (static routing cannot take two devices announcing the same
// prefixes, docs/facts/hetzner.md).
func connectAzure(ctx context.Context, f *armnetwork.ClientFactory, gwID string, fip netip.Addr) error {
	lp, err := f.NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, haResourceGroup, "lng", armnetwork.LocalNetworkGateway{
		Location: new(haLocation),
		Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{GatewayIPAddress: new(fip.String()),
			LocalNetworkAddressSpace: &armnetwork.AddressSpace{AddressPrefixes: to.SliceOfPtrs(haGatewaySubnet)}}}, nil)
	if err != nil {
		return fmt.Errorf("local network gateway: %w", err)
	}
	lng, err := lp.PollUntilDone(ctx, haPoll)
	if err != nil {
		return fmt.Errorf("local network gateway: %w", err)
	}
	cp, err := f.NewVirtualNetworkGatewayConnectionsClient().BeginCreateOrUpdate(ctx, haResourceGroup, "conn", armnetwork.VirtualNetworkGatewayConnection{
		Location: new(haLocation),
		Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
			ConnectionType:         new(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec),
			ConnectionProtocol:     new(armnetwork.VirtualNetworkGatewayConnectionProtocolIKEv2),
			VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: new(gwID)},
			LocalNetworkGateway2:   &armnetwork.LocalNetworkGateway{ID: lng.ID},
			SharedKey:              new(haSharedKey), IPSecPolicies: []*armnetwork.IPSecPolicy{ipsec.DefaultPolicy().ToARM()},
			DpdTimeoutSeconds: new(int32(45))}}, nil)
	if err != nil {
		return fmt.Errorf("connection: %w", err)
	}
	if _, err := cp.PollUntilDone(ctx, haPoll); err != nil {
		return fmt.Errorf("connection: %w", err)
	}
	return nil
}

// createNetwork makes the network and the unassigned Floating IP.
func (p *HAPair) createNetwork(ctx context.Context) (*hcloud.Network, error) {
	_, rng, _ := net.ParseCIDR("10.0.0.0/12")
	_, sn, _ := net.ParseCIDR(haGatewaySubnet)
	network, _, err := p.hc.Network.Create(ctx, hcloud.NetworkCreateOpts{Name: "net", IPRange: rng,
		Subnets: []hcloud.NetworkSubnet{{Type: hcloud.NetworkSubnetTypeCloud, IPRange: sn, NetworkZone: hcloud.NetworkZoneEUCentral}}})
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	p.networkID = network.ID
	fres, _, err := p.hc.FloatingIP.Create(ctx, hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4,
		HomeLocation: &hcloud.Location{Name: "nbg1"}, Name: new("gw-vip")})
	if err != nil {
		return nil, fmt.Errorf("floating IP: %w", err)
	}
	p.fipID, p.FloatingIP = fres.FloatingIP.ID, netip.MustParseAddr(fres.FloatingIP.IP.String())
	a, b := netip.MustParseAddr("10.0.1.1"), netip.MustParseAddr("10.0.1.2")
	p.Gateways = [2]HAGateway{{Name: "gw-a", IP: a, Priority: 150}, {Name: "gw-b", IP: b, Priority: 100}}
	return network, nil
}

// createGateway makes server i of the pair (gw-a in nbg1, gw-b in fsn1)
// and attaches it at its fixed private IP.
func (p *HAPair) createGateway(ctx context.Context, network *hcloud.Network, i int, azIP netip.Addr) error {
	g, peer := &p.Gateways[i], p.Gateways[1-i].IP
	ud, err := p.userData(azIP, cloudinit.HA{PrivateIP: g.IP, PeerPrivateIP: peer, Priority: g.Priority,
		FloatingIP: p.FloatingIP, FloatingIPID: p.fipID, NetworkID: network.ID,
		RouteDestinations: []netip.Prefix{p.Destination},
		APIEndpoint:       haAgentEndpoint, APIToken: cloudinit.Token(p.sim.Env["HCLOUD_TOKEN"])})
	if err != nil {
		return err
	}
	res, _, err := p.hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: g.Name, ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: []string{"nbg1", "fsn1"}[i]}, UserData: ud})
	if err != nil {
		return fmt.Errorf("server %s: %w", g.Name, err)
	}
	if err := p.hc.Action.WaitFor(ctx, append(res.NextActions, res.Action)...); err != nil {
		return fmt.Errorf("server %s: %w", g.Name, err)
	}
	g.ID = res.Server.ID
	act, _, err := p.hc.Server.AttachToNetwork(ctx, res.Server, hcloud.ServerAttachToNetworkOpts{Network: network, IP: net.IP(g.IP.AsSlice())})
	if err != nil {
		return fmt.Errorf("attaching %s: %w", g.Name, err)
	}
	if err := p.hc.Action.WaitFor(ctx, act); err != nil {
		return fmt.Errorf("attaching %s: %w", g.Name, err)
	}
	return nil
}

// userData is one gateway's cloud-init as the provider renders it for an
// HA pair: the Floating IP is the local address and the IKE identity.
func (p *HAPair) userData(az netip.Addr, ha cloudinit.HA) (string, error) {
	pol := ipsec.DefaultPolicy()
	ike, err := pol.IKEProposal()
	if err != nil {
		return "", err
	}
	esp, err := pol.ESPProposal()
	if err != nil {
		return "", err
	}
	ud, err := cloudinit.Render(cloudinit.Gateway{ConnectionName: "link", LocalAddress: p.FloatingIP, RemoteAddress: az,
		LocalPrefixes: []netip.Prefix{netip.MustParsePrefix(haGatewaySubnet)}, RemotePrefixes: []netip.Prefix{p.Destination},
		IKEProposal: ike, ESPProposal: esp, SharedKey: haSharedKey, DPDDelay: 5 * time.Second, HA: &ha})
	return string(ud), err
}

// gatewayHost is the lab's entry for server name (its namespace is named
// after it, lab.AddServer).
func (p *HAPair) gatewayHost(ctx context.Context, name string) (lab.Host, bool, error) {
	hs, err := p.sim.LabHosts(ctx)
	if err != nil {
		return lab.Host{}, false, err
	}
	for _, h := range hs {
		if h.Cloud == "hcloud" && h.Role == "gateway" && len(h.Name) > len(name) && h.Name[len(h.Name)-len(name)-2:] == "h-"+name {
			return h, true, nil
		}
	}
	return lab.Host{}, false, nil
}

// waitBooted waits until server name's machine has finished cloud-init
// (done or not: what failed shows in the failover's journal).
func (p *HAPair) waitBooted(ctx context.Context, name string, limit time.Duration) error {
	return poll(ctx, limit, "the gateway "+name+" to finish cloud-init", func() (bool, error) {
		h, ok, err := p.gatewayHost(ctx, name)
		if err != nil || !ok {
			return false, err
		}
		return h.Booted(), nil
	})
}

// poll checks cond every 200 ms until it holds, fails, or limit passes.
func poll(ctx context.Context, limit time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", limit, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
