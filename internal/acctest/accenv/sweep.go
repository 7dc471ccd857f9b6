package accenv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
	"golang.org/x/sync/errgroup"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
)

// Swept reports whether the sweeper may delete an object of this name:
// only what a test run named, never anything else in the project or
// subscription.
func Swept(name string) bool { return strings.HasPrefix(name, Prefix) }

// Logf reports progress; testing.T.Logf and log.Printf fit.
type Logf func(format string, args ...any)

// SweepHetzner deletes every tf-acc-test-* object of the project in
// dependency order: servers (which hold the firewall, the primary IP and the
// network attachment), firewalls, primary IPs, networks, SSH keys.
func SweepHetzner(ctx context.Context, hc *hcloud.Client, logf Logf) error {
	objs, err := ListHetzner(ctx, hc)
	if err != nil {
		return err
	}
	del := map[string]func(context.Context, int64) error{
		// A server still being created by a killed run is locked; waiting
		// for the delete action frees what it held.
		"server": func(ctx context.Context, id int64) error {
			res, _, err := hc.Server.DeleteWithResult(ctx, &hcloud.Server{ID: id})
			if err != nil {
				return err
			}
			return hc.Action.WaitFor(ctx, res.Action)
		},
		"firewall": func(ctx context.Context, id int64) error {
			_, err := hc.Firewall.Delete(ctx, &hcloud.Firewall{ID: id})
			return err
		},
		"primary IP": func(ctx context.Context, id int64) error {
			_, err := hc.PrimaryIP.Delete(ctx, &hcloud.PrimaryIP{ID: id})
			return err
		},
		"network": func(ctx context.Context, id int64) error {
			_, err := hc.Network.Delete(ctx, &hcloud.Network{ID: id})
			return err
		},
		"SSH key": func(ctx context.Context, id int64) error {
			_, err := hc.SSHKey.Delete(ctx, &hcloud.SSHKey{ID: id})
			return err
		},
	}
	// One kind at a time, in ListHetzner's (dependency) order; within a kind
	// all at once. What was attached to a server refuses deletion
	// (resource_in_use) for a moment after the server is gone: retried.
	for _, kind := range hetznerOrder {
		g, gctx := errgroup.WithContext(ctx)
		for _, o := range objs {
			if o.Kind != kind || !Swept(o.Name) {
				continue
			}
			g.Go(func() error {
				logf("hcloud: deleting %s %s (%d)", o.Kind, o.Name, o.ID)
				if err := retry(gctx, func() error { return ignoreHCloudNotFound(del[kind](gctx, o.ID)) }); err != nil {
					return fmt.Errorf("deleting %s %s: %w", o.Kind, o.Name, err)
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}

// hetznerOrder is the deletion order: servers hold the firewall, the
// primary IP and the network attachment.
var hetznerOrder = []string{"server", "firewall", "primary IP", "network", "SSH key"}

func ignoreHCloudNotFound(err error) error {
	if hcloud.IsError(err, hcloud.ErrorCodeNotFound) {
		return nil
	}
	return err
}

// retry runs f up to 10 times, 2s apart, while Hetzner says the object is
// still in use or locked.
func retry(ctx context.Context, f func() error) error {
	var err error
	for range 10 {
		if err = f(); err == nil || !hcloud.IsError(err, hcloud.ErrorCodeResourceInUse, hcloud.ErrorCodeLocked, hcloud.ErrorCodeConflict) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	return err
}

// SweepAzure deletes every tf-acc-test-* object of the subscription in
// dependency order, in every resource group: connections, VPN gateways,
// local network gateways, public IPs, VNets; then the tf-acc-test-*
// resource groups themselves. A resource group delete would take its
// content with it, but a gateway somebody else named tf-acc-test-* in
// their own group must go too, and in the right order.
func SweepAzure(ctx context.Context, az *clients.Azure, logf Logf) error {
	nf, err := az.Network()
	if err != nil {
		return err
	}
	rf, err := az.Resources()
	if err != nil {
		return err
	}
	poll := &runtime.PollUntilDoneOptions{Frequency: az.PollInterval}
	if poll.Frequency <= 0 {
		poll.Frequency = 10 * time.Second
	}
	var groups []string
	for p := rf.NewResourceGroupsClient().NewListPager(nil); p.More(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing resource groups: %w", err)
		}
		for _, g := range page.Value {
			groups = append(groups, *g.Name)
		}
	}
	kinds := azureKinds(ctx, nf, poll)
	for _, k := range kinds {
		// One kind at a time (the dependency order); within a kind all
		// deletes run at once, so two 10-minute gateway deletes take 10.
		g, _ := errgroup.WithContext(ctx)
		for _, rg := range groups {
			ns, err := k.list(rg)
			if err != nil {
				return fmt.Errorf("listing %ss in %s: %w", k.what, rg, err)
			}
			for _, o := range ns {
				n := o.Name
				if !Swept(n) {
					continue
				}
				g.Go(func() error {
					logf("azure: deleting %s %s/%s", k.what, rg, n)
					if err := retryAzure(ctx, poll.Frequency, func() error { return k.del(rg, n) }); err != nil {
						return fmt.Errorf("deleting %s %s/%s: %w", k.what, rg, n, err)
					}
					return nil
				})
			}
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	g, _ := errgroup.WithContext(ctx)
	for _, rg := range groups {
		if Swept(rg) {
			g.Go(func() error {
				logf("azure: deleting resource group %s", rg)
				p, err := rf.NewResourceGroupsClient().BeginDelete(ctx, rg, nil)
				return wait(ctx, poll, p, err)
			})
		}
	}
	return g.Wait()
}

type pager[T any] interface {
	More() bool
	NextPage(context.Context) (T, error)
}

// Object is one cloud object as a listing found it.
type Object struct {
	Cloud, Kind, Group, Name string
	// ID is the Hetzner ID (0 on Azure, where group and name identify).
	ID int64
	// Labels are the Hetzner labels or Azure tags.
	Labels map[string]string
}

func (o Object) String() string {
	if o.Group != "" {
		return fmt.Sprintf("%s %s %s/%s", o.Cloud, o.Kind, o.Group, o.Name)
	}
	return fmt.Sprintf("%s %s %s", o.Cloud, o.Kind, o.Name)
}

func names[T any](ctx context.Context, p pager[T], get func(T) []Object) ([]Object, error) {
	var out []Object
	for p.More() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, get(page)...)
	}
	return out, nil
}

func pick[V any](vs []*V, name func(*V) (*string, map[string]*string)) []Object {
	out := make([]Object, 0, len(vs))
	for _, v := range vs {
		if v == nil {
			continue
		}
		n, tags := name(v)
		if n == nil {
			continue
		}
		o := Object{Cloud: "azure", Name: *n, Labels: map[string]string{}}
		for k, t := range tags {
			if t != nil {
				o.Labels[k] = *t
			}
		}
		out = append(out, o)
	}
	return out
}

// wait finishes a Begin* call: waits for the LRO; a 404 means already gone.
func wait[T any](ctx context.Context, o *runtime.PollUntilDoneOptions, p *runtime.Poller[T], err error) error {
	if err == nil {
		_, err = p.PollUntilDone(ctx, o)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode == 404 {
		return nil
	}
	return err
}

type azureKind struct {
	what string
	list func(rg string) ([]Object, error)
	del  func(rg, name string) error
}

// azureKinds are the Microsoft.Network types a run creates, in deletion
// order: what refers to something comes before it.
func azureKinds(ctx context.Context, nf *armnetwork.ClientFactory, poll *runtime.PollUntilDoneOptions) []azureKind {
	conns, gws, lngs := nf.NewVirtualNetworkGatewayConnectionsClient(), nf.NewVirtualNetworkGatewaysClient(), nf.NewLocalNetworkGatewaysClient()
	pips, vnets := nf.NewPublicIPAddressesClient(), nf.NewVirtualNetworksClient()
	return []azureKind{
		{"connection", func(rg string) ([]Object, error) {
			return names(ctx, conns.NewListPager(rg, nil), func(p armnetwork.VirtualNetworkGatewayConnectionsClientListResponse) []Object {
				return pick(p.Value, func(v *armnetwork.VirtualNetworkGatewayConnection) (*string, map[string]*string) {
					return v.Name, v.Tags
				})
			})
		}, func(rg, n string) error { p, err := conns.BeginDelete(ctx, rg, n, nil); return wait(ctx, poll, p, err) }},
		{"VPN gateway", func(rg string) ([]Object, error) {
			return names(ctx, gws.NewListPager(rg, nil), func(p armnetwork.VirtualNetworkGatewaysClientListResponse) []Object {
				return pick(p.Value, func(v *armnetwork.VirtualNetworkGateway) (*string, map[string]*string) { return v.Name, v.Tags })
			})
		}, func(rg, n string) error { p, err := gws.BeginDelete(ctx, rg, n, nil); return wait(ctx, poll, p, err) }},
		{"local network gateway", func(rg string) ([]Object, error) {
			return names(ctx, lngs.NewListPager(rg, nil), func(p armnetwork.LocalNetworkGatewaysClientListResponse) []Object {
				return pick(p.Value, func(v *armnetwork.LocalNetworkGateway) (*string, map[string]*string) { return v.Name, v.Tags })
			})
		}, func(rg, n string) error { p, err := lngs.BeginDelete(ctx, rg, n, nil); return wait(ctx, poll, p, err) }},
		{"public IP", func(rg string) ([]Object, error) {
			return names(ctx, pips.NewListPager(rg, nil), func(p armnetwork.PublicIPAddressesClientListResponse) []Object {
				return pick(p.Value, func(v *armnetwork.PublicIPAddress) (*string, map[string]*string) { return v.Name, v.Tags })
			})
		}, func(rg, n string) error { p, err := pips.BeginDelete(ctx, rg, n, nil); return wait(ctx, poll, p, err) }},
		{"VNet", func(rg string) ([]Object, error) {
			return names(ctx, vnets.NewListPager(rg, nil), func(p armnetwork.VirtualNetworksClientListResponse) []Object {
				return pick(p.Value, func(v *armnetwork.VirtualNetwork) (*string, map[string]*string) { return v.Name, v.Tags })
			})
		}, func(rg, n string) error { p, err := vnets.BeginDelete(ctx, rg, n, nil); return wait(ctx, poll, p, err) }},
	}
}

// ListAzure lists the objects of the kinds a run creates in the given
// resource groups (groups that do not exist list nothing), for "destroy
// left nothing" checks.
func ListAzure(ctx context.Context, az *clients.Azure, groups ...string) ([]Object, error) {
	nf, err := az.Network()
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, k := range azureKinds(ctx, nf, nil) {
		for _, rg := range groups {
			os, err := k.list(rg)
			var re *azcore.ResponseError
			if errors.As(err, &re) && re.StatusCode == 404 {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("listing %ss in %s: %w", k.what, rg, err)
			}
			for _, o := range os {
				o.Kind, o.Group = k.what, rg
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// ListHetzner lists the servers, firewalls, primary IPs, networks and SSH
// keys of the project.
func ListHetzner(ctx context.Context, hc *hcloud.Client) ([]Object, error) {
	var out []Object
	add := func(kind string, id int64, name string, labels map[string]string) {
		out = append(out, Object{Cloud: "hcloud", Kind: kind, ID: id, Name: name, Labels: labels})
	}
	servers, err := hc.Server.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range servers {
		add("server", v.ID, v.Name, v.Labels)
	}
	fws, err := hc.Firewall.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range fws {
		add("firewall", v.ID, v.Name, v.Labels)
	}
	ips, err := hc.PrimaryIP.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range ips {
		add("primary IP", v.ID, v.Name, v.Labels)
	}
	nets, err := hc.Network.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range nets {
		add("network", v.ID, v.Name, v.Labels)
	}
	keys, err := hc.SSHKey.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range keys {
		add("SSH key", v.ID, v.Name, v.Labels)
	}
	return out, nil
}

// retryAzure retries a delete that ARM refuses because the object is busy:
// a gateway still being built by a killed run answers 409
// AnotherOperationInProgress until its build ends (30-45 min on Azure), and
// a local network gateway is "in use" until its connection is gone. It
// retries until ctx ends (the sweep's -timeout), pacing at 30 polls.
func retryAzure(ctx context.Context, poll time.Duration, f func() error) error {
	pause := min(max(30*poll, 300*time.Millisecond), 30*time.Second)
	for {
		err := f()
		var re *azcore.ResponseError
		if err == nil || !errors.As(err, &re) || (re.StatusCode != 409 && !strings.Contains(re.ErrorCode, "InUse")) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (still busy: %v)", ctx.Err(), err)
		case <-time.After(pause):
		}
	}
}
