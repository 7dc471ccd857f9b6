// Package hetzner is the thin adapter between crosscloud's resources and
// hcloud-go: idempotent ensure / observe / delete steps and the waits they
// need. It holds no Terraform types, so the link and the route resource share
// every step; it logs its retries through tflog, which is a no-op on a
// context without a Terraform logger.
package hetzner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// Backoff bounds for Retry. Hetzner answers `locked` for as long as another
// action runs on a resource (usually seconds), so short first waits matter
// more than long tails.
var (
	retryInitial = 250 * time.Millisecond
	retryMax     = 10 * time.Second
)

// Budgets: how long (or how often) one step keeps retrying one kind of
// failure before it gives up with the last error, however long the
// operation's timeout is. No failure may silently wait out a 90-minute
// create timeout.
var (
	// busyBudget bounds `locked`, `conflict`, rate limits and server-side
	// 5xx: they clear within seconds to minutes (hcloud-go itself retries
	// some of them 5 times with backoff up to a minute).
	busyBudget = 15 * time.Minute
	// connBudget bounds dropped and refused connections: a wrong endpoint
	// must not look like a slow API for long.
	connBudget = 5 * time.Minute
)

// maxActionFailures bounds how often Retry re-drives a step whose action
// ended in error.
const maxActionFailures = 3

// maxServiceErrors bounds `service_error`, which is transient on Hetzner's
// side but can also persist (delete_subnet while a foreign server is still
// attached: terraform-provider-hcloud#388; that provider gives up too).
const maxServiceErrors = 10

// class is how Retry treats one failure.
type class int

const (
	permanent class = iota
	busy
	connection
	serviceError
	actionFailed
	// extra marks a code the step itself asked to retry (RetryOn).
	extra
)

// classify sorts an error into a retry class. Permanent are invalid input,
// forbidden, not found, uniqueness, a foreign object, a 4xx without a JSON
// body (a wrong endpoint or proxy), DNS failures: repeating them cannot help,
// so they fail at once with the API's own message.
func classify(err error) class {
	var aerr hcloud.ActionError
	switch {
	case err == nil:
		return permanent
	case errors.As(err, &aerr):
		return actionFailed
	case hcloud.IsError(err, hcloud.ErrorCodeServiceError):
		return serviceError
	case hcloud.IsError(err,
		hcloud.ErrorCodeLocked, hcloud.ErrorCodeConflict, hcloud.ErrorCodeRateLimitExceeded,
		hcloud.ErrorCodeServerError, hcloud.ErrorCodeTimeout, hcloud.ErrorCodeBadGateway,
		hcloud.ErrorCodeMaintenance, hcloud.ErrorCodeRobotUnavailable):
		return busy
	case errors.Is(err, hcloud.ErrStatusCode):
		// A non-JSON answer: only a 5xx (a proxy in front of the API) is
		// worth repeating; a 4xx is a wrong endpoint and stays wrong.
		if statusOf(err) >= 500 {
			return busy
		}
		return permanent
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return permanent
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return connection
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return connection
	}
	return permanent
}

// statusOf reads the status hcloud-go puts at the end of an ErrStatusCode
// error ("hcloud: server responded with status code 404"); 0 if absent.
func statusOf(err error) int {
	msg := err.Error()
	n, _ := strconv.Atoi(msg[strings.LastIndexByte(msg, ' ')+1:])
	return n
}

// IsTransient reports whether err is worth retrying unchanged: the resource
// is busy (`locked`, `conflict`), the project is over its request budget, the
// API had a server-side failure, or the connection broke before an answer.
// hcloud-go already retries some of these itself; this covers the rest
// (notably `locked`, plain 500s and dropped connections).
func IsTransient(err error) bool {
	switch classify(err) {
	case busy, connection, serviceError:
		return true
	}
	return false
}

// RetryOn is a code one step retries although it is not transient in
// general: capacity on a server create, propagation on an attach. Budget
// bounds the time spent on it; Why is logged with every retry.
type RetryOn struct {
	Codes  []hcloud.ErrorCode
	Budget time.Duration
	// MaxWait caps the backoff for these codes; zero means retryMax.
	MaxWait time.Duration
	Why     string
}

// Retry calls fn until it returns nil or an error that is permanent or over
// its budget, or ctx ends. fn must be safe to repeat: callers make creates
// idempotent by looking the resource up by name first (see the ensure
// steps), because a dropped connection leaves it unknown whether a POST took
// effect. Every retry is logged with its code.
func Retry(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	return RetryWith(ctx, what, nil, fn)
}

// RetryWith is Retry that also retries the codes in also, each within its
// budget.
func RetryWith(ctx context.Context, what string, also []RetryOn, fn func(ctx context.Context) error) error {
	wait := retryInitial
	var (
		failedActions, serviceErrors int
		since                        = map[string]time.Time{}
	)
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		c, budget, why, maxWait := classify(err), time.Duration(0), "", retryMax
		for _, o := range also {
			if hcloud.IsError(err, o.Codes...) {
				c, budget, why = extra, o.Budget, o.Why
				if o.MaxWait > 0 {
					maxWait = o.MaxWait
				}
			}
		}
		code := errorCode(err)
		switch c {
		case permanent:
			return err
		case actionFailed:
			// An action that ran and failed (a backend hiccup on Hetzner's
			// side) is re-driven a few times: fn re-reads state on every
			// attempt, so repeating it is safe; a persistent failure still
			// surfaces.
			if failedActions++; failedActions >= maxActionFailures {
				return fmt.Errorf("%w (the action failed %d times)", err, failedActions)
			}
		case serviceError:
			if serviceErrors++; serviceErrors >= maxServiceErrors {
				return fmt.Errorf("%w (Hetzner answered service_error %d times in a row)", err, serviceErrors)
			}
		case busy, connection, extra:
			if budget == 0 {
				budget = map[class]time.Duration{busy: busyBudget, connection: connBudget}[c]
			}
			first, seen := since[code]
			if !seen {
				first, since[code] = time.Now(), time.Now()
			}
			if time.Since(first) >= budget {
				return fmt.Errorf("%w (still failing with %s after %s of retries)", err, code, budget)
			}
		}
		// Full jitter keeps concurrent steps on one network from retrying in
		// lock step against the same `locked` resource.
		d := time.Duration(rand.Int64N(int64(wait)) + 1)
		fields := map[string]any{"operation": what, "attempt": attempt, "code": code, "retry_in": d.String(), "error": err.Error()}
		if why != "" {
			fields["reason"] = why
		}
		tflog.Info(ctx, "Hetzner API: retrying", fields)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s: gave up after %d attempts: %w (last error: %w)", what, attempt, ctx.Err(), err)
		case <-t.C:
		}
		wait = min(wait*2, maxWait)
	}
}

// errorCode names an error for logs and budgets: the API's code, the
// action's error code, the HTTP status of a non-JSON answer, or the
// transport failure.
func errorCode(err error) string {
	var herr hcloud.Error
	var aerr hcloud.ActionError
	switch {
	case errors.As(err, &herr):
		return string(herr.Code)
	case errors.As(err, &aerr):
		return "action:" + aerr.Code
	case errors.Is(err, hcloud.ErrStatusCode):
		return "http_" + strconv.Itoa(statusOf(err))
	}
	return "connection"
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
		err := c.Action.WaitFor(ctx, action)
		var aerr hcloud.ActionError
		if errors.As(err, &aerr) {
			return actionDone{err}
		}
		return err
	})
	var done actionDone
	if errors.As(err, &done) {
		err = done.err
	}
	if err != nil {
		return fmt.Errorf("%s: action %q (id %d) failed: %w", what, action.Command, action.ID, err)
	}
	return nil
}

// actionDone carries a failed action out of Settle's polling loop, which
// must not re-drive it (only the step around it can).
type actionDone struct{ err error }

func (a actionDone) Error() string { return a.err.Error() }

// settleAll settles several actions one after the other, naming the first
// that failed.
func settleAll(ctx context.Context, c *hcloud.Client, actions []*hcloud.Action, what string) error {
	for _, a := range actions {
		if err := Settle(ctx, c, a, what); err != nil {
			return err
		}
	}
	return nil
}
