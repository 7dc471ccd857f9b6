// Package sdkopts builds what the cloud SDKs' clients are configured with:
// ARM client options (which cloud, which Resource Manager endpoint, how to
// retry), a static bearer-token credential, and hcloud-go client options.
//
// It imports only the SDKs. That is why it exists apart from
// internal/clients: the provider (internal/clients), the harness, the demo
// and the emulator's test helpers (internal/sim/simtest) all point SDK
// clients at a cloud, and they share this one builder without the emulator
// importing the product. It holds no rule of how the clouds behave (those
// the emulator must keep as its own, independent translation), only how a
// client is pointed at one.
package sdkopts

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// AzureEnvironments are the Azure clouds known here, by the names
// ARM_ENVIRONMENT uses in the azurerm provider.
var AzureEnvironments = []string{"public", "usgovernment", "china"}

// AzureCloud returns a fresh cloud.Configuration for an environment name
// (empty means public). It never returns azcore's package-level values,
// whose maps are shared and would leak an endpoint override into other clients.
func AzureCloud(environment string) (cloud.Configuration, error) {
	var authority, endpoint, audience string
	switch strings.ToLower(environment) {
	case "", "public":
		authority, endpoint, audience = "https://login.microsoftonline.com/", "https://management.azure.com", "https://management.core.windows.net/"
	case "usgovernment":
		authority, endpoint, audience = "https://login.microsoftonline.us/", "https://management.usgovcloudapi.net", "https://management.core.usgovcloudapi.net/"
	case "china":
		authority, endpoint, audience = "https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/"
	default:
		return cloud.Configuration{}, fmt.Errorf("unknown Azure environment %q; use one of %s", environment, strings.Join(AzureEnvironments, ", "))
	}
	return cloud.Configuration{
		ActiveDirectoryAuthorityHost: authority,
		Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
			cloud.ResourceManager: {Endpoint: endpoint, Audience: audience},
		},
	}, nil
}

// ARM is what ARM client options are built from. Each user picks its own
// retries: the provider rides out minutes of throttling, a test helper
// polls an emulator at test speed.
type ARM struct {
	// Cloud is the Azure cloud (AzureCloud); the zero value means public.
	// Options copies it, so one value may serve many clients.
	Cloud cloud.Configuration
	// Endpoint, when set, replaces the cloud's Resource Manager endpoint and
	// keeps its token audience: a private endpoint, or crosscloud-sim at
	// http://127.0.0.1:PORT/azure. The caller checks it first (the
	// provider with clients.ParseEndpoint; the emulator's env file holds a
	// loopback URL).
	Endpoint string
	// Retry is azcore's retry policy (it honours Retry-After).
	Retry policy.RetryOptions
	// ApplicationID goes into the User-Agent; empty: azcore's default.
	ApplicationID string
	// DisableRPRegistration turns off azcore's automatic registration of
	// resource providers: tools that drive crosscloud-sim set it, because
	// the emulator has nothing to register.
	DisableRPRegistration bool
}

// Options builds the ARM client options.
func (a ARM) Options() *arm.ClientOptions {
	cc := copyCloud(a.Cloud)
	opts := &arm.ClientOptions{DisableRPRegistration: a.DisableRPRegistration}
	if a.Endpoint != "" {
		rm := cc.Services[cloud.ResourceManager]
		rm.Endpoint = strings.TrimRight(a.Endpoint, "/")
		u, err := url.Parse(a.Endpoint)
		if err == nil {
			rm.Endpoint = strings.TrimRight(u.String(), "/")
		}
		cc.Services[cloud.ResourceManager] = rm
		// azcore refuses to put a bearer token on a plain-http request. The
		// local emulator (crosscloud-sim) serves plain http on loopback, and a
		// token that never leaves the machine cannot be sniffed, so allow it
		// there and nowhere else.
		opts.InsecureAllowCredentialWithHTTP = err == nil && IsLoopbackHTTP(u)
	}
	opts.Cloud = cc
	opts.Retry = a.Retry
	opts.Telemetry = policy.TelemetryOptions{ApplicationID: a.ApplicationID}
	return opts
}

// copyCloud returns c with its own Services map, or the public cloud for
// the zero value, so that an endpoint override never writes into a map
// another client holds.
func copyCloud(c cloud.Configuration) cloud.Configuration {
	if c.ActiveDirectoryAuthorityHost == "" && len(c.Services) == 0 {
		c, _ = AzureCloud("public")
		return c
	}
	services := make(map[cloud.ServiceName]cloud.ServiceConfiguration, len(c.Services))
	for k, v := range c.Services {
		services[k] = v
	}
	c.Services = services
	return c
}

// IsLoopbackHTTP reports whether u is plain http to this machine. Only then
// may a credential be sent without TLS: the traffic never leaves the host.
// Host names other than "localhost" are refused even if they resolve to a
// loopback address, because resolution can change after the check.
func IsLoopbackHTTP(u *url.URL) bool {
	if u == nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return addr.Unmap().IsLoopback()
}
