package hetzner

import (
	"context"
	"errors"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// fakeKind is an object kind for ensureByName whose lookups answer in
// turn from found (nil: the name is free) and whose create answers err.
type fakeKind struct {
	found            []*hcloud.Network
	lookups, adopted int
	created          bool
}

func (f *fakeKind) kind(createErr error) byName[hcloud.Network] {
	return byName[hcloud.Network]{
		lookup: func(context.Context, string) (*hcloud.Network, *hcloud.Response, error) {
			n := f.found[f.lookups]
			f.lookups++
			return n, nil, nil
		},
		adopt: func(context.Context, *hcloud.Network) error { f.adopted++; return nil },
		create: func(context.Context) (*hcloud.Network, error) {
			f.created = createErr == nil
			if createErr != nil {
				return nil, createErr
			}
			return &hcloud.Network{ID: 7}, nil
		},
	}
}

// A create refused as not unique is a POST that landed after all: the name
// is looked up again and what holds it adopted; with nothing there, the
// create's own error stands. A fresh create is not passed to adopt.
func TestEnsureByNameUniqueness(t *testing.T) {
	taken := hcloud.Error{Code: hcloud.ErrorCodeUniquenessError, Message: "name is already used"}

	landed := &fakeKind{found: []*hcloud.Network{nil, {ID: 3}}}
	n, err := ensureByName(tctx(t), "network \"n\"", "n", landed.kind(taken))
	if err != nil || n == nil || n.ID != 3 || landed.adopted != 1 || landed.lookups != 2 {
		t.Fatalf("after uniqueness_error: %v, %+v, adopted %d, lookups %d; want the looked-up network 3 adopted", err, n, landed.adopted, landed.lookups)
	}

	vanished := &fakeKind{found: []*hcloud.Network{nil, nil}}
	if _, err := ensureByName(tctx(t), "network \"n\"", "n", vanished.kind(taken)); !hcloud.IsError(err, hcloud.ErrorCodeUniquenessError) || vanished.adopted != 0 {
		t.Fatalf("uniqueness_error with nothing found again: %v (adopted %d), want the create's error", err, vanished.adopted)
	}

	fresh := &fakeKind{found: []*hcloud.Network{nil}}
	if n, err := ensureByName(tctx(t), "network \"n\"", "n", fresh.kind(nil)); err != nil || n.ID != 7 || !fresh.created || fresh.adopted != 0 {
		t.Fatalf("fresh create: %v, %+v, adopted %d; want network 7 created, not adopted", err, n, fresh.adopted)
	}

	refused := errors.New("invalid_input")
	other := &fakeKind{found: []*hcloud.Network{nil}}
	if _, err := ensureByName(tctx(t), "network \"n\"", "n", other.kind(refused)); !errors.Is(err, refused) || other.lookups != 1 {
		t.Fatalf("other create error: %v after %d lookups, want it returned without a second lookup", err, other.lookups)
	}
}
