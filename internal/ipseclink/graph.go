package ipseclink

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/linkgraph"
)

// clouds are the two adapters the graph drives.
type clouds struct {
	hc *hcloud.Client
	az *azure.Client
}

// converge builds or repairs a link: every step is idempotent (ensure =
// look up, adopt or create, converge), so Create, Update and drift repair
// all run this same graph. The graph is declared once, in
// internal/linkgraph (DESIGN.md, "The link's create graph"); stepRuns
// attaches what each step runs, and runSteps runs them concurrently, each
// waiting only for the steps it depends on.
func converge(ctx context.Context, c clouds, s spec, p *progress) error {
	if err := preflightAzure(ctx, c, s); err != nil {
		return err
	}
	r := &linkRun{c: c, s: s, p: p}
	if s.Hetzner.HA != nil {
		r.roll = newPairRoll()
	}
	return runSteps(ctx, linkgraph.Steps, stepRuns, r)
}

func (p *progress) privateIP() netip.Addr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Hetzner.PrivateIP
}

func (p *progress) sharedKey() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.SharedKey
}

// checkReusable refuses a gateway a link cannot use, before anything else
// is built around it.
func checkReusable(id string, gw *azure.Gateway) error {
	const attr = "azure.virtual_network_gateway_id"
	switch {
	case gw == nil:
		return fmt.Errorf("%s: gateway %s does not exist", attr, id)
	case gw.GatewayType != "Vpn" || gw.VPNType != "RouteBased":
		return fmt.Errorf("%s: gateway %s is %s/%s; a link needs a route-based VPN gateway", attr, id, gw.GatewayType, gw.VPNType)
	case gw.SKU == "Basic":
		return fmt.Errorf("%s: gateway %s has the Basic SKU, which does not support custom IPsec policies; use VpnGw1AZ or larger", attr, id)
	case gw.ProvisioningState != azure.StateSucceeded:
		return fmt.Errorf("%s: gateway %s is %s; wait until it is Succeeded", attr, id, gw.ProvisioningState)
	case len(gw.PublicIPIDs) == 0:
		return fmt.Errorf("%s: gateway %s has no public IP", attr, id)
	}
	return nil
}

// addr4 converts hcloud-go's net.IP; an absent address becomes the zero Addr.
func addr4(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip.To4())
	return a
}
