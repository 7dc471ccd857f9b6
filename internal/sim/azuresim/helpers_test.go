package azuresim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

const testToken = "test-token"

// staticCred is the azcore.TokenCredential the tests hand the SDK.
type staticCred string

func (c staticCred) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(c), ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// fixture is one emulator behind httptest, mounted under /azure the way
// crosscloud-sim mounts it, with real SDK clients pointed at it.
type fixture struct {
	t   testing.TB
	env *simenv.Env
	srv *Server
	url string
	net *armnetwork.ClientFactory
	rgs *armresources.ResourceGroupsClient
}

func newFixture(t testing.TB, setup ...func(*simenv.Env)) *fixture {
	t.Helper()
	return newFixtureOpts(t, nil, setup...)
}

func newFixtureOpts(t testing.TB, opts []Option, setup ...func(*simenv.Env)) *fixture {
	t.Helper()
	env := &simenv.Env{Clock: &simenv.Clock{Scale: 0.0001}, Stats: &simenv.Stats{}, Token: testToken}
	for _, f := range setup {
		f(env)
	}
	srv := New(env, opts...)
	mux := http.NewServeMux()
	mux.Handle("/azure/", http.StripPrefix("/azure", srv))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	env.BaseURL = hs.URL
	f := &fixture{t: t, env: env, srv: srv, url: hs.URL}
	f.net, f.rgs = f.clients(staticCred(testToken))
	return f
}

func (f *fixture) clientOptions() *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: policy.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: "https://login.invalid/",
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Endpoint: f.url + "/azure", Audience: "https://management.core.windows.net/"},
			},
		},
		InsecureAllowCredentialWithHTTP: true,
		Retry:                           policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: 50 * time.Millisecond},
	}}
}

func (f *fixture) clients(cred azcore.TokenCredential) (*armnetwork.ClientFactory, *armresources.ResourceGroupsClient) {
	f.t.Helper()
	n, err := armnetwork.NewClientFactory(SubscriptionID, cred, f.clientOptions())
	if err != nil {
		f.t.Fatal(err)
	}
	rc, err := armresources.NewResourceGroupsClient(SubscriptionID, cred, f.clientOptions())
	if err != nil {
		f.t.Fatal(err)
	}
	return n, rc
}

var poll = &runtime.PollUntilDoneOptions{Frequency: time.Millisecond}

// done waits for an LRO and fails the test on error.
func done[T any](t testing.TB, p *runtime.Poller[T], err error) T {
	t.Helper()
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	res, err := p.PollUntilDone(context.Background(), poll)
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return res
}

// armCode returns the ARM error code of err (and fails when it is no
// *azcore.ResponseError).
func armCode(t testing.TB, err error) string {
	t.Helper()
	return responseError(t, err).ErrorCode
}

// responseError is err as the SDK's *azcore.ResponseError, failing the
// test when it is none: armCode and status read it.
func responseError(t testing.TB, err error) *azcore.ResponseError {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want *azcore.ResponseError, got %T: %v", err, err)
	}
	return re
}

var ctx = context.Background()

func (f *fixture) group(name string) {
	f.t.Helper()
	if _, err := f.rgs.CreateOrUpdate(ctx, name, armresources.ResourceGroup{Location: new("westeurope")}, nil); err != nil {
		f.t.Fatal(err)
	}
}

func subnet(name, prefix string) *armnetwork.Subnet {
	return &armnetwork.Subnet{Name: new(name), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new(prefix)}}
}

func vnetBody(space string, subnets ...*armnetwork.Subnet) armnetwork.VirtualNetwork {
	return armnetwork.VirtualNetwork{Location: new("westeurope"), Properties: &armnetwork.VirtualNetworkPropertiesFormat{
		AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new(space)}}, Subnets: subnets}}
}

func (f *fixture) vnet(rg, name, space string, subnets ...*armnetwork.Subnet) armnetwork.VirtualNetwork {
	f.t.Helper()
	p, err := f.net.NewVirtualNetworksClient().BeginCreateOrUpdate(ctx, rg, name, vnetBody(space, subnets...), nil)
	return done(f.t, p, err).VirtualNetwork
}

// pipBody is a public IP in westeurope; a Standard one is zone-redundant,
// as an AZ SKU gateway there needs (gateways.go, checkGatewayZones).
func pipBody(sku armnetwork.PublicIPAddressSKUName, alloc armnetwork.IPAllocationMethod) armnetwork.PublicIPAddress {
	p := armnetwork.PublicIPAddress{Location: new("westeurope"), SKU: &armnetwork.PublicIPAddressSKU{Name: new(sku)},
		Properties: &armnetwork.PublicIPAddressPropertiesFormat{PublicIPAllocationMethod: new(alloc)}}
	if sku == armnetwork.PublicIPAddressSKUNameStandard {
		p.Zones = []*string{new("1"), new("2"), new("3")}
	}
	return p
}

func (f *fixture) pip(rg, name string, sku armnetwork.PublicIPAddressSKUName, alloc armnetwork.IPAllocationMethod) armnetwork.PublicIPAddress {
	f.t.Helper()
	p, err := f.net.NewPublicIPAddressesClient().BeginCreateOrUpdate(ctx, rg, name, pipBody(sku, alloc), nil)
	return done(f.t, p, err).PublicIPAddress
}

func gatewayBody(sku armnetwork.VirtualNetworkGatewaySKUName, subnetID, pipID string) armnetwork.VirtualNetworkGateway {
	return armnetwork.VirtualNetworkGateway{Location: new("westeurope"), Properties: &armnetwork.VirtualNetworkGatewayPropertiesFormat{
		GatewayType: new(armnetwork.VirtualNetworkGatewayTypeVPN), VPNType: new(armnetwork.VPNTypeRouteBased),
		SKU: &armnetwork.VirtualNetworkGatewaySKU{Name: new(sku)},
		IPConfigurations: []*armnetwork.VirtualNetworkGatewayIPConfiguration{{Name: new("default"),
			Properties: &armnetwork.VirtualNetworkGatewayIPConfigurationPropertiesFormat{
				Subnet: &armnetwork.SubResource{ID: new(subnetID)}, PublicIPAddress: &armnetwork.SubResource{ID: new(pipID)}}}},
	}}
}

func lngBody(ip string, prefixes ...string) armnetwork.LocalNetworkGateway {
	var ps []*string
	for _, p := range prefixes {
		ps = append(ps, new(p))
	}
	return armnetwork.LocalNetworkGateway{Location: new("westeurope"), Properties: &armnetwork.LocalNetworkGatewayPropertiesFormat{
		GatewayIPAddress: new(ip), LocalNetworkAddressSpace: &armnetwork.AddressSpace{AddressPrefixes: ps}}}
}

func connBody(gwID, lngID, key string) armnetwork.VirtualNetworkGatewayConnection {
	return armnetwork.VirtualNetworkGatewayConnection{Location: new("westeurope"), Properties: &armnetwork.VirtualNetworkGatewayConnectionPropertiesFormat{
		ConnectionType:         new(armnetwork.VirtualNetworkGatewayConnectionTypeIPsec),
		VirtualNetworkGateway1: &armnetwork.VirtualNetworkGateway{ID: new(gwID)},
		LocalNetworkGateway2:   &armnetwork.LocalNetworkGateway{ID: new(lngID)},
		SharedKey:              new(key),
	}}
}

// stack is a provisioned gateway side: group, VNet with GatewaySubnet, public
// IP, gateway and local network gateway.
type stack struct {
	rg, vnetID, gwSubnetID, pipID, gwID, lngID string
}

func (f *fixture) stack(rg string, sku armnetwork.VirtualNetworkGatewaySKUName) stack {
	f.t.Helper()
	f.group(rg)
	v := f.vnet(rg, "vnet", "10.1.0.0/16", subnet("default", "10.1.1.0/24"), subnet("GatewaySubnet", "10.1.255.0/27"))
	pipSKU := armnetwork.PublicIPAddressSKUNameStandard
	if sku == armnetwork.VirtualNetworkGatewaySKUNameBasic {
		pipSKU = armnetwork.PublicIPAddressSKUNameBasic
	}
	pip := f.pip(rg, "gw-pip", pipSKU, armnetwork.IPAllocationMethodStatic)
	st := stack{rg: rg, vnetID: *v.ID, gwSubnetID: *v.ID + "/subnets/GatewaySubnet", pipID: *pip.ID}
	p, err := f.net.NewVirtualNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "gw", gatewayBody(sku, st.gwSubnetID, st.pipID), nil)
	st.gwID = *done(f.t, p, err).ID
	lp, err := f.net.NewLocalNetworkGatewaysClient().BeginCreateOrUpdate(ctx, rg, "hetzner", lngBody("203.0.113.10", "10.0.1.0/24"), nil)
	st.lngID = *done(f.t, lp, err).ID
	return st
}

func (f *fixture) connect(st stack, name, key string) armnetwork.VirtualNetworkGatewayConnection {
	f.t.Helper()
	p, err := f.net.NewVirtualNetworkGatewayConnectionsClient().BeginCreateOrUpdate(ctx, st.rg, name, connBody(st.gwID, st.lngID, key), nil)
	return done(f.t, p, err).VirtualNetworkGatewayConnection
}

// recorder is an EventSink for tests.
type recorder struct {
	mu  sync.Mutex
	evs []simenv.Event
}

func (r *recorder) Changed(ev simenv.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.evs {
		out = append(out, e.Kind)
	}
	return out
}

// eventually polls cond for up to five seconds.
func (f *fixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: still not true after 5 s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// status is the HTTP status of an ARM error (and fails when it is none).
func status(t testing.TB, err error) int {
	t.Helper()
	return responseError(t, err).StatusCode
}
