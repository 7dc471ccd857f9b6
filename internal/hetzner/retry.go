// Package hetzner is the thin adapter between crosscloud's resources and
// hcloud-go: idempotent ensure / observe / delete steps and the waits they
// need. It holds no Terraform types, so the link and the route resource share
// every step.
package hetzner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// Backoff bounds for Retry. Hetzner answers `locked` for as long as another
// action runs on a resource (usually seconds), so short first waits matter
// more than long tails.
var (
	retryInitial = 250 * time.Millisecond
	retryMax     = 10 * time.Second
)

// maxActionFailures bounds how often Retry re-drives a step whose action
// ended in error.
const maxActionFailures = 3

// IsTransient reports whether err is worth retrying unchanged: the resource
// is busy (`locked`, `conflict`), the project is over its request budget, the
// API had a server-side failure, or the connection broke before an answer.
// hcloud-go already retries some of these itself; this covers the rest
// (notably `locked`, plain 500s and dropped connections).
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if hcloud.IsError(err,
		hcloud.ErrorCodeLocked, hcloud.ErrorCodeConflict, hcloud.ErrorCodeRateLimitExceeded,
		hcloud.ErrorCodeServerError, hcloud.ErrorCodeServiceError, hcloud.ErrorCodeTimeout,
		hcloud.ErrorCodeBadGateway, hcloud.ErrorCodeMaintenance,
	) {
		return true
	}
	if errors.Is(err, hcloud.ErrStatusCode) {
		// A non-JSON 5xx answer (proxy in front of the API).
		return true
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// Retry calls fn until it returns nil or a non-transient error, or ctx ends.
// fn must be safe to repeat: callers make creates idempotent by looking the
// resource up by name first (see the ensure steps), because a dropped
// connection leaves it unknown whether a POST took effect.
func Retry(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	wait := retryInitial
	failedActions := 0
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		// An action that ran and failed (a backend hiccup on Hetzner's side)
		// is re-driven a few times: fn re-reads state on every attempt, so
		// repeating it is safe; a persistent failure still surfaces.
		var aerr hcloud.ActionError
		if errors.As(err, &aerr) {
			if failedActions++; failedActions >= maxActionFailures {
				return err
			}
		} else if !IsTransient(err) {
			return err
		}
		// Full jitter keeps concurrent steps on one network from retrying in
		// lock step against the same `locked` resource.
		d := time.Duration(rand.Int64N(int64(wait)) + 1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: gave up after %d attempts: %w (last error: %w)", what, attempt, ctx.Err(), err)
		case <-t.C:
		}
		wait = min(wait*2, retryMax)
	}
}

// Settle waits for an action to finish and turns a failed action into an
// error naming what was being done, the action's command and its error code,
// so a user can tell which of many steps failed.
func Settle(ctx context.Context, c *hcloud.Client, action *hcloud.Action, what string) error {
	if action == nil {
		return nil
	}
	// A failed action is not transient (IsTransient only matches API and
	// transport errors), so Retry returns it at once; only the polling
	// requests themselves are retried.
	err := Retry(ctx, what, func(ctx context.Context) error {
		return c.Action.WaitFor(ctx, action)
	})
	if err != nil {
		return fmt.Errorf("%s: action %q (id %d) failed: %w", what, action.Command, action.ID, err)
	}
	return nil
}
