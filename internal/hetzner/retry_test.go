package hetzner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
)

func apiErr(code hcloud.ErrorCode) error {
	return hcloud.Error{Code: code, Message: "the API's message for " + string(code)}
}

// Only what can clear by itself is retried; a 4xx without a JSON body (a
// wrong endpoint), a DNS failure or invalid input is not.
func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want class
	}{
		{"locked", apiErr(hcloud.ErrorCodeLocked), busy},
		{"conflict", apiErr(hcloud.ErrorCodeConflict), busy},
		{"rate limit", apiErr(hcloud.ErrorCodeRateLimitExceeded), busy},
		{"server_error", apiErr(hcloud.ErrorCodeServerError), busy},
		{"maintenance", apiErr(hcloud.ErrorCodeMaintenance), busy},
		{"service_error", apiErr(hcloud.ErrorCodeServiceError), serviceError},
		{"invalid_input", apiErr(hcloud.ErrorCodeInvalidInput), permanent},
		{"forbidden", apiErr(hcloud.ErrorCodeForbidden), permanent},
		{"unauthorized", apiErr(hcloud.ErrorCodeUnauthorized), permanent},
		{"resource_unavailable is the create step's to retry", apiErr(hcloud.ErrorCodeResourceUnavailable), permanent},
		{"ip_not_available is the attach step's to retry", apiErr(hcloud.ErrorCodeIPNotAvailable), permanent},
		{"non-JSON 404", fmt.Errorf("hcloud: %w %d", hcloud.ErrStatusCode, 404), permanent},
		{"non-JSON 410", fmt.Errorf("hcloud: %w %d", hcloud.ErrStatusCode, 410), permanent},
		{"non-JSON 503", fmt.Errorf("hcloud: %w %d", hcloud.ErrStatusCode, 503), busy},
		{"dropped connection", fmt.Errorf("Get: %w", io.ErrUnexpectedEOF), connection},
		{"unknown host", &net.DNSError{Err: "no such host", Name: "api.hetzner.clou", IsNotFound: true}, permanent},
		{"failed action", hcloud.ActionError{Code: "action_failed", Message: "boom"}, actionFailed},
		{"foreign object", &ownership.Error{Kind: "Hetzner server", Name: "x"}, permanent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Fatalf("classify(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

// fast makes retries quick for the duration of a test.
func fast(t *testing.T) {
	ri, rm, bb, cb := retryInitial, retryMax, busyBudget, connBudget
	retryInitial, retryMax = time.Millisecond, 2*time.Millisecond
	t.Cleanup(func() { retryInitial, retryMax, busyBudget, connBudget = ri, rm, bb, cb })
}

func TestRetryFailsPermanentErrorsAtOnceWithTheAPIMessage(t *testing.T) {
	fast(t)
	for _, err := range []error{apiErr(hcloud.ErrorCodeInvalidInput), fmt.Errorf("hcloud: %w %d", hcloud.ErrStatusCode, 404)} {
		calls := 0
		got := Retry(context.Background(), "step", func(context.Context) error { calls++; return err })
		if calls != 1 || !errors.Is(got, err) {
			t.Fatalf("%v: %d calls, returned %v; want one call and the error itself", err, calls, got)
		}
	}
}

func TestRetryLogsEveryRetryWithItsCode(t *testing.T) {
	fast(t)
	ctx, logs := logged(t)
	calls := 0
	err := Retry(ctx, "network 7: add_route", func(context.Context) error {
		calls++
		switch calls {
		case 1, 2:
			return apiErr(hcloud.ErrorCodeLocked)
		case 3:
			return fmt.Errorf("hcloud: %w %d", hcloud.ErrStatusCode, 502)
		}
		return nil
	})
	if err != nil || calls != 4 {
		t.Fatalf("Retry = %v after %d calls", err, calls)
	}
	if n := retriesLogged(t, logs, "locked"); n != 2 {
		t.Errorf("%d locked retries logged, want 2:\n%s", n, logs)
	}
	if n := retriesLogged(t, logs, "http_502"); n != 1 {
		t.Errorf("%d http_502 retries logged, want 1", n)
	}
	if !strings.Contains(logs.String(), "network 7: add_route") {
		t.Errorf("the log does not name the operation:\n%s", logs)
	}
}

// No failure waits out an operation's timeout: each kind has a budget.
func TestRetryBudgets(t *testing.T) {
	fast(t)
	busyBudget = 30 * time.Millisecond
	start := time.Now()
	err := Retry(context.Background(), "step", func(context.Context) error { return apiErr(hcloud.ErrorCodeLocked) })
	if !hcloud.IsError(err, hcloud.ErrorCodeLocked) || !strings.Contains(err.Error(), "still failing with locked") {
		t.Fatalf("busy past its budget: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the busy budget of 30ms took %s", d)
	}
	calls := 0
	err = Retry(context.Background(), "step", func(context.Context) error { calls++; return apiErr(hcloud.ErrorCodeServiceError) })
	if calls != maxServiceErrors || !strings.Contains(err.Error(), "service_error 10 times") {
		t.Fatalf("service_error: %d calls, %v", calls, err)
	}
	calls = 0
	err = RetryWith(context.Background(), "create", []RetryOn{{Codes: []hcloud.ErrorCode{hcloud.ErrorCodePlacementError}, Budget: 20 * time.Millisecond}},
		func(context.Context) error { calls++; return apiErr(hcloud.ErrorCodePlacementError) })
	if calls < 2 || !strings.Contains(err.Error(), "after 20ms of retries") {
		t.Fatalf("an extra code past its budget: %d calls, %v", calls, err)
	}
}
