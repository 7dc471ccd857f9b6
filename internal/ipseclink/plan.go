package ipseclink

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/hetzner"
)

// ValidateConfig runs every rule that needs no API call, so `terraform
// validate` and `plan` refuse bad input before anything is touched.
func (r *resourceImpl) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg model
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, d := buildSpec(ctx, &cfg)
	resp.Diagnostics.Append(d...)
	if !resp.Diagnostics.HasError() {
		checkUserDataSize(&s, &resp.Diagnostics)
	}
}

// ModifyPlan checks the rules that depend on live data (the existing
// network's range and servers, the VNet's address space, a reused gateway)
// with reads only, resolves defaults so the plan shows them, and turns
// drift found by the last refresh into a planned repair.
func (r *resourceImpl) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan model
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var state *model
	if !req.State.Raw.IsNull() {
		state = &model{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if writeOnlyKey(ctx, req.Config, &resp.Diagnostics) != "" {
		// shared_key is computed; with a write-only key it stays null
		// rather than keeping (UseStateForUnknown) a migrated old key.
		plan.SharedKey = types.StringNull()
	}
	if state != nil {
		planRepair(state, &plan)
	}
	s, d := buildSpec(ctx, &plan)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() || (state != nil && !inputsChanged(state, &plan)) {
		keepObserved(state, &plan)
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	if state != nil {
		// Anything that shapes the server or the connection may change.
		plan.HetznerServerID = types.Int64Unknown()
		plan.SwanctlConf = types.StringUnknown()
		plan.ConnectionStatus = types.StringUnknown()
		plan.HetznerStandbyServerID, plan.HetznerActiveServerID = types.Int64Unknown(), types.Int64Unknown()
		planHAToggle(state, &plan, s.Hetzner.HA != nil)
	}
	c, d := r.clouds()
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	local, remote, gwIP := liveChecks(ctx, c, &s, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if checkOffer(ctx, c.hc, req, &s, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	checkUserDataSize(&s, &resp.Diagnostics)
	h, a, ok, d := plan.nested(ctx)
	resp.Diagnostics.Append(d...)
	if ok {
		if h.LocalPrefixes.IsUnknown() && len(local) > 0 {
			h.LocalPrefixes = listOfStrings(prefixStrings(local))
		}
		if a.RemotePrefixes.IsUnknown() && len(remote) > 0 {
			a.RemotePrefixes = listOfStrings(prefixStrings(remote))
		}
		if h.GatewayIP.IsUnknown() && gwIP.IsValid() {
			h.GatewayIP = types.StringValue(gwIP.String())
			if state == nil {
				plan.HetznerPrivateIP = h.GatewayIP
			}
		}
		resp.Diagnostics.Append(plan.setNested(ctx, h, a)...)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// planRepair shows drift found by the last refresh as a change to `drift`,
// and an incomplete link (a resumed create: sub-resources missing from
// state) as unknown computed values, so apply runs Update, which converges
// it. connection_status is an observation, not a sign of an incomplete
// link: a tunnel that is down at refresh must not produce a diff on every
// plan; drift in what the link built is what gets repaired.
func planRepair(state, plan *model) {
	incomplete := state.ID.IsNull() || state.HetznerServerID.IsNull() || state.AzureConnectionID.IsNull()
	if len(state.Drift.Elements()) == 0 && !incomplete {
		return
	}
	plan.Drift = driftList(nil)
	plan.HetznerServerID = types.Int64Unknown()
	plan.ConnectionStatus = types.StringUnknown()
	plan.ID = types.StringUnknown()
	for _, v := range []*types.String{&plan.AzureConnectionID, &plan.AzureLNGID, &plan.SwanctlConf, &plan.HetznerPrivateIP} {
		*v = types.StringUnknown()
	}
	for _, v := range []*types.Int64{&plan.HetznerPrimaryIPID, &plan.HetznerFirewallID, &plan.HetznerStandbyServerID, &plan.HetznerActiveServerID} {
		*v = types.Int64Unknown()
	}
}

// inputsChanged reports whether any user input differs from state; when
// none does, planning makes no API call at all (plans of many unchanged
// links stay fast).
func inputsChanged(state, plan *model) bool {
	return !state.Hetzner.Equal(plan.Hetzner) || !state.Azure.Equal(plan.Azure) ||
		!state.IPsecPolicy.Equal(plan.IPsecPolicy) || !state.DPDTimeoutSeconds.Equal(plan.DPDTimeoutSeconds) ||
		!state.SharedKey.Equal(plan.SharedKey) || !state.AllowWeakCrypto.Equal(plan.AllowWeakCrypto) ||
		!state.SharedKeyWOVersion.Equal(plan.SharedKeyWOVersion)
}

// liveChecks reads the network, the VNet and a reused gateway, checks the
// rules that need them, and resolves the defaulted prefixes and gateway IP.
func liveChecks(ctx context.Context, c clouds, s *spec, diags *diag.Diagnostics) (local, remote []netip.Prefix, gwIP netip.Addr) {
	local, remote, gwIP = s.Hetzner.LocalPrefixes, s.Azure.RemotePrefixes, s.Hetzner.GatewayIP
	rng := s.Hetzner.NetworkRange
	var used []netip.Addr
	if s.Hetzner.NetworkID != 0 {
		n, err := hetzner.GetNetwork(ctx, c.hc, s.Hetzner.NetworkID)
		switch {
		case err != nil:
			diags.AddAttributeError(pathHetzner.AtName("network_id"), "Reading the Hetzner network", err.Error())
			return
		case n == nil:
			diags.AddAttributeError(pathHetzner.AtName("network_id"), "Hetzner network not found",
				fmt.Sprintf("hetzner.network_id: no network with ID %d exists in the project the token belongs to; check the ID, or use network_ip_range to create one.", s.Hetzner.NetworkID))
			return
		}
		var subnets []netip.Prefix
		rng, subnets, _ = hetzner.NetworkFacts(n)
		if len(local) == 0 {
			local = subnets
			if s.Hetzner.GatewaySubnet.IsValid() && !slices.Contains(local, s.Hetzner.GatewaySubnet) {
				local = append(slices.Clone(local), s.Hetzner.GatewaySubnet)
			}
		}
		if used, err = hetzner.UsedPrivateIPs(ctx, c.hc, n.ID); err != nil {
			diags.AddAttributeError(pathHetzner.AtName("network_id"), "Listing the network's servers", err.Error())
			return
		}
	} else if len(local) == 0 && s.Hetzner.GatewaySubnet.IsValid() {
		local = []netip.Prefix{s.Hetzner.GatewaySubnet}
	}
	if s.Azure.VNetID != "" {
		vnet, err := c.az.GetVNet(ctx, s.Azure.VNetID)
		if err != nil {
			diags.AddAttributeError(pathAzure.AtName("virtual_network_id"), "Reading the Azure virtual network", err.Error())
			return
		}
		if err := vnetRegionError(*s, vnet); err != nil {
			diags.AddAttributeError(pathAzure.AtName("location"), "Location is not the VNet's region", err.Error())
		}
		warnDualStack(s, vnet, diags)
		if len(remote) == 0 {
			remote = vnet.AddressSpace
		}
		if !s.Azure.ReuseGateway && vnet.GatewaySubnetID == "" && !s.Azure.GatewaySubnet.IsValid() {
			diags.AddAttributeError(pathAzure.AtName("gateway_subnet_prefix"), "GatewaySubnet needed",
				"Virtual network "+vnet.Name+" has no GatewaySubnet; set gateway_subnet_prefix (a /27 inside "+
					joinPrefixes(vnet.AddressSpace)+" that no other subnet uses) so it can be created.")
		}
		if p := s.Azure.GatewaySubnet; p.IsValid() && vnet.GatewaySubnetID == "" &&
			!slices.ContainsFunc(vnet.AddressSpace, func(v netip.Prefix) bool { return addrplan.Contains(v, p) }) {
			diags.AddAttributeError(pathAzure.AtName("gateway_subnet_prefix"), "GatewaySubnet outside the VNet",
				"azure.gateway_subnet_prefix: "+p.String()+" is not inside the VNet's address space "+joinPrefixes(vnet.AddressSpace)+".")
		}
	}
	if s.Azure.GatewayID != "" {
		gw, err := c.az.GetGateway(ctx, s.Azure.GatewayID)
		if err == nil {
			err = reusableFor(*s, s.Azure.GatewayID, gw)
		}
		if err != nil {
			diags.AddAttributeError(pathAzure.AtName("virtual_network_gateway_id"), "Gateway cannot be reused", err.Error())
		}
	}
	resolved := *s
	resolved.Hetzner.NetworkRange, resolved.Azure.RemotePrefixes = rng, remote
	if s.Hetzner.NetworkID != 0 {
		// Defaulted from the existing network's subnets; when the link
		// creates the network, the default is gateway_subnet alone and
		// checkPlan blames that attribute.
		resolved.Hetzner.LocalPrefixes = local
	}
	checkPlan(&resolved, diags)
	if !gwIP.IsValid() && rng.IsValid() && s.Hetzner.GatewaySubnet.IsValid() && !diags.HasError() {
		ip, err := addrplan.DefaultGatewayIP(s.Hetzner.GatewaySubnet, rng, used)
		addErr(diags, pathHetzner.AtName("gateway_subnet"), "No free gateway IP", err)
		gwIP = ip
	}
	s.Hetzner.LocalPrefixes, s.Azure.RemotePrefixes = local, remote
	return local, remote, gwIP
}

// checkUserDataSize renders the gateway's cloud-init with worst-case
// addresses and key, so a prefix list too long for Hetzner's 32 KiB
// user_data limit fails at plan, not after the Azure gateway exists.
func checkUserDataSize(s *spec, diags *diag.Diagnostics) {
	local := s.Hetzner.LocalPrefixes
	if len(local) == 0 && s.Hetzner.GatewaySubnet.IsValid() {
		local = []netip.Prefix{s.Hetzner.GatewaySubnet}
	}
	if len(local) == 0 || len(s.Azure.RemotePrefixes) == 0 {
		return
	}
	g, err := gatewayConfig(*s, netip.MustParseAddr("255.255.255.254"), netip.MustParseAddr("255.255.255.253"),
		local, s.Azure.RemotePrefixes, strings.Repeat("Z", 128))
	if err != nil {
		return
	}
	_, err = cloudinit.Render(g)
	if se := (*cloudinit.SizeError)(nil); errors.As(err, &se) {
		at := pathAzure.AtName("remote_prefixes")
		if len(local) > len(s.Azure.RemotePrefixes) {
			at = pathHetzner.AtName("local_prefixes")
		}
		diags.AddAttributeError(at, "Gateway cloud-init too large", fmt.Sprintf("%s: %v.", at, err))
	}
}

func joinPrefixes(ps []netip.Prefix) string { return strings.Join(prefixStrings(ps), ", ") }
