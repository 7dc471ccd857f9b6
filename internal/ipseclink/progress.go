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
// every created ID tracked and `destroy` can remove it all.
type progress struct {
	mu sync.Mutex

	NetworkID   int64
	PrimaryIPID int64
	PublicIPv4  netip.Addr
	FirewallID  int64
	ServerID    int64
	PrivateIP   netip.Addr
	// ServerConfig is the configuration hash each server (by name) is
	// meant to run; private state, not an attribute (serverconfig.go).
	ServerConfig map[string]string

	PublicIPID      string
	GatewayPublicIP netip.Addr
	GatewayID       string
	LNGID           string
	ConnectionID    string
	Status          string

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
		NetworkID:    m.HetznerNetworkID.ValueInt64(),
		PrimaryIPID:  m.HetznerPrimaryIPID.ValueInt64(),
		FirewallID:   m.HetznerFirewallID.ValueInt64(),
		ServerID:     m.HetznerServerID.ValueInt64(),
		PublicIPID:   m.AzurePublicIPID.ValueString(),
		GatewayID:    m.AzureGatewayID.ValueString(),
		LNGID:        m.AzureLNGID.ValueString(),
		ConnectionID: m.AzureConnectionID.ValueString(),
		Status:       m.ConnectionStatus.ValueString(),
		SharedKey:    m.SharedKey.ValueString(),
		Swanctl:      m.SwanctlConf.ValueString(),
		Owned:        ownedFrom(m.CreatedResources),
		HA:           haProgressFromState(m),
	}
	p.PublicIPv4, _ = netip.ParseAddr(m.HetznerPublicIPv4.ValueString())
	p.PrivateIP, _ = netip.ParseAddr(m.HetznerPrivateIP.ValueString())
	p.GatewayPublicIP, _ = netip.ParseAddr(m.AzureGatewayPublicIP.ValueString())
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
	m.HetznerNetworkID, m.HetznerPrimaryIPID = i64(p.NetworkID), i64(p.PrimaryIPID)
	m.HetznerFirewallID, m.HetznerServerID = i64(p.FirewallID), i64(p.ServerID)
	m.HetznerPublicIPv4, m.HetznerPrivateIP = addr(p.PublicIPv4), addr(p.PrivateIP)
	m.AzureGatewayID, m.AzurePublicIPID = str(p.GatewayID), str(p.PublicIPID)
	m.AzureGatewayPublicIP = addr(p.GatewayPublicIP)
	m.AzureLNGID, m.AzureConnectionID = str(p.LNGID), str(p.ConnectionID)
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
	if p.NetworkID != 0 && p.ConnectionID != "" {
		m.ID = types.StringValue(fmt.Sprintf("%d:%s", p.NetworkID, p.ConnectionID))
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
