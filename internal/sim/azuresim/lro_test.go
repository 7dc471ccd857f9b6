package azuresim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// raw sends one request with the test token.
func (f *fixture) raw(method, path, body string) *http.Response {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+"/azure"+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const netAPI = "?api-version=2025-05-01"

func rgPath(rg string) string {
	return "/subscriptions/" + SubscriptionID + "/resourceGroups/" + rg + "/providers/Microsoft.Network/"
}

func TestPutReturns201WithAbsoluteAsyncHeaderThen200OnUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	body := `{"location":"westeurope","sku":{"name":"Standard"},"properties":{"publicIPAllocationMethod":"Static"}}`
	resp := f.raw(http.MethodPut, rgPath("rg")+"publicIPAddresses/pip"+netAPI, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d, want 201", resp.StatusCode)
	}
	async := resp.Header.Get("Azure-AsyncOperation")
	wantPrefix := f.url + "/azure/subscriptions/" + SubscriptionID + "/providers/Microsoft.Network/locations/westeurope/operations/"
	if !strings.HasPrefix(async, wantPrefix) || !strings.HasSuffix(async, "?api-version=2025-05-01") {
		t.Errorf("Azure-AsyncOperation = %q, want absolute under %q", async, wantPrefix)
	}
	if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || n < 1 {
		t.Errorf("Retry-After = %q, want an integer >= 1", resp.Header.Get("Retry-After"))
	}
	var pip armnetwork.PublicIPAddress
	if err := json.NewDecoder(resp.Body).Decode(&pip); err != nil {
		t.Fatal(err)
	}
	if got := *pip.Properties.ProvisioningState; got != armnetwork.ProvisioningStateUpdating {
		t.Errorf("provisioningState = %s, want Updating", got)
	}
	if ip := deref(pip.Properties.IPAddress); !strings.HasPrefix(ip, "198.51.100.") {
		t.Errorf("ipAddress = %q, want one from 198.51.100.0/24", ip)
	}
	time.Sleep(5 * time.Millisecond) // 10 s x 0.0001
	st := f.raw(http.MethodGet, strings.TrimPrefix(async, f.url+"/azure"), "")
	var status map[string]any
	_ = json.NewDecoder(st.Body).Decode(&status)
	if status["status"] != "Succeeded" {
		t.Errorf("operation status = %v, want Succeeded", status)
	}
	if resp := f.raw(http.MethodPut, rgPath("rg")+"publicIPAddresses/pip"+netAPI, body); resp.StatusCode != http.StatusOK {
		t.Errorf("update: status %d, want 200", resp.StatusCode)
	}
}

func TestGatewayCreateShowsUpdatingUntilDone(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(e *simenv.Env) { e.Clock.Scale = 0.0001 })
	f.group("rg")
	v := f.vnet("rg", "vnet", "10.1.0.0/16", subnet("GatewaySubnet", "10.1.255.0/27"))
	pip := f.pip("rg", "pip", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	gws := f.net.NewVirtualNetworkGatewaysClient()
	p, err := gws.BeginCreateOrUpdate(ctx, "rg", "gw", gatewayBody(armnetwork.VirtualNetworkGatewaySKUNameVPNGw1AZ, *v.ID+"/subnets/GatewaySubnet", *pip.ID), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := gws.Get(ctx, "rg", "gw", nil) // 45 min x 0.0001 = 270 ms: still running
	if err != nil {
		t.Fatal(err)
	}
	if s := *got.Properties.ProvisioningState; s != armnetwork.ProvisioningStateUpdating {
		t.Errorf("during create: provisioningState %s, want Updating", s)
	}
	start := time.Now()
	res, err := p.PollUntilDone(ctx, poll)
	if err != nil {
		t.Fatal(err)
	}
	if s := *res.Properties.ProvisioningState; s != armnetwork.ProvisioningStateSucceeded {
		t.Errorf("after create: provisioningState %s, want Succeeded", s)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("gateway finished after %v; 45 min x 0.0001 is 270 ms", el)
	}
	if asn := deref(res.Properties.BgpSettings.Asn); asn != 65515 {
		t.Errorf("bgpSettings.asn = %d, want 65515", asn)
	}
	if a := deref(res.Properties.BgpSettings.BgpPeeringAddress); a != "10.1.255.30" {
		t.Errorf("bgpPeeringAddress = %s, want 10.1.255.30 (top of GatewaySubnet)", a)
	}
}

func TestDeleteReturns202ThenResourceIs404(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(e *simenv.Env) { e.Clock.Scale = 0.01 }) // delete takes 100 ms
	f.group("rg")
	f.pip("rg", "pip", armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic)
	resp := f.raw(http.MethodDelete, rgPath("rg")+"publicIPAddresses/pip"+netAPI, "")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("delete: status %d, want 202", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, f.url+"/azure/") || !strings.Contains(loc, "/operationResults/") {
		t.Errorf("Location = %q, want an absolute operationResults URL", loc)
	}
	if resp.Header.Get("Azure-AsyncOperation") == "" {
		t.Error("delete has no Azure-AsyncOperation header")
	}
	got, err := f.net.NewPublicIPAddressesClient().Get(ctx, "rg", "pip", nil)
	if err != nil || *got.Properties.ProvisioningState != armnetwork.ProvisioningStateDeleting {
		t.Errorf("during delete: %v %v, want Deleting", err, got.Properties)
	}
	if r := f.raw(http.MethodGet, strings.TrimPrefix(loc, f.url+"/azure"), ""); r.StatusCode != http.StatusAccepted {
		t.Errorf("Location while running: %d, want 202", r.StatusCode)
	}
	time.Sleep(150 * time.Millisecond)
	if r := f.raw(http.MethodGet, strings.TrimPrefix(loc, f.url+"/azure"), ""); r.StatusCode != http.StatusNoContent {
		t.Errorf("Location when done: %d, want 204", r.StatusCode)
	}
	_, err = f.net.NewPublicIPAddressesClient().Get(ctx, "rg", "pip", nil)
	if code := armCode(t, err); code != "ResourceNotFound" {
		t.Errorf("after delete: %s, want ResourceNotFound", code)
	}
	if r := f.raw(http.MethodDelete, rgPath("rg")+"publicIPAddresses/pip"+netAPI, ""); r.StatusCode != http.StatusNoContent {
		t.Errorf("second delete: %d, want 204", r.StatusCode)
	}
}

func TestSDKDeleteFlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.stack("rg", armnetwork.VirtualNetworkGatewaySKUNameVPNGw1AZ)
	p, err := f.net.NewLocalNetworkGatewaysClient().BeginDelete(ctx, "rg", "hetzner", nil)
	done(t, p, err)
	_, err = f.net.NewLocalNetworkGatewaysClient().Get(ctx, "rg", "hetzner", nil)
	if code := armCode(t, err); code != "ResourceNotFound" {
		t.Errorf("after delete: %s, want ResourceNotFound", code)
	}
}

func TestFailedLROSurfacesAsResponseError(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(e *simenv.Env) { e.Faults = &simenv.Faults{LROFailureRate: 1, Seed: 1} })
	f.group("rg")
	pips := f.net.NewPublicIPAddressesClient()
	p, err := pips.BeginCreateOrUpdate(ctx, "rg", "pip", pipBody(armnetwork.PublicIPAddressSKUNameStandard, armnetwork.IPAllocationMethodStatic), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.PollUntilDone(ctx, poll)
	if code := armCode(t, err); code != "InternalServerError" {
		t.Errorf("error code %q, want InternalServerError", code)
	}
	got, err := pips.Get(ctx, "rg", "pip", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := *got.Properties.ProvisioningState; s != armnetwork.ProvisioningStateFailed {
		t.Errorf("provisioningState %s, want Failed", s)
	}
}

func TestOperationStatusUnknownIs404(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp := f.raw(http.MethodGet, "/subscriptions/"+SubscriptionID+"/providers/Microsoft.Network/locations/westeurope/operations/nope"+netAPI, "")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), "OperationNotFound") {
		t.Errorf("got %d %s", resp.StatusCode, b)
	}
}
