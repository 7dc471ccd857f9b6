package ipseclink

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// The configuration each gateway server is meant to run. An apply that
// stops before a server was replaced (an HA roll whose other server never
// reported ready, a server type that cannot be ordered) has already
// written the new inputs to state, so the next plan would be empty and the
// server would run the old configuration for good. So the apply records,
// in private state, the configuration hash (configLabel) it meant each
// server to carry; a refresh that finds a server labelled otherwise
// reports it as drift, and the next apply finishes the replacement.
// Hetzner never returns user_data, so the label is the only witness.
const privateServerConfig = "server_config"

// intendConfig records the hash the apply means server name to run.
func (p *progress) intendConfig(name, hash string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ServerConfig == nil {
		p.ServerConfig = map[string]string{}
	}
	p.ServerConfig[name] = hash
}

// checkConfig reports a server that does not carry the intended
// configuration; what is the server's role in the message.
func (p *progress) checkConfig(obs *observation, what, name string, srv *hcloud.Server) {
	want := p.ServerConfig[name]
	if want == "" || srv == nil || srv.Labels[configLabel] == want {
		return
	}
	obs.driftf("%s %d still runs a previous configuration (an apply stopped before replacing it)", what, srv.ID)
}

func loadServerConfig(ctx context.Context, pg privateGetter, diags *diag.Diagnostics) map[string]string {
	b, d := pg.GetKey(ctx, privateServerConfig)
	diags.Append(d...)
	if len(b) == 0 {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		// Unreadable: check nothing rather than report false drift.
		return nil
	}
	return m
}

func storeServerConfig(ctx context.Context, ps privateSetter, m map[string]string, diags *diag.Diagnostics) {
	if len(m) == 0 {
		return
	}
	b, err := json.Marshal(m)
	if err != nil {
		diags.AddError("Recording the gateway servers' configuration", fmt.Sprint(err))
		return
	}
	diags.Append(ps.SetKey(ctx, privateServerConfig, b)...)
}
