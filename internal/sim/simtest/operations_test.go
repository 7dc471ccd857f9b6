package simtest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// operation returns the one operation of cloud and kind in GET
// /_sim/operations.
func operation(t *testing.T, i *Instance, cloud, kind string) simenv.Operation {
	t.Helper()
	var resp sim.OperationsResponse
	i.getSim(t, "/_sim/operations", &resp)
	var found []simenv.Operation
	for _, op := range resp.Operations {
		if op.Cloud == cloud && op.Kind == kind {
			found = append(found, op)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s %s operations, want 1: %+v", len(found), cloud, kind, resp.Operations)
	}
	return found[0]
}

// The real clouds behind GET /_sim/operations: an ARM PUT and a Hetzner
// action are listed with their target and the scaled duration the cloud
// imposed (the bench's critical path is built from these), running until
// they finish.
func TestOperationsListWhatBothCloudsRan(t *testing.T) {
	t.Parallel()
	const scale = 0.05
	s := Start(t, WithTimeScale(scale))
	ctx := context.Background()
	s.CreateResourceGroup(t, "rg", "westeurope")
	vnetID := s.CreateVNet(t, "rg", "vnet", "westeurope", []string{"10.1.0.0/16"}, nil)
	put := operation(t, s, simenv.CloudAzure, "put")
	// A VNet create takes 5 s in Azure (azuresim/vnets.go).
	if put.Target != vnetID || put.End.Sub(put.Start) != time.Duration(5*float64(time.Second)*scale) || put.Running || put.Failed {
		t.Errorf("VNet PUT = %+v, want target %s, 5 s scaled to %v, finished, not failed", put, vnetID, time.Duration(5*float64(time.Second)*scale))
	}

	network := s.CreateHCloudNetwork(t, "net", "10.0.0.0/16")
	action, _, err := s.HCloud().Network.AddSubnet(ctx, network, hcloud.NetworkAddSubnetOpts{Subnet: hcloud.NetworkSubnet{
		Type: hcloud.NetworkSubnetTypeCloud, IPRange: mustCIDR(t, "10.0.1.0/24"), NetworkZone: hcloud.NetworkZoneEUCentral}})
	if err != nil {
		t.Fatal(err)
	}
	add := operation(t, s, simenv.CloudHCloud, "add_subnet")
	if add.ID != strconv.FormatInt(action.ID, 10) || add.Target != "network/"+strconv.FormatInt(network.ID, 10) || !add.Running {
		t.Errorf("add_subnet right after the request = %+v, want action %d on network/%d, running", add, action.ID, network.ID)
	}
	if err := s.HCloud().Action.WaitFor(ctx, action); err != nil {
		t.Fatal(err)
	}
	add = operation(t, s, simenv.CloudHCloud, "add_subnet")
	// add_subnet takes 1-3 s (hcloudsim/actions.go).
	if d := add.End.Sub(add.Start); d < time.Duration(scale*float64(time.Second)) || d > time.Duration(3*scale*float64(time.Second)) || add.Running || add.Failed {
		t.Errorf("add_subnet after it finished = %+v (%v long), want 1-3 s scaled, finished, not failed", add, d)
	}
	if !put.Start.Before(add.Start) {
		t.Errorf("the VNet PUT started at %v, not before the later add_subnet (%v)", put.Start, add.Start)
	}
}

// The emulator decides an operation's outcome when it starts, and the
// endpoint says so at once: a fault-injected failure is listed as failed
// while it still runs.
func TestOperationsReportInjectedFailures(t *testing.T) {
	t.Parallel()
	s := Start(t, WithFaults("lro_failure_rate=1"))
	ctx := context.Background()
	s.CreateResourceGroup(t, "rg", "westeurope")
	c, err := armnetwork.NewVirtualNetworksClient(s.SubscriptionID(), s.Credential(), s.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	loc := "westeurope"
	if _, err := c.BeginCreateOrUpdate(ctx, "rg", "vnet", armnetwork.VirtualNetwork{Location: &loc,
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{AddressSpace: &armnetwork.AddressSpace{
			AddressPrefixes: []*string{new("10.1.0.0/16")}}}}, nil); err != nil {
		t.Fatal(err)
	}
	if put := operation(t, s, simenv.CloudAzure, "put"); !put.Failed {
		t.Errorf("VNet PUT under lro_failure_rate=1 = %+v, want failed", put)
	}
	network := s.CreateHCloudNetwork(t, "net", "10.0.0.0/16")
	action, _, err := s.HCloud().Network.AddSubnet(ctx, network, hcloud.NetworkAddSubnetOpts{Subnet: hcloud.NetworkSubnet{
		Type: hcloud.NetworkSubnetTypeCloud, IPRange: mustCIDR(t, "10.0.1.0/24"), NetworkZone: hcloud.NetworkZoneEUCentral}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.HCloud().Action.WaitFor(ctx, action); err == nil {
		t.Fatal("add_subnet under lro_failure_rate=1 succeeded")
	}
	if add := operation(t, s, simenv.CloudHCloud, "add_subnet"); !add.Failed || add.Running {
		t.Errorf("add_subnet under lro_failure_rate=1 = %+v, want failed and finished", add)
	}
}
