package harness

import (
	"context"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
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
// returns the ingress bytes of each lab Azure gateway instance's tunnel,
// by the instance's public address. Which tunnel is an instance's is the
// provider's own reading (azure.Connection.TunnelTo), so the bench does
// not parse Azure's tunnel names a second way (their format is
// unverified, docs/facts/azure.md).
func AzureTunnelIngress(ctx context.Context, sim *Sim, resourceGroup, conn string) (map[netip.Addr]int64, error) {
	sub := sim.Env["ARM_SUBSCRIPTION_ID"]
	client, err := azure.New(sub, sdkopts.NewStaticToken(sim.Env["ARM_ACCESS_TOKEN"]), armOptions(sim))
	if err != nil {
		return nil, err
	}
	id := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/connections/%s", sub, resourceGroup, conn)
	c, err := client.GetConnection(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading connection %s: %w", conn, err)
	}
	if c == nil {
		return nil, fmt.Errorf("connection %s does not exist", conn)
	}
	instances, err := azureInstances(ctx, sim)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]int64{}
	for addr := range instances {
		if t, err := c.TunnelTo(addr); err == nil {
			out[addr] = t.IngressBytes
		}
	}
	return out, nil
}

// azureInstances maps each lab Azure gateway instance's public address to
// the namespace it runs in.
func azureInstances(ctx context.Context, sim *Sim) (map[netip.Addr]string, error) {
	hosts, err := sim.LabHosts(ctx)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]string{}
	for _, h := range hosts {
		if a, err := netip.ParseAddr(h.IP); err == nil && h.Cloud == "azure" && h.Role == "gateway" {
			out[a] = h.Name
		}
	}
	return out, nil
}

// StopAzureInstance stops the lab's Azure gateway instance with public
// address addr the way Azure's planned maintenance does: its charon gets
// SIGTERM and deletes its SAs, so the Hetzner gateway learns at once. (A
// crash, which only dead peer detection notices, is measured by
// TestLabAzureInstanceFailover.) The lab starts it again on the next
// change to the connection.
func StopAzureInstance(ctx context.Context, sim *Sim, addr netip.Addr) error {
	instances, err := azureInstances(ctx, sim)
	if err != nil {
		return err
	}
	ns, ok := instances[addr]
	if !ok {
		return fmt.Errorf("the lab has no Azure gateway instance at %s", addr)
	}
	pids, err := netnsPIDs(ctx, ns)
	if err != nil {
		return err
	}
	n := 0
	for _, pid := range pids {
		if syscall.Kill(pid, syscall.SIGTERM) == nil {
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("no process runs in %s (the Azure instance at %s)", ns, addr)
	}
	return nil
}
