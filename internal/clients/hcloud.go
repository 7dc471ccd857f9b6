package clients

import (
	"errors"
	"fmt"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sdkopts"
)

// ApplicationName is the User-Agent product name sent to both clouds, so API
// logs and support tickets can tell crosscloud's requests apart.
const ApplicationName = "terraform-provider-crosscloud"

// DefaultHCloudPollInterval paces waits on Hetzner actions. One poll a second
// matches the rate at which the default 3600 requests/hour budget refills,
// so several concurrent waits do not drain the budget faster than it comes back.
const DefaultHCloudPollInterval = time.Second

// HCloudConfig is the provider's hcloud block after environment fallbacks.
type HCloudConfig struct {
	Token    string
	Endpoint string // empty: hcloud.Endpoint (https://api.hetzner.cloud/v1)
	// PollInterval is the pause between polls of a running action; zero means
	// DefaultHCloudPollInterval.
	PollInterval time.Duration
}

// ValidateHCloudToken rejects tokens that cannot go into an HTTP header.
// hcloud-go would otherwise fail every request with a vaguer message. The
// token itself is never included in the error.
func ValidateHCloudToken(token string) error {
	for i := 0; i < len(token); i++ {
		if c := token[i]; c <= ' ' || c >= 0x7f {
			return fmt.Errorf("the token contains a space, control or non-ASCII character at position %d; copy it again from the Hetzner Cloud Console", i+1)
		}
	}
	return nil
}

// NewHCloud builds the Hetzner Cloud client. No request is made: a token is
// checked by the API on first use, which keeps plans of data-source-only
// configurations offline.
func NewHCloud(cfg HCloudConfig, version string) (*hcloud.Client, error) {
	if cfg.Token == "" {
		return nil, errors.New("hcloud.token (or HCLOUD_TOKEN) is not set")
	}
	if err := ValidateHCloudToken(cfg.Token); err != nil {
		return nil, err
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = hcloud.Endpoint
	}
	if _, err := ParseEndpoint(endpoint); err != nil {
		return nil, err
	}
	poll := cfg.PollInterval
	if poll <= 0 {
		poll = DefaultHCloudPollInterval
	}
	return sdkopts.HCloud{
		Endpoint:    endpoint,
		Token:       cfg.Token,
		Application: ApplicationName,
		Version:     version,
		Poll:        poll,
		// Retries of rate-limited and transient failures: hcloud-go's own
		// handler, with jittered exponential backoff capped at a minute.
		Retry: &hcloud.RetryOpts{
			BackoffFunc: hcloud.ExponentialBackoffWithOpts(hcloud.ExponentialBackoffOpts{
				Base: time.Second, Multiplier: 2, Cap: time.Minute, Jitter: true,
			}),
			MaxRetries: 5,
		},
	}.Client(), nil
}
