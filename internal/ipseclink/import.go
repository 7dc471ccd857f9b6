package ipseclink

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

// discover rebuilds a link's state from the two IDs of its import ID: the
// connection leads to the gateways and the link name, the name to the
// Hetzner server and firewall, and the server's address to the routes.
// What cannot be observed (SSH keys baked into the server) takes the safe
// value: no keys. A GatewaySubnet is the link's to delete when its VNet's
// ownership tag names the link (azure.TagGatewaySubnet), a subnet in
// someone else's Hetzner network when the network's label does
// (hetzner.SubnetLabel).
func discover(ctx context.Context, c clouds, m *model) error {
	connID := m.AzureConnectionID.ValueString()
	rid, err := azure.ParseID("import ID", connID)
	if err != nil {
		return err
	}
	name, ok := linkNameFromConnection(rid.Name)
	if !ok {
		return fmt.Errorf("connection %s is not named <link>%s: it was not created by crosscloud_ipsec_link", connID, connSuffix)
	}
	conn, err := c.az.GetConnection(ctx, connID)
	if err != nil {
		return err
	}
	if conn == nil || conn.Policy == nil {
		return fmt.Errorf("connection %s does not exist or has no custom IPsec policy", connID)
	}
	gw, err := c.az.GetGateway(ctx, conn.GatewayID)
	switch {
	case err != nil:
		return fmt.Errorf("reading the connection's gateway %s: %w", conn.GatewayID, err)
	case gw == nil:
		return fmt.Errorf("the connection's gateway %s does not exist", conn.GatewayID)
	case len(gw.PublicIPIDs) == 0:
		return fmt.Errorf("the connection's gateway %s has no public IP", conn.GatewayID)
	}
	gwAddr, err := c.az.PublicIPAddress(ctx, gw.PublicIPIDs[0])
	if err != nil {
		return err
	}
	lng, err := c.az.GetLocalGateway(ctx, conn.LocalGatewayID)
	if err != nil {
		return fmt.Errorf("reading the connection's local network gateway %s: %w", conn.LocalGatewayID, err)
	}
	if lng == nil {
		return fmt.Errorf("the connection's local network gateway %s does not exist", conn.LocalGatewayID)
	}
	vnetID, _, _ := strings.Cut(gw.SubnetID, "/subnets/")
	vnet, err := c.az.GetVNet(ctx, vnetID)
	if err != nil {
		return err
	}
	key, err := c.az.SharedKey(ctx, connID)
	if err != nil {
		return err
	}

	netID := m.HetznerNetworkID.ValueInt64()
	n, err := hetzner.GetNetwork(ctx, c.hc, netID)
	if err != nil {
		return fmt.Errorf("reading Hetzner network %d: %w", netID, err)
	}
	if n == nil {
		return fmt.Errorf("Hetzner network %d does not exist", netID)
	}
	srv, err := hetzner.ServerByName(ctx, c.hc, serverName(name))
	if err != nil {
		return fmt.Errorf("finding the gateway server %s: %w", serverName(name), err)
	}
	if srv == nil {
		return fmt.Errorf("the gateway server %s does not exist", serverName(name))
	}
	fw, err := hetzner.FirewallByName(ctx, c.hc, firewallName(name))
	if err != nil {
		return fmt.Errorf("finding the gateway firewall %s: %w", firewallName(name), err)
	}
	if fw == nil {
		return fmt.Errorf("the gateway firewall %s does not exist", firewallName(name))
	}
	privIP := serverPrivateIP(srv, n.ID)
	rng, _, routes := hetzner.NetworkFacts(n)
	var subnet netip.Prefix
	zone := "eu-central"
	for _, sn := range n.Subnets {
		if p, ok := prefixOfNet(sn.IPRange); ok && p.Contains(privIP) {
			subnet, zone = p, string(sn.NetworkZone)
		}
	}
	var remote []string
	for _, r := range routes {
		if r.Gateway == privIP {
			remote = append(remote, r.Destination.String())
		}
	}
	ownNet := hetzner.Owned(hetzner.Labels(name), n.Labels)
	o := owned{Network: ownNet, Gateway: gw.Link == name, GatewaySubnet: vnet.GatewaySubnetOwner == name,
		// In its own network the link made the gateway subnet too.
		Subnet: ownNet || (subnet.IsValid() && n.Labels[hetzner.SubnetLabel(subnet)] == name)}
	m.CreatedResources = o.list()

	h := hetznerModel{
		NetworkID: types.Int64Value(n.ID), NetworkIPRange: types.StringNull(),
		NetworkZone: types.StringValue(zone), GatewaySubnet: types.StringValue(subnet.String()),
		GatewayIP: types.StringValue(privIP.String()), Location: types.StringValue(serverLocation(srv)),
		ServerType: types.StringValue(srv.ServerType.Name), Image: types.StringValue(serverImage(srv)),
		SSHKeyIDs:       types.ListValueMust(types.Int64Type, []attr.Value{}),
		SSHAllowedCIDRs: listOfStrings(sshSources(fw)),
		LocalPrefixes:   listOfStrings(prefixStrings(lng.Prefixes)),
		// Import adopts a one-server link: the HA pair's token is
		// write-only and cannot be read back, so the configuration
		// brings high_availability and the next plan shows it.
		HighAvailability: types.ObjectNull(haAttrTypes()),
	}
	if ownNet {
		h.NetworkID, h.NetworkIPRange = types.Int64Null(), types.StringValue(rng.String())
	}
	a := azureModel{
		ResourceGroupName: types.StringValue(rid.ResourceGroupName), Location: types.StringValue(gw.Location),
		VirtualNetworkID: types.StringValue(vnet.ID), GatewaySubnetPrefix: types.StringNull(),
		GatewaySKU: types.StringValue(gw.SKU), VirtualNetworkGatewayID: types.StringNull(),
		RemotePrefixes: listOfStrings(remote), ConnectionMode: types.StringValue(connectionModeOf(conn)),
	}
	if gs, ok := vnet.Subnets[azure.GatewaySubnetName]; ok {
		a.GatewaySubnetPrefix = types.StringValue(gs.String())
	}
	if !o.Gateway {
		a.VirtualNetworkGatewayID = types.StringValue(gw.ID)
	}
	m.Name = types.StringValue(name)
	m.Hetzner = types.ObjectNull(hetznerAttrTypes())
	m.Azure = types.ObjectNull(azureAttrTypes())
	m.IPsecPolicy = policyattr.ObjectOf(*conn.Policy)
	m.AllowWeakCrypto = types.BoolValue(len(conn.Policy.Validate(false)) > 0 && len(conn.Policy.Validate(true)) == 0)
	m.DPDTimeoutSeconds = types.Int64Value(int64(conn.DPDTimeoutSeconds))
	m.SharedKey = types.StringValue(key)
	m.WaitForConnected = types.BoolValue(true)
	m.Timeouts = timeoutsNull()
	m.HetznerServerID, m.HetznerFirewallID = types.Int64Value(srv.ID), types.Int64Value(fw.ID)
	m.HetznerPrimaryIPID = types.Int64Null()
	if srv.PublicNet.IPv4.ID != 0 {
		m.HetznerPrimaryIPID = types.Int64Value(srv.PublicNet.IPv4.ID)
	}
	m.HetznerPublicIPv4 = types.StringValue(addr4(srv.PublicNet.IPv4.IP).String())
	m.HetznerPrivateIP = types.StringValue(privIP.String())
	m.AzureGatewayID, m.AzureGatewayPublicIP = types.StringValue(gw.ID), types.StringValue(gwAddr.String())
	m.AzurePublicIPID = types.StringNull()
	if o.Gateway {
		m.AzurePublicIPID = types.StringValue(gw.PublicIPIDs[0])
	}
	m.AzureLNGID, m.AzureConnectionID = types.StringValue(lng.ID), types.StringValue(conn.ID)
	if d := m.setNested(ctx, h, a); d.HasError() {
		return fmt.Errorf("building the imported state: %v", d)
	}
	return nil
}

func serverLocation(srv *hcloud.Server) string {
	if srv.Location != nil {
		return srv.Location.Name
	}
	return ""
}

func serverImage(srv *hcloud.Server) string {
	if srv.Image != nil && srv.Image.Name != "" {
		return srv.Image.Name
	}
	return "debian-12"
}

// sshSources lists the sources of the firewall's inbound TCP 22 rule.
func sshSources(fw *hcloud.Firewall) []string {
	var out []string
	for _, r := range fw.Rules {
		if r.Direction == hcloud.FirewallRuleDirectionIn && r.Protocol == hcloud.FirewallRuleProtocolTCP && r.Port != nil && *r.Port == "22" {
			for _, s := range r.SourceIPs {
				out = append(out, s.String())
			}
		}
	}
	slices.Sort(out)
	return out
}

func prefixOfNet(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	p, err := netip.ParsePrefix(n.String())
	return p, err == nil
}

func timeoutsNull() timeouts.Value {
	return timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
		"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType})}
}
