package lab

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// A highly available Hetzner side moves its Floating IP and its network
// route itself: the gateway that becomes active calls the Hetzner Cloud API
// from the server (docs/facts/hetzner.md, "Floating IP failover"). On
// Hetzner that API is on the internet; in the lab nothing has a route out,
// so the emulator's API is served inside the internet namespace, next to
// the Debian mirror, and a gateway reaches it over its public interface
// exactly as a real one reaches api.hetzner.cloud. The handler is whatever
// the caller passes (the emulator's own listener behind a proxy, so the
// agents' requests are counted, logged and faulted like the provider's).

// APIAddr is where the lab serves Topology.API inside the internet
// namespace (TEST-NET-1, RFC 5737, next to MirrorAddr).
const APIAddr = "192.0.2.2"

// startAPI serves h on APIAddr:80 inside the internet namespace.
func (l *Lab) startAPI(ctx context.Context, h http.Handler) (err error) {
	l.apiSrv, err = l.serveInternet(ctx, APIAddr, "the lab's cloud API", h)
	return err
}

// serveInternet serves h on addr:80 inside the internet namespace, the way
// the lab's two services (the Debian mirror and the cloud API) are
// reachable from every server: addr on the namespace's loopback, which the
// servers' default routes reach over the internet bridge.
func (l *Lab) serveInternet(ctx context.Context, addr, what string, h http.Handler) (*http.Server, error) {
	if err := AddAddr(ctx, l.inet, "lo", addr+"/32"); err != nil {
		return nil, err
	}
	var ln net.Listener
	err := InNetNS(l.inet, func() (err error) {
		ln, err = net.Listen("tcp4", addr+":80")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, nil
}
