// Package azure is the thin adapter between crosscloud's resources and the
// Azure SDK (armnetwork): idempotent ensure / observe / delete steps for the
// VPN side of a link. It knows ARM's habits (long-running operations, adopt
// by name, not-found on delete is success) and nothing about Terraform.
package azure

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
)

// Tag keys that mark what a link created, so a re-run adopts its own
// resources and never takes over someone else's of the same name. Every
// resource the adapter creates carries both (Tags); the rule that reads
// them is internal/ownership's, shared with the Hetzner adapter.
const (
	TagLink      = "crosscloud-link"
	TagManagedBy = "managed-by"
	ManagedBy    = ownership.ManagedBy
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
	return map[string]*string{TagLink: &link, TagManagedBy: new(ManagedBy)}
}

// marks reads the ownership marks from a resource's tags.
func marks(tags map[string]*string) ownership.Marks {
	return ownership.Marks{ManagedBy: deref(tags[TagManagedBy]), Link: deref(tags[TagLink])}
}

// ownedBy reports whether tags make the resource link's (ownership.Owned).
func ownedBy(tags map[string]*string, link string) bool { return ownership.Owned(marks(tags), link) }

// adopt decides what an ensure step does with a resource found by name:
// nil when link may adopt it, otherwise an *ownership.Error (adopting it
// would hand someone else's resource to `terraform destroy`).
func adopt(kind, name, id string, tags map[string]*string, link string) error {
	return ownership.Check(ownership.Object{
		Kind: "Azure " + kind, Name: name, ID: id,
		Marks: fmt.Sprintf("the tags %s=%s and %s=%s", TagLink, link, TagManagedBy, ManagedBy),
	}, marks(tags), link)
}

// IsNotFound reports whether err is ARM's 404 for a missing resource.
func IsNotFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}

// lroFailed reports whether err is a long-running operation that ended in
// Failed (as opposed to a refused request): only those are worth a re-PUT.
func lroFailed(err error) bool {
	var pf *provisioningFailed
	if errors.As(err, &pf) {
		return true
	}
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

// read reads the resource id names with its kind's Get (kind words the
// errors): found is false, with no error, when ARM answers 404, which the
// Get* steps report as (nil, nil) and the delete steps as done.
func read[R, O any](ctx context.Context, kind, id string, get func(context.Context, string, string, *O) (R, error)) (r R, found bool, err error) {
	rid, err := ParseID(kind, id)
	if err != nil {
		return r, false, err
	}
	r, err = get(ctx, rid.ResourceGroupName, rid.Name, nil)
	if IsNotFound(err) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("reading %s %s: %w", kind, id, err)
	}
	return r, true, nil
}

// deleteInGroup deletes the resource id names, one directly in a resource
// group (kind words the errors): deleteLRO with the kind's BeginDelete and
// its provisioningState reader, which tells when it is gone.
func deleteInGroup[D, O any](ctx context.Context, c *Client, kind, id string,
	begin func(context.Context, string, string, *O) (*runtime.Poller[D], error),
	state func(ctx context.Context, rg, name string) func() (string, error)) error {
	rid, err := ParseID(kind, id)
	if err != nil {
		return err
	}
	return deleteLRO(ctx, c, "deleting "+kind+" "+id, func() (*runtime.Poller[D], error) {
		return begin(ctx, rid.ResourceGroupName, rid.Name, nil)
	}, state(ctx, rid.ResourceGroupName, rid.Name))
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

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// putLRO runs a create-or-update and waits for it, re-driving the PUT when
// the operation itself ended Failed (redrive).
func putLRO[T any](ctx context.Context, c *Client, what string, begin func() (*runtime.Poller[T], error)) (T, error) {
	var res T
	err := c.redrive(ctx, what, func() error {
		p, err := beginWhenFree(ctx, c, begin)
		if err != nil {
			return err
		}
		res, err = p.PollUntilDone(ctx, c.pollOpts())
		return err
	})
	return res, err
}

// putPolled is putLRO for a resource whose operation URL cannot be trusted:
// it waits by reading the resource's provisioningState (state) instead.
func putPolled[T any](ctx context.Context, c *Client, what string, begin func() (*runtime.Poller[T], error), state func() (string, error)) error {
	return c.redrive(ctx, what, func() error {
		if _, err := beginWhenFree(ctx, c, begin); err != nil {
			return err
		}
		return c.waitProvisioned(ctx, what, state)
	})
}

// deleteLRO runs a delete and waits for it; a resource already gone is
// success, because the goal (it does not exist) is met. A 404 from the
// operation URL is not that proof: the delete counts as done only once the
// resource itself (state, "" when it is gone) answers 404. A delete whose
// operation ended Failed is re-driven like a PUT.
func deleteLRO[T any](ctx context.Context, c *Client, what string, begin func() (*runtime.Poller[T], error), state func() (string, error)) error {
	return c.redrive(ctx, what, func() error {
		p, err := beginWhenFree(ctx, c, begin)
		if err == nil {
			_, err = p.PollUntilDone(ctx, c.pollOpts())
		}
		if err == nil || !IsNotFound(err) {
			return err
		}
		return c.waitGone(ctx, what, state)
	})
}

// redrive runs try (start an operation and wait for it) until it succeeds.
// A refused request ends it at once. An operation that ended Failed is
// tried again after a back-off: a conflict (AnotherOperationInProgress
// reported through the operation, as ARM also does besides the synchronous
// 409: pulumi/pulumi-azure-native#699 and #1024) until ctx ends, since the
// other operation finishes eventually (a gateway's can take 45 minutes);
// any other failure at most maxLROAttempts times. Re-driving at once would
// only meet the same operation again.
func (c *Client) redrive(ctx context.Context, what string, try func() error) error {
	failures, conflicts := 0, 0
	for {
		err := try()
		if err == nil {
			return nil
		}
		var wait time.Duration
		switch {
		case !lroFailed(err):
			return fmt.Errorf("%s: %w", what, err)
		case isConflict(err):
			conflicts++
			wait = c.backoff(conflicts)
		default:
			failures++
			if failures >= maxLROAttempts {
				return fmt.Errorf("%s (attempt %d): %w", what, failures, err)
			}
			wait = c.backoff(failures)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: %w (gave up retrying: %w)", what, err, serr)
		}
	}
}

// maxBackoff caps the wait between two attempts.
const maxBackoff = 2 * time.Minute

// backoff is the wait before attempt n+1: the poll interval doubled per
// attempt up to maxBackoff, with jitter so that links reusing one gateway
// do not retry in lockstep.
func (c *Client) backoff(n int) time.Duration {
	d := min(c.pollInterval()<<min(n-1, 10), maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// isConflict reports a failed operation whose error says another operation
// on the resource, or one it depends on, was in progress.
func isConflict(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && (re.ErrorCode == "AnotherOperationInProgress" || re.ErrorCode == "ReferencedResourceNotProvisioned")
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
