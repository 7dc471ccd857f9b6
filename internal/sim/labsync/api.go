package labsync

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// AgentEndpoint is the Hetzner Cloud API endpoint as a lab gateway sees it:
// the lab serves it inside its internet namespace (lab.APIAddr), where a
// real gateway would reach https://api.hetzner.cloud/v1. A highly available
// link's failover agents are configured with it in lab runs.
const AgentEndpoint = "http://" + lab.APIAddr + sim.HCloudPrefix

// HCloudAPI is the handler the lab serves at lab.APIAddr: a proxy to the
// emulator's own listener at baseURL, so the agents' requests pass the same
// token check, fault injection, request log and statistics as the
// provider's. Only the Hetzner API is forwarded: a gateway has no business
// with ARM or the emulator's /_sim/ endpoints.
func HCloudAPI(baseURL string) (http.Handler, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the emulator's base URL %q: not an absolute URL (%v)", baseURL, err)
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	mux := http.NewServeMux()
	mux.Handle(sim.HCloudPrefix+"/", proxy)
	return mux, nil
}
