package hetzner

import (
	"context"
	"fmt"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// PrimaryIPSpec is the gateway server's public IPv4. It is created before
// the server (so the Azure local network gateway can be built in parallel)
// with auto_delete=false, so replacing the server keeps the address Azure
// knows.
type PrimaryIPSpec struct {
	Name     string
	Location string
	Labels   map[string]string
}

// EnsurePrimaryIP returns the IPv4 primary IP named spec.Name, creating it
// unassigned in spec.Location when absent and adopting it when it carries
// our labels.
func EnsurePrimaryIP(ctx context.Context, c *hcloud.Client, spec PrimaryIPSpec) (*hcloud.PrimaryIP, error) {
	what := fmt.Sprintf("primary IP %q", spec.Name)
	return ensureByName(ctx, what, spec.Name, byName[hcloud.PrimaryIP]{
		lookup: c.PrimaryIP.GetByName,
		adopt: func(_ context.Context, ip *hcloud.PrimaryIP) error {
			return adopt("primary IP", spec.Name, ip.ID, spec.Labels, ip.Labels)
		},
		create: func(ctx context.Context) (*hcloud.PrimaryIP, error) {
			// No assignee_type: it is optional since 2026-04-27 and meant to
			// go with an assignee_id (hcloud-go v2.39.0); the server create
			// assigns the address.
			res, _, err := c.PrimaryIP.Create(ctx, hcloud.PrimaryIPCreateOpts{
				Name: spec.Name, Type: hcloud.PrimaryIPTypeIPv4,
				Location: spec.Location, AutoDelete: new(false), Labels: spec.Labels,
			})
			if err != nil {
				return nil, err
			}
			return res.PrimaryIP, Settle(ctx, c, res.Action, what+": create")
		},
	})
}

// GetPrimaryIP reads a primary IP; (nil, nil) means it is gone.
func GetPrimaryIP(ctx context.Context, c *hcloud.Client, id int64) (*hcloud.PrimaryIP, error) {
	return get(ctx, fmt.Sprintf("read primary IP %d", id), c.PrimaryIP.GetByID, id)
}

// DeletePrimaryIP deletes a primary IP; not found counts as success. Call it
// after the server is gone: Hetzner refuses to delete an assigned one.
func DeletePrimaryIP(ctx context.Context, c *hcloud.Client, id int64) error {
	what := fmt.Sprintf("delete primary IP %d", id)
	return Retry(ctx, what, func(ctx context.Context) error {
		_, err := c.PrimaryIP.Delete(ctx, &hcloud.PrimaryIP{ID: id})
		return deleted(what, err)
	})
}
