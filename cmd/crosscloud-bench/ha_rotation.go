package main

import (
	"context"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/labsync"
)

// HARotation is the key rotation of a highly available link (issue 15):
// how long traffic from a Hetzner host to an Azure host stops while
// `shared_key_wo_version` is bumped and the provider rolls the pair
// (internal/ipseclink/ha_rolling.go: the passive server is replaced, the
// Azure connection takes the new key once the new server reports ready,
// then the active one is replaced, which is a failover). Like Rotation it
// exists only from a lab run; anywhere else Skipped says why.
type HARotation struct {
	// Downtime is the longest time between two TCP exchanges that got
	// through, from the start of the rotating apply until traffic flowed
	// again (resolution RotationInterval). The emulator runs with
	// -real-time-failover: the Floating IP and route actions take their
	// real-world durations, the rest of the clouds stays at TimeScale.
	Downtime *float64 `json:"ha_key_rotation_downtime_seconds,omitempty"`
	// GapStart is when that gap began, in seconds after the apply started.
	GapStart  float64 `json:"ha_key_rotation_gap_start_seconds,omitempty"`
	Apply     float64 `json:"ha_key_rotation_apply_seconds,omitempty"`
	TimeScale float64 `json:"ha_key_rotation_time_scale,omitempty"`
	// Gaps are all runs without traffic over a second: one is the roll
	// working as designed, more say where else it stopped traffic.
	Gaps    []Gap   `json:"ha_key_rotation_gaps,omitempty"`
	Phases  []Phase `json:"ha_key_rotation_phases,omitempty"`
	Skipped string  `json:"ha_key_rotation_skipped,omitempty"`
}

const haRotationPort = 5004

// haRotationConfig is the rotation's link with examples/high-availability's
// pair: the token comes in write-only like the key, and the servers'
// failover agents call the Hetzner API where the lab serves it.
// haRotationLink names the link (and so its Azure connection).
const haRotationLink = "bench-ha-rotation"

var haRotationConfig = linkConfig(haRotationLink, `
variable "gateway_hcloud_token" {
  type      = string
  sensitive = true
  ephemeral = true
}
`, `
    high_availability = {
      standby_location = "fsn1"
      hcloud_token_wo  = var.gateway_hcloud_token
      api_endpoint     = "`+labsync.AgentEndpoint+`"
    }
`)

// haRotation measures a key rotation of an HA link in a crosscloud-sim
// -lab -real-time-failover.
func (b *bench) haRotation(ctx context.Context) error {
	m, err := b.measureRoll(ctx, keyRoll{config: haRotationConfig, simFlags: []string{"-real-time-failover"},
		gateways: 2, port: haRotationPort, stopGrace: time.Minute,
		vars: func(s *harness.Sim) map[string]any {
			return map[string]any{"gateway_hcloud_token": s.Env["HCLOUD_TOKEN"]}
		},
		notRoot: "needs root: the lab runs keepalived and strongSwan in network namespaces (sudo env \"PATH=$PATH\" make bench)",
		after:   b.azureInstanceFailover})
	b.res.HARotation = HARotation(m)
	if m.Skipped != "" && b.res.AzureInstance.Skipped == "" {
		b.res.AzureInstance.Skipped = m.Skipped
	}
	return err
}
