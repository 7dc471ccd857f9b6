// Package azure is the thin adapter between crosscloud's resources and the
// Azure SDK (armnetwork): idempotent ensure / observe / delete steps for the
// VPN side of a link. It knows ARM's habits (long-running operations, adopt
// by name, not-found on delete is success) and nothing about Terraform.
package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// Tag keys that mark what a link created, so a re-run adopts its own
// resources and never takes over someone else's of the same name.
const (
	TagLink      = "crosscloud-link"
	TagManagedBy = "managed-by"
	ManagedBy    = "terraform-provider-crosscloud"
)

// DefaultPollFrequency is how often a long-running operation is polled when
// ARM sends no Retry-After. Gateways take 30-45 minutes; polling faster than
// this only spends the subscription's read budget.
const DefaultPollFrequency = 10 * time.Second

// maxLROAttempts bounds how often a PUT whose operation ended Failed is
// re-driven. A transient provisioning failure is fixed by repeating the PUT
// (ARM's documented remedy); a persistent one must surface to the user.
const maxLROAttempts = 3

// Client wraps one subscription's network clients.
type Client struct {
	SubscriptionID string
	// PollFrequency is the polling interval when ARM gives no Retry-After.
	PollFrequency time.Duration

	gateways    *armnetwork.VirtualNetworkGatewaysClient
	connections *armnetwork.VirtualNetworkGatewayConnectionsClient
	lngs        *armnetwork.LocalNetworkGatewaysClient
	publicIPs   *armnetwork.PublicIPAddressesClient
	vnets       *armnetwork.VirtualNetworksClient
	subnets     *armnetwork.SubnetsClient
	providers   *armresources.ProvidersClient

	zonesMu sync.Mutex
	zones   map[string][]string // normalized location -> public IP zones
}

// New builds the adapter from the provider's configured credential.
func New(subscriptionID string, cred azcore.TokenCredential, opts *arm.ClientOptions) (*Client, error) {
	f, err := armnetwork.NewClientFactory(subscriptionID, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("azure: building network clients: %w", err)
	}
	pc, err := armresources.NewProvidersClient(subscriptionID, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("azure: building the resource provider client: %w", err)
	}
	return &Client{
		SubscriptionID: subscriptionID,
		PollFrequency:  DefaultPollFrequency,
		gateways:       f.NewVirtualNetworkGatewaysClient(),
		connections:    f.NewVirtualNetworkGatewayConnectionsClient(),
		lngs:           f.NewLocalNetworkGatewaysClient(),
		publicIPs:      f.NewPublicIPAddressesClient(),
		vnets:          f.NewVirtualNetworksClient(),
		subnets:        f.NewSubnetsClient(),
		providers:      pc,
	}, nil
}

// Tags returns the ownership tags for a link's resources.
func Tags(link string) map[string]*string {
	return map[string]*string{TagLink: &link, TagManagedBy: ptr(ManagedBy)}
}

// ownedBy reports whether tags mark the resource as created by link.
func ownedBy(tags map[string]*string, link string) bool {
	v, ok := tags[TagLink]
	return ok && v != nil && *v == link
}

// NotOwnedError says a resource with the name a link wants already exists
// and was not created by that link; adopting it would hand someone else's
// resource to `terraform destroy`.
type NotOwnedError struct{ Kind, ID, Link string }

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("%s %s already exists and is not tagged %s=%s: rename the link or remove the existing resource",
		e.Kind, e.ID, TagLink, e.Link)
}

// IsNotFound reports whether err is ARM's 404 for a missing resource.
func IsNotFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}

// lroFailed reports whether err is a long-running operation that ended in
// Failed (as opposed to a refused request): only those are worth a re-PUT.
func lroFailed(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	// A refused PUT is a 4xx with the validation code; a failed operation is
	// reported by the poller with the status of the final poll (200).
	return re.StatusCode < 400
}

// ParseID splits an ARM ID, naming attr in the error so the user knows which
// input is malformed.
func ParseID(attr, id string) (*arm.ResourceID, error) {
	rid, err := arm.ParseResourceID(id)
	if err != nil {
		return nil, fmt.Errorf("%s: %q is not an Azure resource ID: %w", attr, id, err)
	}
	return rid, nil
}

// pollOpts honours Retry-After and falls back to the client's frequency.
func (c *Client) pollOpts() *runtime.PollUntilDoneOptions {
	// azcore refuses a Frequency under one second outside test binaries; it
	// only applies when ARM sends no Retry-After (or retry-after-ms), which
	// ARM always does for these operations.
	return &runtime.PollUntilDoneOptions{Frequency: max(c.pollInterval(), time.Second)}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// putLRO runs a create-or-update and waits for it, re-driving the PUT when
// the operation itself ended Failed (not when ARM refused the request).
func putLRO[T any](ctx context.Context, c *Client, what string, begin func() (*runtime.Poller[T], error)) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		p, err := beginWhenFree(ctx, c, begin)
		if err != nil {
			return zero, fmt.Errorf("%s: %w", what, err)
		}
		res, err := p.PollUntilDone(ctx, c.pollOpts())
		if err == nil {
			return res, nil
		}
		if !lroFailed(err) || attempt >= maxLROAttempts {
			return zero, fmt.Errorf("%s (attempt %d): %w", what, attempt, err)
		}
	}
}

// deleteLRO runs a delete and waits for it; a resource already gone is
// success, because the goal (it does not exist) is met. A delete whose
// operation ended Failed is re-driven like a PUT.
func deleteLRO[T any](ctx context.Context, c *Client, what string, begin func() (*runtime.Poller[T], error)) error {
	for attempt := 1; ; attempt++ {
		p, err := beginWhenFree(ctx, c, begin)
		if err == nil {
			_, err = p.PollUntilDone(ctx, c.pollOpts())
		}
		if err == nil || IsNotFound(err) {
			return nil
		}
		if !lroFailed(err) || attempt >= maxLROAttempts {
			return fmt.Errorf("%s (attempt %d): %w", what, attempt, err)
		}
	}
}

// isBusy reports ARM's refusal to start an operation while another one runs
// on the resource, its parent, or a resource it references (a gateway still
// provisioning, a sibling subnet being written). Waiting is the only fix.
// AnotherOperationInProgress is a 409 (azapi#503, Azure-Landing-Zones#4134);
// ReferencedResourceNotProvisioned is a 400 (field logs: "StatusCode=400 --
// Original Error: Code=\"ReferencedResourceNotProvisioned\""), so the code
// decides, not the status.
func isBusy(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	switch re.ErrorCode {
	case "AnotherOperationInProgress":
		return re.StatusCode == http.StatusConflict
	case "ReferencedResourceNotProvisioned":
		// "Resource is in Failed state" will not change by waiting.
		return (re.StatusCode == http.StatusBadRequest || re.StatusCode == http.StatusConflict) &&
			!strings.Contains(re.Error(), "is in Failed state")
	}
	return false
}

// beginWhenFree starts an operation, waiting while ARM reports the target
// busy; ctx (the resource's timeout) bounds the wait.
func beginWhenFree[T any](ctx context.Context, c *Client, begin func() (*runtime.Poller[T], error)) (*runtime.Poller[T], error) {
	for {
		p, err := begin()
		if !isBusy(err) {
			return p, err
		}
		if serr := sleep(ctx, c.pollInterval()); serr != nil {
			return nil, fmt.Errorf("%w (gave up waiting: %w)", err, serr)
		}
	}
}

func (c *Client) pollInterval() time.Duration {
	if c.PollFrequency <= 0 {
		return DefaultPollFrequency
	}
	return c.PollFrequency
}
