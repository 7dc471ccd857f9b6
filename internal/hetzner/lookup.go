package hetzner

import (
	"context"
	"fmt"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// get reads one object with one of hcloud-go's GetByID or GetByName
// methods, retried; (nil, nil) means there is none, which hcloud-go
// reports for a 404 and callers treat as "gone" (drift, or remove from
// state) rather than as a failure. Every object kind reads the same way,
// so every Get* step is this call with its kind's words.
func get[K int64 | string, T any](ctx context.Context, what string, read func(context.Context, K) (*T, *hcloud.Response, error), key K) (*T, error) {
	var obj *T
	err := Retry(ctx, what, func(ctx context.Context) error {
		var err error
		obj, _, err = read(ctx, key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return obj, nil
}

// ServerByName finds a server by its name; (nil, nil) when there is none.
// Import uses it to find a link's gateway from the link's name.
func ServerByName(ctx context.Context, c *hcloud.Client, name string) (*hcloud.Server, error) {
	return get(ctx, fmt.Sprintf("looking up server %q", name), c.Server.GetByName, name)
}

// FirewallByName finds a firewall by its name; (nil, nil) when there is none.
func FirewallByName(ctx context.Context, c *hcloud.Client, name string) (*hcloud.Firewall, error) {
	return get(ctx, fmt.Sprintf("looking up firewall %q", name), c.Firewall.GetByName, name)
}

// Unrecorded finds what a teardown must delete although the state never
// recorded its ID: an apply killed between a create and its state write
// (SIGKILL, a CI runner lost) leaves the object behind, and the next
// destroy only knows its name. It returns the ID of the server, Floating
// IP or placement group named name when it carries want's labels, and 0
// when there is none or it is not the caller's (ownership rule, labels.go):
// a same-named object someone else made is never deleted.
type Unrecorded struct {
	c    *hcloud.Client
	want map[string]string
}

// NewUnrecorded looks for unrecorded objects carrying want's labels.
func NewUnrecorded(c *hcloud.Client, want map[string]string) Unrecorded {
	return Unrecorded{c, want}
}

// Server is the ID of the owned server named name, or 0.
func (u Unrecorded) Server(ctx context.Context, name string) (int64, error) {
	s, err := ServerByName(ctx, u.c, name)
	if err != nil || s == nil {
		return 0, err
	}
	return u.owned(s.ID, s.Labels), nil
}

// FloatingIP is the ID of the owned Floating IP named name, or 0.
func (u Unrecorded) FloatingIP(ctx context.Context, name string) (int64, error) {
	f, err := get(ctx, fmt.Sprintf("looking up Floating IP %q", name), u.c.FloatingIP.GetByName, name)
	if err != nil || f == nil {
		return 0, err
	}
	return u.owned(f.ID, f.Labels), nil
}

// PlacementGroup is the ID of the owned placement group named name, or 0.
func (u Unrecorded) PlacementGroup(ctx context.Context, name string) (int64, error) {
	g, err := get(ctx, fmt.Sprintf("looking up placement group %q", name), u.c.PlacementGroup.GetByName, name)
	if err != nil || g == nil {
		return 0, err
	}
	return u.owned(g.ID, g.Labels), nil
}

func (u Unrecorded) owned(id int64, labels map[string]string) int64 {
	if !Owned(u.want, labels) {
		return 0
	}
	return id
}
