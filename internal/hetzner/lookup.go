package hetzner

import (
	"context"
	"fmt"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// ServerByName finds a server by its name; (nil, nil) when there is none.
// Import uses it to find a link's gateway from the link's name.
func ServerByName(ctx context.Context, c *hcloud.Client, name string) (*hcloud.Server, error) {
	var srv *hcloud.Server
	err := Retry(ctx, "looking up server "+name, func(ctx context.Context) error {
		var err error
		srv, _, err = c.Server.GetByName(ctx, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("looking up server %q: %w", name, err)
	}
	return srv, nil
}

// FirewallByName finds a firewall by its name; (nil, nil) when there is none.
func FirewallByName(ctx context.Context, c *hcloud.Client, name string) (*hcloud.Firewall, error) {
	var fw *hcloud.Firewall
	err := Retry(ctx, "looking up firewall "+name, func(ctx context.Context) error {
		var err error
		fw, _, err = c.Firewall.GetByName(ctx, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("looking up firewall %q: %w", name, err)
	}
	return fw, nil
}
