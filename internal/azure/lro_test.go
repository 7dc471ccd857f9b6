package azure_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

func lngSpec(prefixes ...string) azure.LocalGatewaySpec {
	s := azure.LocalGatewaySpec{ResourceGroup: rg, Name: "u-lng", Location: loc, Link: "u", PeerIP: netip.MustParseAddr("203.0.113.10")}
	for _, p := range prefixes {
		s.Prefixes = append(s.Prefixes, netip.MustParsePrefix(p))
	}
	return s
}

// An in-place update of a local network gateway converges although its
// operation URL answers 404 (the emulator does what ARM does).
func TestLocalGatewayUpdatesInPlace(t *testing.T) {
	_, c, _ := env(t)
	ctx := context.Background()
	id, err := c.EnsureLocalGateway(ctx, lngSpec("10.0.1.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := c.EnsureLocalGateway(ctx, lngSpec("10.0.1.0/24", "10.0.2.0/24"))
	if err != nil || !strings.EqualFold(id2, id) {
		t.Fatalf("in-place update: %s %v", id2, err)
	}
	got, err := c.GetLocalGateway(ctx, id)
	if err != nil || got.ProvisioningState != azure.StateSucceeded || len(got.Prefixes) != 2 {
		t.Fatalf("after the update: %+v %v", got, err)
	}
}

// lostPolls answers every poll of an operation URL with ARM's 404 while
// on is set: what a delete would meet if its operation URL were lost.
type lostPolls struct{ on atomic.Bool }

var opURL = regexp.MustCompile(`/providers/Microsoft\.Network/locations/[^/]+/(operations|operationResults)/`)

func (l *lostPolls) Do(r *http.Request) (*http.Response, error) {
	if l.on.Load() && r.Method == http.MethodGet && opURL.MatchString(r.URL.Path) {
		return &http.Response{StatusCode: http.StatusNotFound, Request: r, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"NotFound","message":"Operation not found."}}`))}, nil
	}
	return http.DefaultClient.Do(r)
}

// A 404 from a delete's operation URL is not proof the delete finished:
// Delete returns only once the resource itself is gone.
func TestDeleteWaitsForTheResourceNotItsOperationURL(t *testing.T) {
	sim := simtest.Start(t, simtest.WithTimeScale(0.005)) // a local network gateway delete: 1 min -> 300 ms
	sim.CreateResourceGroup(t, rg, loc)
	opts := sim.ARMClientOptions()
	lost := &lostPolls{}
	opts.Transport = lost
	c, err := azure.New(sim.SubscriptionID(), sim.Credential(), opts)
	if err != nil {
		t.Fatal(err)
	}
	c.PollFrequency = 5 * time.Millisecond
	ctx := context.Background()
	id, err := c.EnsureLocalGateway(ctx, lngSpec("10.0.1.0/24"))
	if err != nil {
		t.Fatal(err)
	}
	lost.on.Store(true)
	if err := c.DeleteLocalGateway(ctx, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if got, err := c.GetLocalGateway(ctx, id); err != nil || got != nil {
		t.Fatalf("DeleteLocalGateway returned while the gateway still exists: %+v %v", got, err)
	}
}
