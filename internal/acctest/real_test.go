package acctest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/acctest/accenv"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
)

const addr = "crosscloud_ipsec_link.main"

var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"crosscloud": providerserver.NewProtocol6WithError(provider.New("acctest")()),
}

// real is one run's environment: clients built from the same variables the
// provider reads (the provider block in the configuration is empty), the
// run label and the names derived from it.
type real struct {
	hc       *hcloud.Client
	az       *clients.Azure
	run      string
	prefix   string // tf-acc-test-<run>
	location string // Azure
	// fixtures, created by the test, deleted after CheckDestroy
	group, vnetID, gatewayID string
}

func setup(t *testing.T) *real {
	t.Helper()
	if !accenv.Real(accenv.OSEnv) {
		t.Skipf("real-account test: runs only with %s=1 and both clouds' credentials (make testacc-real)", accenv.RealVar)
	}
	if m := accenv.Missing(accenv.OSEnv); len(m) > 0 {
		t.Fatalf("real mode, but: %s", strings.Join(m, "; "))
	}
	run, err := accenv.RunLabel(accenv.OSEnv)
	if err != nil {
		t.Fatal(err)
	}
	r := &real{run: run, prefix: accenv.Prefix + run, location: "westeurope"}
	if r.hc, err = accenv.HCloud(accenv.OSEnv); err != nil {
		t.Fatal(err)
	}
	if r.az, err = accenv.Azure(accenv.OSEnv); err != nil {
		t.Fatal(err)
	}
	t.Logf("run label %s: every object is named %s-...", run, r.prefix)
	return r
}

func (r *real) poll() *runtime.PollUntilDoneOptions {
	if r.az.PollInterval > 0 {
		return &runtime.PollUntilDoneOptions{Frequency: r.az.PollInterval}
	}
	return &runtime.PollUntilDoneOptions{Frequency: 10 * time.Second}
}

// fixtures makes the Azure side a user's other tooling would have made: a
// resource group and a VNet (10.1.0.0/16, workload subnet 10.1.1.0/24),
// tagged with the run. In cheap mode the reused gateway's own VNet and
// group are used instead and nothing is created here.
func (r *real) fixtures(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	nf, err := r.az.Network()
	if err != nil {
		t.Fatal(err)
	}
	if id := os.Getenv(accenv.GatewayVar); id != "" {
		r.fromGateway(t, nf, id)
		return
	}
	rf, err := r.az.Resources()
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]*string{accenv.RunTag: &r.run}
	r.group = r.prefix + "-rg"
	if _, err := rf.NewResourceGroupsClient().CreateOrUpdate(ctx, r.group, armresources.ResourceGroup{Location: &r.location, Tags: tags}, nil); err != nil {
		t.Fatalf("creating resource group %s: %v", r.group, err)
	}
	t.Cleanup(func() { r.deleteFixtures(t) })
	vnet := armnetwork.VirtualNetwork{Location: &r.location, Tags: tags, Properties: &armnetwork.VirtualNetworkPropertiesFormat{
		AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new("10.1.0.0/16")}},
		Subnets:      []*armnetwork.Subnet{{Name: new("workload"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new("10.1.1.0/24")}}},
	}}
	p, err := nf.NewVirtualNetworksClient().BeginCreateOrUpdate(ctx, r.group, r.prefix+"-vnet", vnet, nil)
	if err == nil {
		var res armnetwork.VirtualNetworksClientCreateOrUpdateResponse
		res, err = p.PollUntilDone(ctx, r.poll())
		if err == nil {
			r.vnetID = *res.ID
		}
	}
	if err != nil {
		t.Fatalf("creating VNet: %v", err)
	}
}

// fromGateway reads what cheap mode needs from the reused gateway: its
// group, location and VNet (the parent of its GatewaySubnet).
func (r *real) fromGateway(t *testing.T, nf *armnetwork.ClientFactory, id string) {
	rid, err := arm.ParseResourceID(id)
	if err != nil {
		t.Fatalf("%s=%q is not a resource ID: %v", accenv.GatewayVar, id, err)
	}
	gw, err := nf.NewVirtualNetworkGatewaysClient().Get(context.Background(), rid.ResourceGroupName, rid.Name, nil)
	if err != nil {
		t.Fatalf("%s: reading the gateway to reuse: %v", accenv.GatewayVar, err)
	}
	if gw.Properties == nil || len(gw.Properties.IPConfigurations) == 0 || gw.Properties.IPConfigurations[0].Properties.Subnet == nil {
		t.Fatalf("%s: the gateway has no IP configuration with a subnet", accenv.GatewayVar)
	}
	sub, err := arm.ParseResourceID(*gw.Properties.IPConfigurations[0].Properties.Subnet.ID)
	if err != nil {
		t.Fatal(err)
	}
	r.gatewayID, r.group, r.vnetID, r.location = id, rid.ResourceGroupName, sub.Parent.String(), *gw.Location
}

func (r *real) deleteFixtures(t *testing.T) {
	rf, err := r.az.Resources()
	if err != nil {
		t.Error(err)
		return
	}
	ctx := context.Background()
	p, err := rf.NewResourceGroupsClient().BeginDelete(ctx, r.group, nil)
	if err == nil {
		_, err = p.PollUntilDone(ctx, r.poll())
	}
	if err != nil {
		t.Errorf("deleting the fixture resource group %s (make sweep removes it): %v", r.group, err)
	}
}

func (r *real) config() string {
	hetzner := `network_ip_range = "10.0.0.0/12"
    gateway_subnet   = "10.0.1.0/24"`
	azure := `gateway_subnet_prefix = "10.1.255.0/27"`
	if r.gatewayID != "" {
		// Cheap mode: the reused gateway's VNet must lie inside 10.0.0.0/8
		// and outside 10.255.0.0/16 (docs/guides/real-accounts.md).
		hetzner = `network_ip_range = "10.0.0.0/8"
    gateway_subnet   = "10.255.1.0/24"`
		azure = fmt.Sprintf("virtual_network_gateway_id = %q", r.gatewayID)
	}
	return fmt.Sprintf(`provider "crosscloud" {}

resource "crosscloud_ipsec_link" "main" {
  name = "%s-link"
  hetzner = {
    %s
    location = "hel1"
  }
  azure = {
    resource_group_name = %q
    location            = %q
    virtual_network_id  = %q
    %s
  }
}
`, r.prefix, hetzner, r.group, r.location, r.vnetID, azure)
}

// TestAccRealLink is what a user relies on: the link comes up Connected,
// drift made behind Terraform's back shows in the plan and apply repairs
// it, and destroy leaves nothing carrying the run label on either cloud.
func TestAccRealLink(t *testing.T) {
	r := setup(t)
	r.fixtures(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy:             r.checkNothingLeft,
		Steps: []resource.TestStep{{
			Config: r.config(),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("connection_status"), knownvalue.StringExact("Connected")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
			},
			Check: r.checkRoute(true),
		}, {
			// Drift: somebody deletes the Hetzner network route to Azure.
			PreConfig: r.deleteRoute(t),
			Config:    r.config(),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectNonEmptyPlan(),
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("drift"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("connection_status"), knownvalue.StringExact("Connected")),
			},
			Check: r.checkRoute(true),
		}},
	})
}

// state of the last step, for PreConfig (which gets none).
var lastNetwork = map[string]int64{}

func (r *real) checkRoute(want bool) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		a := st.RootModule().Resources[addr].Primary.Attributes
		id, _ := strconv.ParseInt(a["hetzner_network_id"], 10, 64)
		lastNetwork[r.run] = id
		n, _, err := r.hc.Network.GetByID(context.Background(), id)
		if err != nil || n == nil {
			return fmt.Errorf("network %d: %v", id, err)
		}
		var got []string
		for _, rt := range n.Routes {
			got = append(got, rt.Destination.String()+" -> "+rt.Gateway.String())
		}
		routeTo := a["azure.remote_prefixes.0"] + " -> " + a["hetzner_private_ip"]
		if slices.Contains(got, routeTo) != want {
			return fmt.Errorf("Hetzner network routes %v; want %s present=%v", got, routeTo, want)
		}
		return nil
	}
}

func (r *real) deleteRoute(t *testing.T) func() {
	return func() {
		ctx := context.Background()
		n, _, err := r.hc.Network.GetByID(ctx, lastNetwork[r.run])
		if err != nil || n == nil || len(n.Routes) == 0 {
			t.Fatalf("network %d has no route to delete: %v", lastNetwork[r.run], err)
		}
		a, _, err := r.hc.Network.DeleteRoute(ctx, n, hcloud.NetworkDeleteRouteOpts{Route: n.Routes[0]})
		if err == nil {
			err = r.hc.Action.WaitFor(ctx, a)
		}
		if err != nil {
			t.Fatalf("deleting the route behind Terraform's back: %v", err)
		}
		t.Logf("drift: deleted route %s -> %s", n.Routes[0].Destination, n.Routes[0].Gateway)
	}
}

// checkNothingLeft lists both clouds: no object may carry the run, by name
// or label/tag, except the fixtures (resource group and VNet) the test
// deletes itself; and the GatewaySubnet the link made is gone.
func (r *real) checkNothingLeft(*terraform.State) error {
	ctx := context.Background()
	hs, err := accenv.ListHetzner(ctx, r.hc)
	if err != nil {
		return err
	}
	as, err := accenv.ListAzure(ctx, r.az, r.group)
	if err != nil {
		return err
	}
	var left []string
	for _, o := range append(hs, as...) {
		if o.Cloud == "azure" && o.Kind == "VNet" && o.Labels[accenv.RunTag] == r.run {
			continue // the fixture
		}
		carries := strings.HasPrefix(o.Name, r.prefix) || o.Labels[accenv.RunTag] == r.run
		for _, v := range o.Labels {
			carries = carries || strings.HasPrefix(v, r.prefix)
		}
		if carries {
			left = append(left, o.String())
		}
	}
	if r.gatewayID == "" {
		nf, _ := r.az.Network()
		rid, _ := arm.ParseResourceID(r.vnetID)
		if _, err := nf.NewSubnetsClient().Get(ctx, r.group, rid.Name, "GatewaySubnet", nil); err == nil {
			left = append(left, "azure subnet GatewaySubnet in "+rid.Name)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("destroy left objects of run %s behind: %v", r.run, left)
	}
	return nil
}
