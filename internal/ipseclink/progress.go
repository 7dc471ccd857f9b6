package ipseclink

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// progress records what the step graph has built so far. Steps write into
// it as soon as a resource exists; the resource copies it into Terraform
// state even when the graph fails, so a failed or timed-out apply leaves
// every created ID tracked and `destroy` can remove it all. Hetzner.X and
// Azure.X are the computed attributes hetzner_x and azure_x; progress is
// copied to and from them field by field (writeTo, progressFromState).
type progress struct {
	mu sync.Mutex

	Hetzner hetznerProgress
	Azure   azureProgress
	// ServerConfig is the configuration hash each server (by name) is
	// meant to run; private state, not an attribute (serverconfig.go).
	ServerConfig map[string]string
	Status       string

	SharedKey string
	// KeyWriteOnly says SharedKey came from shared_key_wo and must not
	// reach state; KeyMAC is the fingerprint Read compares Azure's key
	// with instead.
	KeyWriteOnly   bool
	KeyMAC         *keyMAC
	Swanctl        string
	LocalPrefixes  []netip.Prefix
	RemotePrefixes []netip.Prefix

	// Owned says which pieces this link created (and so may delete); see
	// owned for where it is stored.
	Owned owned

	// HA is what the high-availability steps built (ha_state.go).
	HA haProgress
}

// hetznerProgress is what the link built on Hetzner.
type hetznerProgress struct {
	NetworkID   int64
	PrimaryIPID int64
	// PublicIPv4 is the gateway's public address (with HA, the Floating IP's).
	PublicIPv4 netip.Addr
	FirewallID int64
	ServerID   int64
	PrivateIP  netip.Addr
}

// azureProgress is what the link built on Azure.
type azureProgress struct {
	// PublicIPID is the ID of the gateway's public IP resource;
	// GatewayPublicIP is its address, the Hetzner side's IKE peer.
	PublicIPID      string
	GatewayPublicIP netip.Addr
	GatewayID       string
	LNGID           string
	ConnectionID    string
}

// owned marks resources the link created, as opposed to ones it was given
// or found. It lives in the visible `created_resources` attribute, not in
// private state: Terraform drops a failed create's private state, and these
// flags are exactly what the destroy of such a (tainted) link needs.
type owned struct {
	Network, Subnet, GatewaySubnet, Gateway bool
}

// Names used in created_resources.
const (
	createdNetwork       = "hetzner_network"
	createdSubnet        = "hetzner_gateway_subnet"
	createdGatewaySubnet = "azure_gateway_subnet"
	createdGateway       = "azure_gateway"
)

func (o owned) list() types.List {
	var out []string
	for _, e := range []struct {
		on   bool
		name string
	}{{o.Network, createdNetwork}, {o.Subnet, createdSubnet}, {o.GatewaySubnet, createdGatewaySubnet}, {o.Gateway, createdGateway}} {
		if e.on {
			out = append(out, e.name)
		}
	}
	return listOfStrings(out)
}

func ownedFrom(l types.List) owned {
	var o owned
	for _, e := range l.Elements() {
		s, ok := e.(types.String)
		if !ok {
			continue
		}
		switch s.ValueString() {
		case createdNetwork:
			o.Network = true
		case createdSubnet:
			o.Subnet = true
		case createdGatewaySubnet:
			o.GatewaySubnet = true
		case createdGateway:
			o.Gateway = true
		}
	}
	return o
}

// update runs f under the lock; steps call it the moment they learn an ID.
func (p *progress) update(f func(p *progress)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// progressFromState seeds progress from a prior state (update, delete, repair).
func progressFromState(m *model) *progress {
	p := &progress{
		Hetzner: hetznerProgress{
			NetworkID:   m.HetznerNetworkID.ValueInt64(),
			PrimaryIPID: m.HetznerPrimaryIPID.ValueInt64(),
			FirewallID:  m.HetznerFirewallID.ValueInt64(),
			ServerID:    m.HetznerServerID.ValueInt64(),
		},
		Azure: azureProgress{
			PublicIPID:   m.AzurePublicIPID.ValueString(),
			GatewayID:    m.AzureGatewayID.ValueString(),
			LNGID:        m.AzureLNGID.ValueString(),
			ConnectionID: m.AzureConnectionID.ValueString(),
		},
		Status:    m.ConnectionStatus.ValueString(),
		SharedKey: m.SharedKey.ValueString(),
		Swanctl:   m.SwanctlConf.ValueString(),
		Owned:     ownedFrom(m.CreatedResources),
		HA:        haProgressFromState(m),
	}
	p.Hetzner.PublicIPv4, _ = netip.ParseAddr(m.HetznerPublicIPv4.ValueString())
	p.Hetzner.PrivateIP, _ = netip.ParseAddr(m.HetznerPrivateIP.ValueString())
	p.Azure.GatewayPublicIP, _ = netip.ParseAddr(m.AzureGatewayPublicIP.ValueString())
	return p
}

// writeTo copies progress into m. Unknown computed values (a create that
// failed before learning them) become null, which Terraform accepts in a
// (tainted) state.
func (p *progress) writeTo(ctx context.Context, m *model) diag.Diagnostics {
	p.mu.Lock()
	defer p.mu.Unlock()
	i64 := func(v int64) types.Int64 {
		if v == 0 {
			return types.Int64Null()
		}
		return types.Int64Value(v)
	}
	str := func(v string) types.String {
		if v == "" {
			return types.StringNull()
		}
		return types.StringValue(v)
	}
	addr := func(a netip.Addr) types.String {
		if !a.IsValid() {
			return types.StringNull()
		}
		return types.StringValue(a.String())
	}
	m.HetznerNetworkID, m.HetznerPrimaryIPID = i64(p.Hetzner.NetworkID), i64(p.Hetzner.PrimaryIPID)
	m.HetznerFirewallID, m.HetznerServerID = i64(p.Hetzner.FirewallID), i64(p.Hetzner.ServerID)
	m.HetznerPublicIPv4, m.HetznerPrivateIP = addr(p.Hetzner.PublicIPv4), addr(p.Hetzner.PrivateIP)
	m.AzureGatewayID, m.AzurePublicIPID = str(p.Azure.GatewayID), str(p.Azure.PublicIPID)
	m.AzureGatewayPublicIP = addr(p.Azure.GatewayPublicIP)
	m.AzureLNGID, m.AzureConnectionID = str(p.Azure.LNGID), str(p.Azure.ConnectionID)
	m.ConnectionStatus, m.SwanctlConf = str(p.Status), str(p.Swanctl)
	m.CreatedResources = p.Owned.list()
	p.HA.writeTo(m)
	switch {
	case p.KeyWriteOnly || p.KeyMAC != nil:
		m.SharedKey = types.StringNull()
	case p.SharedKey != "":
		m.SharedKey = types.StringValue(p.SharedKey)
	}
	m.SharedKeyWO = types.StringNull() // Terraform never stores it
	m.ID = types.StringNull()
	if p.Hetzner.NetworkID != 0 && p.Azure.ConnectionID != "" {
		m.ID = types.StringValue(fmt.Sprintf("%d:%s", p.Hetzner.NetworkID, p.Azure.ConnectionID))
	}
	return setPrefixes(ctx, m, p.LocalPrefixes, p.RemotePrefixes)
}

// setPrefixes resolves the defaulted prefix lists and gateway IP in the
// nested objects.
func setPrefixes(ctx context.Context, m *model, local, remote []netip.Prefix) diag.Diagnostics {
	h, a, ok, diags := m.nested(ctx)
	if !ok {
		return diags
	}
	if len(local) > 0 {
		h.LocalPrefixes = listOfStrings(prefixStrings(local))
	}
	if len(remote) > 0 {
		a.RemotePrefixes = listOfStrings(prefixStrings(remote))
	}
	if h.GatewayIP.IsUnknown() {
		h.GatewayIP = types.StringNull()
		if ip := m.HetznerPrivateIP.ValueString(); ip != "" {
			h.GatewayIP = types.StringValue(ip)
		}
	}
	if h.LocalPrefixes.IsUnknown() {
		h.LocalPrefixes = types.ListNull(types.StringType)
	}
	if h.NetworkZone.IsUnknown() {
		h.NetworkZone = types.StringValue(zoneOf(&hetznerSpec{Location: h.Location.ValueString()}))
	}
	if a.RemotePrefixes.IsUnknown() {
		a.RemotePrefixes = types.ListNull(types.StringType)
	}
	diags.Append(m.setNested(ctx, h, a)...)
	return diags
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
