package ipseclink

import (
	"context"
	"fmt"
	"net/netip"
	"sync/atomic"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
	"golang.org/x/sync/errgroup"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/linkgraph"
)

// linkRun is one converge: the clouds, the spec, the progress every step
// records into, and what each step hands on to the steps that depend on it.
// A step writes only its own fields and reads only fields its declared
// dependencies (linkgraph.Steps) wrote: the runner starts it after they
// finished, and a future's close orders their writes before its reads.
type linkRun struct {
	c clouds
	s spec
	p *progress

	remote     []netip.Prefix    // VNet: the prefixes announced from Azure
	gwSubnetID string            // GatewaySubnet
	publicIPID string            // PublicIP: the new gateway's public IP
	azPeer     netip.Addr        // PublicIP: the Azure gateway's address
	gatewayID  string            // PublicIP (reused gateway) or Gateway
	network    *hcloud.Network   // Network
	local      []netip.Prefix    // Network: the prefixes announced from Hetzner
	hzPeer     *hcloud.PrimaryIP // PrimaryIP
	lngID      string            // LocalGateway
	firewall   *hcloud.Firewall  // Firewall
	connID     string            // Connection

	gwIP, standbyIP netip.Addr         // PrivateIPs: the servers' private IPs
	fip             *hcloud.FloatingIP // FloatingIP (high availability)
	publicIPID2     string             // PublicIP: the second instance's (high availability)
	azPeer2         netip.Addr         // PublicIP: the second instance's address
	roll            *pairRoll          // high availability: the servers' replacement order
	placementGroup  int64              // PlacementGroup (high availability)
}

// stepFunc runs one declared step.
type stepFunc func(ctx context.Context, r *linkRun) error

// stepRuns attaches to each step of linkgraph.Steps what it runs; adding a
// step is its entry there and its function here.
var stepRuns = map[string]stepFunc{
	linkgraph.VNet:           vnetStep,
	linkgraph.GatewaySubnet:  gatewaySubnetStep,
	linkgraph.PublicIP:       publicIPStep,
	linkgraph.Gateway:        gatewayStep,
	linkgraph.Network:        hetznerNetwork,
	linkgraph.PrimaryIP:      primaryIPStep,
	linkgraph.LocalGateway:   localGatewayStep,
	linkgraph.Firewall:       firewallStep,
	linkgraph.Server:         gatewayServer,
	linkgraph.PlacementGroup: placementGroupStep,
	linkgraph.Routes:         routesStep,
	linkgraph.Connection:     connectionStep,
	linkgraph.Connected:      connectedStep,
	linkgraph.FloatingIP:     floatingIPStep,
	linkgraph.PrivateIPs:     privateIPsStep,
	linkgraph.StandbyServer:  standbyServerStep,
}

// stepTracer, when set (tests only), hears each step of the named link
// start and finish.
type stepTracer func(link, step string, finished bool)

var stepTrace atomic.Pointer[stepTracer]

// runSteps runs every declared step in its own goroutine under one
// errgroup: each starts once its dependencies finished, so independent
// steps overlap (the Hetzner side and the local network gateway run inside
// the Azure gateway's long wait). The first error cancels the others, which
// give up waiting, and is the one returned.
func runSteps(ctx context.Context, steps []linkgraph.Step, runs map[string]stepFunc, r *linkRun) error {
	if err := linkgraph.Check(steps); err != nil {
		return err
	}
	done := make(map[string]*future[struct{}], len(steps))
	for _, st := range steps {
		if runs[st.Name] == nil {
			return fmt.Errorf("ipseclink: step %q is declared but has no run function", st.Name)
		}
		done[st.Name] = newFuture[struct{}]()
	}
	trace := func(string, bool) {}
	if t := stepTrace.Load(); t != nil {
		trace = func(step string, finished bool) { (*t)(r.s.Name, step, finished) }
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, st := range steps {
		g.Go(func() error {
			for _, d := range st.Deps {
				if _, err := done[d].get(ctx); err != nil {
					return err
				}
			}
			trace(st.Name, false)
			if err := runs[st.Name](ctx, r); err != nil {
				return err
			}
			trace(st.Name, true)
			done[st.Name].set(struct{}{})
			return nil
		})
	}
	return g.Wait()
}
