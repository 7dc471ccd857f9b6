package labplane

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/azuresim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simcore"
)

// requireLab skips when the lab cannot run here, except under CI, where a
// skipped lab test would hide a broken data plane.
func requireLab(t *testing.T) {
	t.Helper()
	err := Preflight()
	if err == nil {
		for _, tool := range []string{"ping", "traceroute"} {
			if _, lerr := exec.LookPath(tool); lerr != nil {
				err = fmt.Errorf("%s is not installed (apt-get install iputils-ping traceroute)", tool)
			}
		}
	}
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("lab test cannot run but CI is set, so it must not be skipped: %v", err)
	}
	t.Skipf("lab test skipped: %v", err)
}

// labSim is one in-process emulator with the lab data plane.
type labSim struct {
	sim   *sim.Sim
	plane *Plane
	env   map[string]string
}

// startLabSim runs crosscloud-sim with -lab under a prefix of its own.
func startLabSim(t *testing.T, tag string) *labSim {
	t.Helper()
	ls := &labSim{}
	prefix := fmt.Sprintf("cp%d%s-", os.Getpid()%100000, tag)
	dp := func(env *simcore.Env, hc, az sim.Cloud) (sim.DataPlane, error) {
		p, err := Start(context.Background(), hc.(*hcloudsim.Server), az.(*azuresim.Server), Options{Prefix: prefix, Logger: testLogger(t)})
		ls.plane = p
		return p, err
	}
	s, err := sim.New(sim.Options{Addr: "127.0.0.1:0", TimeScale: 0.001, SubscriptionID: azuresim.SubscriptionID,
		TenantID: azuresim.TenantID, Lab: true, NewDataPlane: dp},
		func(env *simcore.Env) sim.Cloud { return hcloudsim.New(env) },
		func(env *simcore.Env) sim.Cloud { return azuresim.New(env) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			ls.dumpLogs(t)
		}
		if err := s.Close(); err != nil {
			t.Errorf("closing the emulator: %v", err)
		}
		if left, _ := lab.ListNS(context.Background(), prefix); len(left) > 0 {
			t.Errorf("namespaces left after Close: %v", left)
		}
	})
	ls.sim, ls.env = s, s.Env()
	return ls
}

// dumpLogs prints every charon log of the lab, for failed tests.
func (ls *labSim) dumpLogs(t *testing.T) {
	for _, s := range ls.plane.servers {
		if s.charon != nil {
			b, _ := os.ReadFile(s.charon.Log)
			t.Logf("Hetzner charon %s log (tail):\n%s", s.charon.NS, tail(string(b), 3000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (ls *labSim) hcloud() *hcloud.Client {
	return hcloud.NewClient(hcloud.WithEndpoint(ls.env["HCLOUD_ENDPOINT"]), hcloud.WithToken(ls.env["HCLOUD_TOKEN"]),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(20 * time.Millisecond)}))
}

type staticToken string

func (s staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(s), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

func (ls *labSim) arm() (azcore.TokenCredential, *arm.ClientOptions) {
	return staticToken(ls.env["ARM_ACCESS_TOKEN"]), &arm.ClientOptions{
		ClientOptions: policy.ClientOptions{
			Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: "https://login.microsoftonline.com/",
				Services: map[cloud.ServiceName]cloud.ServiceConfiguration{cloud.ResourceManager: {
					Endpoint: ls.env["ARM_RESOURCE_MANAGER_ENDPOINT"], Audience: "https://management.core.windows.net/"}}},
			InsecureAllowCredentialWithHTTP: true,
			Retry:                           policy.RetryOptions{RetryDelay: 20 * time.Millisecond, MaxRetryDelay: time.Second},
		},
		DisableRPRegistration: true,
	}
}

const rg, loc = "rg-net", "westeurope"

var poll = &runtime.PollUntilDoneOptions{Frequency: 20 * time.Millisecond}

// createVNet creates resource group rg and VNet "vnet" (10.1.0.0/16, VM
// subnet 10.1.1.0/24 and, if asked, GatewaySubnet 10.1.2.0/24) through the
// ARM API, as a user's other tooling would, and returns the VNet ID.
func (ls *labSim) createVNet(t *testing.T, gatewaySubnet bool) string {
	t.Helper()
	ctx := context.Background()
	cred, opts := ls.arm()
	sub := ls.env["ARM_SUBSCRIPTION_ID"]
	groups, _ := armresources.NewResourceGroupsClient(sub, cred, opts)
	if _, err := groups.CreateOrUpdate(ctx, rg, armresources.ResourceGroup{Location: new(loc)}, nil); err != nil {
		t.Fatalf("resource group: %v", err)
	}
	subnets := []*armnetwork.Subnet{{Name: new("vms"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new("10.1.1.0/24")}}}
	if gatewaySubnet {
		subnets = append(subnets, &armnetwork.Subnet{Name: new("GatewaySubnet"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new("10.1.2.0/24")}})
	}
	vnets, _ := armnetwork.NewVirtualNetworksClient(sub, cred, opts)
	vp, err := vnets.BeginCreateOrUpdate(ctx, rg, "vnet", armnetwork.VirtualNetwork{Location: new(loc),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new("10.1.0.0/16")}}, Subnets: subnets}}, nil)
	if err != nil {
		t.Fatalf("VNet: %v", err)
	}
	vnet, err := vp.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatalf("VNet: %v", err)
	}
	return *vnet.ID
}

// probe returns the lab's probe host in subnet, waiting for the lab to build.
func (ls *labSim) probe(t *testing.T, subnet string) lab.Host {
	t.Helper()
	var h lab.Host
	eventually(t, 30*time.Second, "probe host in "+subnet, func() bool {
		l := ls.plane.Lab()
		if l == nil {
			return false
		}
		var ok bool
		h, ok = l.Probe(netip.MustParsePrefix(subnet))
		return ok
	})
	return h
}

// ping runs ping in a namespace; ok reports whether replies came back.
func ping(ns, to string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := lab.InNS(ctx, ns, "ping", "-c", "2", "-i", "0.3", "-W", "2", to)
	return out, err == nil
}

// eventually polls cond every 200ms until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testLogger sends the plane's log lines to t.Log.
func testLogger(t *testing.T) *slog.Logger { return slog.New(slog.NewTextHandler(tWriter{t}, nil)) }

type tWriter struct{ t *testing.T }

func (w tWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
