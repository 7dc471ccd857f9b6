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
