package harness

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"syscall"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sdkopts"
)

// An active-active Azure gateway has two instances, each with its own
// public IP and its own tunnel to the Hetzner gateway (issue 15). What the
// bench measures for it (azure_instance_failover_seconds) is how long
// traffic stops when the instance carrying it goes away, so it has to
// find that instance from outside the emulator: the connection's
// tunnelConnectionStatus says how many bytes each instance received (the
// lab fills it from each instance's charon), and the lab's host list says
// which namespace runs the instance with that public IP.

// AzureTunnelIngress reads connection conn's tunnelConnectionStatus and
// returns each instance's ingress bytes by the instance's public address,
// which ends the tunnel's name as the emulator spells it
// ("<peer>_<instance>"; Azure's own format is unverified, docs/facts/azure.md).
func AzureTunnelIngress(ctx context.Context, sim *Sim, resourceGroup, conn string) (map[netip.Addr]int64, error) {
	client, err := armnetwork.NewVirtualNetworkGatewayConnectionsClient(sim.Env["ARM_SUBSCRIPTION_ID"],
		sdkopts.NewStaticToken(sim.Env["ARM_ACCESS_TOKEN"]), armOptions(sim))
	if err != nil {
		return nil, err
	}
	c, err := client.Get(ctx, resourceGroup, conn, nil)
	if err != nil {
		return nil, fmt.Errorf("reading connection %s: %w", conn, err)
	}
	out := map[netip.Addr]int64{}
	if c.Properties == nil {
		return out, nil
	}
	for _, t := range c.Properties.TunnelConnectionStatus {
		if t == nil || t.Tunnel == nil {
			continue
		}
		parts := strings.Split(*t.Tunnel, "_")
		addr, err := netip.ParseAddr(parts[len(parts)-1])
		if err != nil {
			continue
		}
		var in int64
		if t.IngressBytesTransferred != nil {
			in = *t.IngressBytesTransferred
		}
		out[addr] = in
	}
	return out, nil
}

// StopAzureInstance stops the lab's Azure gateway instance with public
// address addr: its charon gets SIGTERM (a planned stop: it deletes its
// SAs, so the Hetzner gateway learns at once) or, with crash, SIGKILL
// (only dead peer detection notices). The lab starts it again on the
// next change to the connection.
func StopAzureInstance(ctx context.Context, sim *Sim, addr netip.Addr, crash bool) error {
	hosts, err := sim.LabHosts(ctx)
	if err != nil {
		return err
	}
	ns := ""
	for _, h := range hosts {
		if h.Cloud == "azure" && h.Role == "gateway" && h.IP == addr.String() {
			ns = h.Name
		}
	}
	if ns == "" {
		return fmt.Errorf("the lab has no Azure gateway instance at %s", addr)
	}
	pids, err := netnsPIDs(ctx, ns)
	if err != nil {
		return err
	}
	sig := syscall.SIGTERM
	if crash {
		sig = syscall.SIGKILL
	}
	n := 0
	for _, pid := range pids {
		if syscall.Kill(pid, sig) == nil {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no process runs in %s (the Azure instance at %s)", ns, addr)
	}
	return nil
}
