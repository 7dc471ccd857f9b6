// Package fwop holds what a framework resource operation's preamble needs,
// so that crosscloud_ipsec_link and crosscloud_hcloud_gateway_route begin
// their Create, Read, Update and Delete the same way: read the model from
// the plan or the state (Getter), then bound the context by the operation's
// own entry of the timeouts block (Timeout).
package fwop

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// Getter is what req.Plan (tfsdk.Plan) and req.State (tfsdk.State) have in
// common, so that one preamble serves the operations that read either.
type Getter interface {
	Get(ctx context.Context, target any) diag.Diagnostics
}

// Timeout is an operation's own timeout: its entry of the timeouts block
// (one of the method expressions timeouts.Value.Create, .Read, .Update or
// .Delete) and the default when that entry is unset. Each resource keeps
// its own defaults, so this holds the pair rather than naming them.
type Timeout struct {
	Of      func(timeouts.Value, context.Context, time.Duration) (time.Duration, diag.Diagnostics)
	Default time.Duration
}

// Bound reads the timeout from v and bounds ctx by it. When the entry does
// not parse it returns ctx itself, a cancel that does nothing and the
// diagnostics, so that the caller can append them next to its other
// preamble diagnostics and report them all at once; cancel is always safe
// to call, and must be called once the operation (or its preamble) is done.
func (t Timeout) Bound(ctx context.Context, v timeouts.Value) (context.Context, context.CancelFunc, diag.Diagnostics) {
	d, diags := t.Of(v, ctx, t.Default)
	if diags.HasError() {
		return ctx, func() {}, diags
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, diags
}
