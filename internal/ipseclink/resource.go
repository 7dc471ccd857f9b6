// Package ipseclink implements crosscloud_ipsec_link: both sides of a
// Hetzner <-> Azure IPsec tunnel in one resource. The resource orchestrates;
// the rules live in ipsec/addrplan/cloudinit and the API calls in the
// hetzner/azure adapters.
package ipseclink

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwop"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
)

// ResourceType is the Terraform type name.
const ResourceType = "crosscloud_ipsec_link"

// Default timeouts follow azurerm's for the gateway (create 90m, delete
// 120m): the Azure gateway dominates every operation.
const (
	defaultCreate = 90 * time.Minute
	defaultRead   = 5 * time.Minute
	defaultUpdate = 60 * time.Minute
	defaultDelete = 120 * time.Minute
)

var (
	_ resource.ResourceWithConfigure      = (*resourceImpl)(nil)
	_ resource.ResourceWithImportState    = (*resourceImpl)(nil)
	_ resource.ResourceWithModifyPlan     = (*resourceImpl)(nil)
	_ resource.ResourceWithValidateConfig = (*resourceImpl)(nil)
)

type resourceImpl struct {
	clients *clients.Clients
}

// NewResource is registered by the provider.
func NewResource() resource.Resource { return &resourceImpl{} }

func (r *resourceImpl) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = ResourceType
}

func (r *resourceImpl) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	c, diags := clients.FromProviderData(req.ProviderData)
	resp.Diagnostics.Append(diags...)
	r.clients = c
}

// clouds builds both adapters, or one diagnostic per missing cloud naming
// the provider attribute and environment variable to set.
func (r *resourceImpl) clouds() (clouds, diag.Diagnostics) {
	var diags diag.Diagnostics
	if r.clients == nil {
		diags.AddError("Provider not configured", "The crosscloud provider was not configured before the resource was used.")
		return clouds{}, diags
	}
	hc, d := r.clients.HCloud()
	diags.Append(d...)
	az, d := r.clients.Azure()
	diags.Append(d...)
	if diags.HasError() {
		return clouds{}, diags
	}
	ac, err := azure.New(az.SubscriptionID, az.Credential, az.ClientOptions)
	if err != nil {
		diags.AddError("Azure client", err.Error())
		return clouds{}, diags
	}
	ac.PollFrequency = az.PollInterval
	return clouds{hc: hc, az: ac}, diags
}

var (
	createTimeout = fwop.Timeout{Of: timeouts.Value.Create, Default: defaultCreate}
	readTimeout   = fwop.Timeout{Of: timeouts.Value.Read, Default: defaultRead}
	updateTimeout = fwop.Timeout{Of: timeouts.Value.Update, Default: defaultUpdate}
	deleteTimeout = fwop.Timeout{Of: timeouts.Value.Delete, Default: defaultDelete}
)

// open is every operation's preamble: it reads m from the plan or the
// state, then begins the operation. ok is false once diags holds an error
// (including ones the caller appended before), and nothing may run then;
// cancel is always safe to defer.
func (r *resourceImpl) open(ctx context.Context, from fwop.Getter, m *model, t fwop.Timeout, diags *diag.Diagnostics) (context.Context, context.CancelFunc, clouds, bool) {
	diags.Append(from.Get(ctx, m)...)
	if diags.HasError() {
		return ctx, func() {}, clouds{}, false
	}
	return r.begin(ctx, m, t, diags)
}

// openSpec is open for Create and Update, which also need the plan's spec.
// It is built before begin, so that a configuration error is reported
// together with a bad timeout or a missing cloud, not hidden by them.
func (r *resourceImpl) openSpec(ctx context.Context, plan tfsdk.Plan, m *model, t fwop.Timeout, diags *diag.Diagnostics) (context.Context, context.CancelFunc, clouds, spec, bool) {
	diags.Append(plan.Get(ctx, m)...)
	if diags.HasError() {
		return ctx, func() {}, clouds{}, spec{}, false
	}
	s, d := buildSpec(ctx, m)
	diags.Append(d...)
	ctx, cancel, c, ok := r.begin(ctx, m, t, diags)
	return ctx, cancel, c, s, ok
}

// begin builds the adapters and bounds ctx by the operation's timeout as m
// sets it; see open for ok and cancel.
func (r *resourceImpl) begin(ctx context.Context, m *model, t fwop.Timeout, diags *diag.Diagnostics) (context.Context, context.CancelFunc, clouds, bool) {
	opCtx, cancel, d := t.Bound(ctx, m.Timeouts)
	diags.Append(d...)
	c, d := r.clouds()
	diags.Append(d...)
	if diags.HasError() {
		cancel()
		return ctx, func() {}, clouds{}, false
	}
	return opCtx, cancel, c, true
}

func (r *resourceImpl) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan model
	ctx, cancel, c, s, ok := r.openSpec(ctx, req.Plan, &plan, createTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok {
		return
	}

	p := &progress{SharedKey: s.SharedKey}
	if wo := writeOnlyKey(ctx, req.Config, &resp.Diagnostics); wo != "" {
		p.SharedKey, p.KeyWriteOnly = wo, true
	}
	withHAToken(ctx, req.Config, &s, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if p.SharedKey == "" {
		key, err := ipsec.GenerateSharedKey()
		if err != nil {
			resp.Diagnostics.AddError("Generating the shared key", err.Error())
			return
		}
		p.SharedKey = key
	}
	tflog.Info(ctx, "creating link", map[string]any{"name": s.Name})
	if err := preflightHetzner(ctx, c.hc, &s); err != nil {
		resp.Diagnostics.AddAttributeError(pathHetzner, "Gateway server cannot be ordered", err.Error())
		return
	}
	err := converge(ctx, c, s, p)
	r.finish(ctx, &plan, p, &resp.State, &resp.Diagnostics)
	storeServerConfig(ctx, resp.Private, p.ServerConfig, &resp.Diagnostics)
	if p.KeyWriteOnly {
		// Before the error check: a failed create is tainted and its
		// private state dropped, which is fine (it will be replaced).
		storeKeyMAC(ctx, resp.Private, p.SharedKey, &resp.Diagnostics)
	}
	if err != nil {
		resp.Diagnostics.AddError("Creating the link failed",
			fmt.Sprintf("%v\n\nEvery resource created so far is recorded in the state. Terraform marks the link tainted: "+
				"`terraform destroy` removes it all, and the next `terraform apply` replaces it. To resume instead "+
				"(keeping a gateway that is still provisioning), run `terraform untaint` on this resource, then `terraform apply`.", err))
	}
}

// finish writes progress into state; it runs on success and failure alike,
// so no created ID is ever lost.
func (r *resourceImpl) finish(ctx context.Context, m *model, p *progress, st stateSetter, diags *diag.Diagnostics) {
	m.Drift = driftList(nil)
	diags.Append(p.writeTo(ctx, m)...)
	diags.Append(st.Set(ctx, m)...)
}

type stateSetter interface {
	Set(ctx context.Context, val any) diag.Diagnostics
}

func (r *resourceImpl) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state model
	// The state's diagnostics come first, and are checked here rather than
	// left to openSpec seeing them in resp.Diagnostics.
	stateDiags := req.State.Get(ctx, &state)
	resp.Diagnostics.Append(stateDiags...)
	ctx, cancel, c, s, ok := r.openSpec(ctx, req.Plan, &plan, updateTimeout, &resp.Diagnostics)
	defer cancel()
	if !ok || stateDiags.HasError() {
		return
	}

	p := progressFromState(&state)
	// What this apply does not reach (it fails early) stays intended.
	p.ServerConfig = loadServerConfig(ctx, req.Private, &resp.Diagnostics)
	switch wo := writeOnlyKey(ctx, req.Config, &resp.Diagnostics); {
	case wo != "":
		// The configured write-only key is the truth: a version bump
		// rotates to it, a drift repair writes it back.
		p.SharedKey, p.KeyWriteOnly = wo, true
	case s.SharedKey != "":
		p.SharedKey = s.SharedKey
	case p.SharedKey == "":
		// Leaving shared_key_wo without a shared_key: the old key is
		// nowhere in state, so the link generates a new one.
		key, err := ipsec.GenerateSharedKey()
		if err != nil {
			resp.Diagnostics.AddError("Generating the shared key", err.Error())
			return
		}
		p.SharedKey = key
	}
	withHAToken(ctx, req.Config, &s, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	err := removeStaleRoutes(ctx, c, &state, s, p)
	if err == nil {
		err = converge(ctx, c, s, p)
	}
	if err == nil && s.Hetzner.HA == nil && p.HA.pair() {
		// high_availability removed: the pair's extras go once the
		// single server carries the link again.
		err = leaveHA(ctx, c, s, p)
	}
	r.finish(ctx, &plan, p, &resp.State, &resp.Diagnostics)
	// The fingerprint follows what was written, even on a partial
	// failure: a later refresh then reports the side still to repair.
	wo := ""
	if p.KeyWriteOnly {
		wo = p.SharedKey
	}
	storeKeyMAC(ctx, resp.Private, wo, &resp.Diagnostics)
	storeServerConfig(ctx, resp.Private, p.ServerConfig, &resp.Diagnostics)
	if err != nil {
		resp.Diagnostics.AddError("Updating the link failed",
			fmt.Sprintf("%v\n\nWhat was changed so far is recorded; run `terraform apply` again to finish.", err))
	}
}

func (r *resourceImpl) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	netID, connID, ok := strings.Cut(req.ID, ":")
	n, err := strconv.ParseInt(netID, 10, 64)
	if !ok || err != nil || n <= 0 || !strings.HasPrefix(connID, "/subscriptions/") {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("expected <hetzner_network_id>:<azure_connection_id>, e.g. 123:/subscriptions/<sub>/resourceGroups/rg/providers/Microsoft.Network/connections/<name>-conn; got %q", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("hetzner_network_id"), n)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("azure_connection_id"), connID)...)
}
