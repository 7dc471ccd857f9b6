package azuresim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := f.url + "/azure/subscriptions/" + SubscriptionID + "/resourcegroups/rg?api-version=2021-04-01"
	for _, tt := range []struct{ name, header, code string }{
		{"no header", "", "AuthenticationFailed"},
		{"not bearer", "Basic abc", "AuthenticationFailed"},
		{"wrong token", "Bearer nope", "InvalidAuthenticationToken"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct{ Error armError }
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != http.StatusUnauthorized || body.Error.Code != tt.code {
				t.Errorf("got %d %q, want 401 %s", resp.StatusCode, body.Error.Code, tt.code)
			}
			if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer ") || strings.Contains(h, "claims") {
				t.Errorf("WWW-Authenticate %q: want a Bearer challenge without claims (no CAE loop)", h)
			}
		})
	}
	// The SDK with a wrong token gets a ResponseError, not a hang.
	_, rgs := f.clients(staticCred("wrong"))
	_, err := rgs.Get(ctx, "rg", nil)
	if code := armCode(t, err); code != "InvalidAuthenticationToken" {
		t.Errorf("SDK: %s", code)
	}
}

func TestAPIVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	sub := "/subscriptions/" + SubscriptionID
	for _, tt := range []struct {
		path   string
		status int
		code   string
	}{
		{sub + "/resourcegroups/rg?api-version=2021-04-01", 200, ""},
		{sub + "/resourcegroups/rg?api-version=2025-05-01", 400, "InvalidApiVersionParameter"},
		{sub + "/resourcegroups/rg", 400, "MissingApiVersionParameter"},
		{rgPath("rg") + "virtualNetworks?api-version=2025-05-01", 200, ""},
		{rgPath("rg") + "virtualNetworks?api-version=2025-01-01", 200, ""},
		{rgPath("rg") + "virtualNetworks?api-version=2024-05-01", 200, ""},
		{rgPath("rg") + "virtualNetworks?api-version=2023-09-01", 400, "NoRegisteredProviderFound"},
		{rgPath("rg") + "virtualNetworks?api-version=2021-04-01", 400, "NoRegisteredProviderFound"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			f.t = t
			resp := f.raw(http.MethodGet, tt.path, "")
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.code) {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, b, tt.status, tt.code)
			}
		})
	}
}

func TestPathsAreCaseInsensitive(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("RG-Net")
	f.vnet("RG-Net", "vnet", "10.1.0.0/16")
	resp := f.raw(http.MethodGet, "/SUBSCRIPTIONS/"+SubscriptionID+"/resourcegroups/rg-net/providers/microsoft.network/virtualnetworks/VNET?api-version=2025-05-01", "")
	var v armnetwork.VirtualNetwork
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	want := "/subscriptions/" + SubscriptionID + "/resourceGroups/RG-Net/providers/Microsoft.Network/virtualNetworks/vnet"
	if deref(v.ID) != want {
		t.Errorf("id %s, want %s", deref(v.ID), want)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, faults string
		status       int
		code         string
	}{
		{"server error", "error_rate=1", 500, "InternalServerError"},
		{"rate limit", "rate_limit_rate=1", 429, "TooManyRequests"},
		{"drop", "drop_rate=1", 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			faults, err := simenv.ParseFaults(tt.faults)
			if err != nil {
				t.Fatal(err)
			}
			f := newFixture(t, func(e *simenv.Env) { e.Faults = faults })
			req, _ := http.NewRequest(http.MethodPut, f.url+"/azure/subscriptions/"+SubscriptionID+"/resourcegroups/rg?api-version=2021-04-01", strings.NewReader(`{"location":"westeurope"}`))
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := http.DefaultClient.Do(req)
			if tt.status == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("dropped request answered %d", resp.StatusCode)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body struct{ Error armError }
				_ = json.NewDecoder(resp.Body).Decode(&body)
				if resp.StatusCode != tt.status || body.Error.Code != tt.code || resp.Header.Get("Retry-After") == "" {
					t.Errorf("got %d %q Retry-After=%q", resp.StatusCode, body.Error.Code, resp.Header.Get("Retry-After"))
				}
			}
			s := f.env.Stats.Snapshot()
			if s.MutationsTotal != 0 || len(f.srv.Resources()) != 0 {
				t.Errorf("a faulted request changed state: %+v", s)
			}
			if tt.status == 429 && s.RateLimitedTotal != 1 {
				t.Errorf("rate_limited_total %d, want 1", s.RateLimitedTotal)
			}
		})
	}
}

func TestSDKRetriesThroughRateLimits(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(e *simenv.Env) { e.Faults = &simenv.Faults{RateLimitRate: 0.3, Seed: 7} })
	f.group("rg") // the SDK's retry policy honours retry-after-ms and retries
	got, err := f.rgs.Get(ctx, "rg", nil)
	if err != nil || deref(got.Name) != "rg" {
		t.Fatalf("%v", err)
	}
	if n := f.env.Stats.Snapshot().RateLimitedTotal; n == 0 {
		t.Error("seed 7 produced no 429; the test proves nothing")
	}
}

func TestResourceGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, err := f.rgs.CheckExistence(ctx, "rg", nil)
	if err != nil || resp.Success {
		t.Errorf("missing group exists: %v %v", resp.Success, err)
	}
	f.group("rg")
	if resp, _ := f.rgs.CheckExistence(ctx, "RG", nil); !resp.Success {
		t.Error("created group does not exist")
	}
	st := f.stack("rg", "VpnGw1AZ")
	f.connect(st, "conn", "Secret123")
	p, err := f.rgs.BeginDelete(ctx, "rg", nil)
	done(t, p, err)
	if _, err := f.rgs.Get(ctx, "rg", nil); armCode(t, err) != "ResourceGroupNotFound" {
		t.Errorf("group still there: %v", err)
	}
	if res := f.srv.Resources(); len(res) != 0 {
		t.Errorf("resources left after group delete: %v", res)
	}
}

func TestParallelCreatesAreConsistent(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	f.vnet("rg", "vnet", "10.1.0.0/16")
	pips := f.net.NewPublicIPAddressesClient()
	subnets := f.net.NewSubnetsClient()
	const n = 16
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		ips       = map[string]bool{}
		conflicts int
		subnetOK  int
	)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			p, err := pips.BeginCreateOrUpdate(ctx, "rg", fmt.Sprintf("pip%d", i), pipBody("Standard", "Static"), nil)
			if err != nil {
				t.Error(err)
				return
			}
			res, err := p.PollUntilDone(ctx, poll)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ips[deref(res.Properties.IPAddress)] = true
			mu.Unlock()
		}()
		go func() {
			defer wg.Done()
			_, err := subnets.BeginCreateOrUpdate(ctx, "rg", "vnet", fmt.Sprintf("s%d", i), *subnet(fmt.Sprintf("s%d", i), fmt.Sprintf("10.1.%d.0/24", i)), nil)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				subnetOK++
			} else if armCode(t, err) == "AnotherOperationInProgress" {
				conflicts++
			}
		}()
	}
	wg.Wait()
	if len(ips) != n {
		t.Errorf("%d distinct public IPs for %d parallel creates", len(ips), n)
	}
	if subnetOK < 1 || subnetOK+conflicts != n {
		t.Errorf("subnets: %d accepted, %d AnotherOperationInProgress, want the rest refused", subnetOK, conflicts)
	}
}

func TestStateRoundTripResumesOperations(t *testing.T) {
	t.Parallel()
	f := newFixtureOpts(t, []Option{WithGatewayCreateDuration(time.Minute)}, func(e *simenv.Env) { e.Clock.Scale = 0.001 })
	st := f.stack("rg", "VpnGw1AZ")
	f.connect(st, "conn", "Secret123")
	if _, err := f.net.NewVirtualNetworkGatewaysClient().BeginReset(ctx, "rg", "gw", nil); err != nil { // 2 min x 0.001 = 120 ms
		t.Fatal(err)
	}
	b, err := f.srv.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	g := newFixture(t)
	if err := g.srv.UnmarshalState(b); err != nil {
		t.Fatal(err)
	}
	if a, b := f.srv.Resources(), g.srv.Resources(); fmt.Sprint(a) != fmt.Sprint(b) || len(a) != 8 {
		t.Errorf("resources after round trip:\n%v\nwant\n%v", b, a)
	}
	gws := g.net.NewVirtualNetworkGatewaysClient()
	if gw, err := gws.Get(ctx, "rg", "gw", nil); err != nil || *gw.Properties.ProvisioningState != armnetwork.ProvisioningStateUpdating {
		t.Errorf("reset in flight after round trip: %v %v", err, gw.Properties)
	}
	conn, err := g.net.NewVirtualNetworkGatewayConnectionsClient().Get(ctx, "rg", "conn", nil)
	if err != nil || deref(conn.Properties.SharedKey) != "Secret123" || *conn.Properties.ConnectionStatus != "Connecting" {
		t.Errorf("connection while its gateway resets: %v %+v", err, conn.Properties)
	}
	time.Sleep(150 * time.Millisecond)
	if gw, err := gws.Get(ctx, "rg", "gw", nil); err != nil || *gw.Properties.ProvisioningState != armnetwork.ProvisioningStateSucceeded {
		t.Errorf("restored reset did not finish: %v %v", err, gw.Properties)
	}
	for _, bad := range []string{`{}`, `[]`, `{"resourceGroups":null}`} {
		if err := g.srv.UnmarshalState([]byte(bad)); err == nil {
			t.Errorf("state %s was accepted", bad)
		}
	}
}

func BenchmarkGetVirtualNetwork(b *testing.B) {
	f := newFixture(b)
	f.group("rg")
	f.vnet("rg", "vnet", "10.1.0.0/16", subnet("default", "10.1.1.0/24"), subnet("GatewaySubnet", "10.1.255.0/27"))
	vnets := f.net.NewVirtualNetworksClient()
	b.ResetTimer()
	for b.Loop() {
		if _, err := vnets.Get(ctx, "rg", "vnet", nil); err != nil {
			b.Fatal(err)
		}
	}
}
