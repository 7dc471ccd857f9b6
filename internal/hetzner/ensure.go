package hetzner

import (
	"context"
	"fmt"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// byName is what an ensure step does for one kind of object that Hetzner
// names uniquely in a project (network, firewall, primary IP, server,
// placement group, Floating IP); ensureByName holds the rest, which is the
// same for every kind.
type byName[T any] struct {
	// lookup is the kind's GetByName: (nil, nil) when the name is free.
	lookup func(context.Context, string) (*T, *hcloud.Response, error)
	// adopt decides on an object found by name: the ownership rule
	// (adopt in labels.go) first, then whatever else the kind checks or
	// converges. It is not called for an object this attempt created.
	adopt func(context.Context, *T) error
	// create creates the object and waits for its actions.
	create func(context.Context) (*T, error)
	// also are codes retried besides the transient ones (RetryWith).
	also []RetryOn
}

// ensureByName returns the object named name: adopted when found (k.adopt
// may refuse it), created when absent. Every attempt looks the name up
// first, because a dropped connection leaves it unknown whether an earlier
// POST landed; a create refused with uniqueness_error is such a POST (or a
// concurrent run), so the name is looked up again and the object adopted,
// and the create's error stands when that finds nothing.
func ensureByName[T any](ctx context.Context, what, name string, k byName[T]) (*T, error) {
	var obj *T
	err := RetryWith(ctx, what, k.also, func(ctx context.Context) error {
		found, _, err := k.lookup(ctx, name)
		if err != nil {
			return err
		}
		if found == nil {
			created, cerr := k.create(ctx)
			if !hcloud.IsError(cerr, hcloud.ErrorCodeUniquenessError) {
				obj = created
				return cerr
			}
			if found, _, err = k.lookup(ctx, name); err != nil || found == nil {
				return cerr
			}
		}
		obj = found
		return k.adopt(ctx, found)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return obj, nil
}

// deleted reads the answer to a delete request: not found means an earlier
// attempt (or someone else) already deleted the object, which is what the
// step wanted, so only other errors are returned, naming what.
func deleted(what string, err error) error {
	if err == nil || hcloud.IsError(err, hcloud.ErrorCodeNotFound) {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}
