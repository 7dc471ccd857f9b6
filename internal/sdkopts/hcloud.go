package sdkopts

import (
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// HCloud is what an hcloud-go client is built from. Zero fields keep
// hcloud-go's defaults, so a tool that only seeds an emulator names just
// the endpoint and the token.
type HCloud struct {
	// Endpoint is the API base URL; empty: hcloud.Endpoint. The caller
	// checks it first (the provider with clients.ParseEndpoint).
	Endpoint string
	Token    string
	// Poll is the constant pause between polls of a running action.
	Poll time.Duration
	// Retry is how rate-limited and transient failures are retried.
	Retry *hcloud.RetryOpts
	// Application and Version go into the User-Agent.
	Application, Version string
}

// Options returns the hcloud-go client options.
func (h HCloud) Options() []hcloud.ClientOption {
	opts := []hcloud.ClientOption{hcloud.WithToken(h.Token)}
	if h.Endpoint != "" {
		opts = append(opts, hcloud.WithEndpoint(h.Endpoint))
	}
	if h.Application != "" {
		opts = append(opts, hcloud.WithApplication(h.Application, h.Version))
	}
	if h.Poll > 0 {
		opts = append(opts, hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(h.Poll)}))
	}
	if h.Retry != nil {
		opts = append(opts, hcloud.WithRetryOpts(*h.Retry))
	}
	return opts
}

// Client builds the hcloud-go client. No request is made.
func (h HCloud) Client() *hcloud.Client { return hcloud.NewClient(h.Options()...) }
