package labsync

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

// providerConfig points the provider at the in-process emulator.
func (ls *labSim) providerConfig() string { return simtest.ProviderConfigFor(ls.env) }

// originLink is examples/quickstart: the topology of docs/facts/origin.md as one link.
func originLink(vnetID string) string {
	return fmt.Sprintf(`
resource "crosscloud_ipsec_link" "main" {
  name = "hel1-weu"
  hetzner = {
    network_ip_range = "10.0.0.0/12"
    gateway_subnet   = "10.0.1.0/24"
    gateway_ip       = "10.0.1.1"
    location         = "hel1"
  }
  azure = {
    resource_group_name   = %q
    location              = %q
    virtual_network_id    = %q
    gateway_subnet_prefix = "10.1.2.0/24"
  }
}
`, rg, loc, vnetID)
}

// TestAccLinkLab applies the original topology with the real terraform CLI
// against crosscloud-sim -lab and checks the tunnel it builds: the gateway
// server booted from the provider's user_data (cloud-init done, units
// active and enabled, MSS clamp, forwarding), traffic in both directions,
// the policy's algorithms on the Azure-side SA, NotConnected and no traffic
// when the Azure connection is changed out of band to another policy, the
// next apply repairing it, and systemd restarting the gateway's killed
// strongSwan.
func TestAccLinkLab(t *testing.T) {
	requireLab(t)
	ls := startLabSim(t, "a")
	vnetID := ls.createVNet(t, false)
	cfg := ls.providerConfig() + originLink(vnetID)
	const link = "crosscloud_ipsec_link.main"
	var hzProbe, azProbe string

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			"crosscloud": providerserver.NewProtocol6WithError(provider.New("test")()),
		},
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(link, "connection_status", "Connected"),
					resource.TestCheckResourceAttr(link, "hetzner_private_ip", "10.0.1.1"),
					func(*terraform.State) error {
						// The provider's own user_data, booted for real.
						hzProbe, azProbe = ls.probe(t, "10.0.1.0/24").Name, ls.probe(t, "10.1.1.0/24").Name
						ls.checkGateway(t, "hel1-weu-gw", 1, hzProbe, azProbe, 5011)
						return ls.checkTraffic(hzProbe, azProbe, true)
					},
					func(*terraform.State) error {
						// The SA can be re-keyed or re-established by the lab's
						// reconcile right after traffic flowed; wait for an
						// established one instead of sampling a single instant.
						st, err := ls.plane.Lab().AzureStatus(context.Background(), "hel1-weu-conn")
						for deadline := time.Now().Add(15 * time.Second); err == nil && st.Algorithms.IKE == "" && time.Now().Before(deadline); {
							time.Sleep(250 * time.Millisecond)
							st, err = ls.plane.Lab().AzureStatus(context.Background(), "hel1-weu-conn")
						}
						if err != nil {
							return err
						}
						if st.Algorithms.IKE != "AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384" || !strings.HasPrefix(st.Algorithms.ESP, "AES_GCM_16_256") {
							return fmt.Errorf("the Azure-side SA negotiated %+v; the default policy is AES-256-GCM / SHA-384 PRF / ECP384", st.Algorithms)
						}
						return nil
					},
				),
			},
			{
				// Someone changes the Azure connection to another policy.
				PreConfig:          func() { ls.setConnectionPolicy(t, weakerPolicy()) },
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(link, "connection_status", "NotConnected"),
					func(*terraform.State) error { return ls.checkTraffic(hzProbe, azProbe, false) },
				),
			},
			{
				// The next apply restores the policy; then the gateway's daemon dies.
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error {
						// wait_for_connected covers create; an updated policy takes
						// effect shortly after the apply, as on Azure.
						deadline := time.Now().Add(30 * time.Second)
						for ls.connectionStatus(t) != "Connected" {
							if time.Now().After(deadline) {
								return fmt.Errorf("30s after the repairing apply Azure still reports %s, want Connected", ls.connectionStatus(t))
							}
							time.Sleep(200 * time.Millisecond)
						}
						return ls.checkTraffic(hzProbe, azProbe, true)
					},
					func(*terraform.State) error {
						killGatewayCharon(t, ls, "hel1-weu-gw")
						deadline := time.Now().Add(45 * time.Second)
						for ls.checkTraffic(hzProbe, azProbe, true) != nil || ls.connectionStatus(t) != "Connected" {
							if time.Now().After(deadline) {
								return fmt.Errorf("no traffic 45s after the gateway's charon was killed")
							}
							time.Sleep(500 * time.Millisecond)
						}
						return nil
					},
				),
			},
		},
	})
}

// weakerPolicy is a valid Azure policy the gateway server does not offer.
func weakerPolicy() ipsec.Policy {
	return ipsec.Policy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup14",
		IPsecEncryption: "AES256", IPsecIntegrity: "SHA256", PFSGroup: "None", SALifetimeSeconds: 3600, SADataSizeKilobytes: 102400000}
}

// checkTraffic pings both ways between the probes; want says whether the
// tunnel should carry it.
func (ls *labSim) checkTraffic(hzNS, azNS string, want bool) error {
	for _, p := range [][2]string{{hzNS, "10.1.1.4"}, {azNS, "10.0.1.254"}} {
		out, ok := ping(p[0], p[1])
		if ok != want {
			return fmt.Errorf("ping %s from %s: passed=%v, want %v:\n%s", p[1], p[0], ok, want, out)
		}
	}
	return nil
}

// setConnectionPolicy changes the link's connection out of band (GET,
// modify, PUT, as the portal would) and waits until Azure says NotConnected.
func (ls *labSim) setConnectionPolicy(t *testing.T, p ipsec.Policy) {
	t.Helper()
	ctx := context.Background()
	cred, opts := ls.arm()
	conns, _ := armnetwork.NewVirtualNetworkGatewayConnectionsClient(ls.env["ARM_SUBSCRIPTION_ID"], cred, opts)
	c, err := conns.Get(ctx, rg, "hel1-weu-conn", nil)
	if err != nil {
		t.Fatalf("GET connection: %v", err)
	}
	c.Properties.IPSecPolicies = []*armnetwork.IPSecPolicy{p.ToARM()}
	poller, err := conns.BeginCreateOrUpdate(ctx, rg, "hel1-weu-conn", c.VirtualNetworkGatewayConnection, nil)
	if err != nil {
		t.Fatalf("PUT connection: %v", err)
	}
	if _, err := poller.PollUntilDone(ctx, poll); err != nil {
		t.Fatalf("PUT connection: %v", err)
	}
	eventually(t, 30*time.Second, "NotConnected after the out-of-band policy change", func() bool { return ls.connectionStatus(t) == "NotConnected" })
}

func (ls *labSim) connectionStatus(t *testing.T) string {
	cred, opts := ls.arm()
	conns, _ := armnetwork.NewVirtualNetworkGatewayConnectionsClient(ls.env["ARM_SUBSCRIPTION_ID"], cred, opts)
	c, err := conns.Get(context.Background(), rg, "hel1-weu-conn", nil)
	if err != nil || c.Properties == nil || c.Properties.ConnectionStatus == nil {
		t.Logf("GET connection: %v", err)
		return ""
	}
	return string(*c.Properties.ConnectionStatus)
}
