package clients

import (
	"fmt"
	"net/url"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sdkopts"
)

// ParseEndpoint checks an API base URL from the provider configuration.
// It must be absolute http(s) with a host. Plain http is accepted only on a
// loopback address: API tokens travel in the Authorization header, and the
// only legitimate plain-http API is a local emulator (crosscloud-sim).
func ParseEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("%q must start with https:// (or http:// for a loopback emulator)", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%q must not contain credentials; use the token attributes instead", redactUserinfo(u))
	}
	if u.Scheme == "http" && !sdkopts.IsLoopbackHTTP(u) {
		return nil, fmt.Errorf("%q uses plain http on a non-loopback host, which would send the API token in clear text; use https:// (plain http is allowed only for 127.0.0.0/8, ::1 and localhost)", raw)
	}
	return u, nil
}

func redactUserinfo(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}
