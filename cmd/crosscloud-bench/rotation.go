package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// Rotation is the key-rotation part of the BENCH line: how long traffic
// through a real tunnel stops while `shared_key_wo_version` is bumped. It
// exists only from a lab run (strongSwan in network namespaces, which needs
// root and the lab image); anywhere else Skipped says why, and no number is
// reported rather than an invented one.
type Rotation struct {
	// Downtime is the longest time between two TCP exchanges from the
	// Hetzner probe host to the Azure probe host that got through, from the
	// start of the rotating apply until traffic flowed again. Resolution:
	// one probe interval (RotationInterval).
	Downtime *float64 `json:"key_rotation_downtime_seconds,omitempty"`
	// GapStart is when that gap began, in seconds after the apply started.
	GapStart  float64 `json:"key_rotation_gap_start_seconds,omitempty"`
	Apply     float64 `json:"key_rotation_apply_seconds,omitempty"`
	TimeScale float64 `json:"key_rotation_time_scale,omitempty"`
	// Gaps are measured for every rotation (measureRoll) but reported only
	// for the HA pair's, where they tell the one designed failover from any
	// other stop. They stand where HARotation has them, so one converts to
	// the other (HARotation(m)): the two differ only in their JSON keys.
	Gaps []Gap `json:"-"`
	// Phases are the emulator's records of the rotating apply: the Azure
	// connection update and the Hetzner server's replacement, each with its
	// start after the apply began and its scaled and real-world duration.
	Phases  []Phase `json:"key_rotation_phases,omitempty"`
	Skipped string  `json:"key_rotation_skipped,omitempty"`
}

// Phase is one emulator record of the rotating apply.
type Phase struct {
	Step    string  `json:"step"`
	Start   float64 `json:"start_seconds"`
	Seconds float64 `json:"seconds"`
	// RealSeconds is Seconds at time scale 1: what the cloud's documented
	// or measured duration for that step is, per the emulator's facts.
	RealSeconds float64 `json:"real_seconds"`
}

const (
	// RotationInterval is how often the probe sends; the downtime is known
	// to this resolution.
	RotationInterval = 100 * time.Millisecond
	// rotationScale makes the 45-minute Azure gateway of the first apply
	// take 5.4 s, as in `make demo`. The gateway server's boot in the lab
	// is real (a systemd-nspawn container), not scaled.
	rotationScale = 0.002
	// rotationResume bounds the wait for traffic after the rotating apply.
	rotationResume = 3 * time.Minute
	// probesBoot bounds the wait for the first apply's gateway servers to
	// finish cloud-init: a real boot, two at once for a pair, on a machine
	// that may be shared.
	probesBoot = 10 * time.Minute
	probePort  = 5002
)

// rotationConfig is examples/quickstart's link with the key write-only: the
// key comes in through an ephemeral variable, so neither the variable nor
// the attribute reaches state or plan.
var rotationConfig = linkConfig("bench-rotation", "", "")

// linkConfig is the bench's lab link named name; extraVars and
// highAvailability, when not empty, add variables and the
// hetzner.high_availability block (ha_rotation.go).
func linkConfig(name, extraVars, highAvailability string) string {
	return `
terraform {
  required_providers {
    crosscloud = { source = "crosscloud-tf/crosscloud" }
  }
}
provider "crosscloud" {}

variable "vnet_id" { type = string }
variable "key_version" { type = number }
variable "shared_key" {
  type      = string
  sensitive = true
  ephemeral = true
}
` + extraVars + `
resource "crosscloud_ipsec_link" "main" {
  name                  = "` + name + `"
  shared_key_wo         = var.shared_key
  shared_key_wo_version = var.key_version
  hetzner = {
    network_ip_range = "10.0.0.0/12"
    gateway_subnet   = "10.0.1.0/24"
    gateway_ip       = "10.0.1.1"
    location         = "hel1"
` + highAvailability + `  }
  azure = {
    resource_group_name   = "` + harness.BenchResourceGroup + `"
    location              = "westeurope"
    virtual_network_id    = var.vnet_id
    gateway_subnet_prefix = "10.1.2.0/24"
  }
}
`
}

// Subnets of the probe hosts: the link's Hetzner gateway subnet and the
// seeded VNet's workload subnet (harness.SeedVNets).
const (
	hetznerProbeSubnet = "10.0.1.0/24"
	azureProbeSubnet   = "10.1.1.0/24"
)

// rotation applies a link with shared_key_wo in the lab, sends TCP through
// its tunnel, rotates the key by bumping shared_key_wo_version and
// measures how long nothing got through.
func (b *bench) rotation(ctx context.Context) error {
	m, err := b.measureRoll(ctx, keyRoll{config: rotationConfig, gateways: 1, port: probePort,
		notRoot: "needs root: the lab runs strongSwan in network namespaces (sudo env \"PATH=$PATH\" make bench)"})
	b.res.Rotation = m
	return err
}

// keyRoll is what differs between the key-rotation measurements (one
// gateway, an HA pair): the link, the emulator's flags, the extra
// variables and how many gateway servers must have booted before the roll.
type keyRoll struct {
	config   string
	simFlags []string
	// vars adds variables to the link's (the HA token).
	vars     func(*harness.Sim) map[string]any
	gateways int
	port     int
	// notRoot is the skip reason without root.
	notRoot   string
	stopGrace time.Duration
	// after, when set, runs once the rotation is measured, on the same
	// link and traffic, before the destroy (the HA pair's Azure instance
	// failover).
	after func(ctx context.Context, sim *harness.Sim, tr *harness.Traffic)
}

// measureRoll applies kr's link in the lab, sends TCP through its tunnel,
// rotates the key by bumping shared_key_wo_version and measures how long
// nothing got through.
func (b *bench) measureRoll(ctx context.Context, kr keyRoll) (Rotation, error) {
	var m Rotation
	if os.Geteuid() != 0 {
		m.Skipped = kr.notRoot
		return m, nil
	}
	sim, err := harness.StartSim(ctx, b.bin.Sim, harness.SimOptions{TimeScale: rotationScale, Lab: true, Extra: kr.simFlags, Log: b.log, StopGrace: kr.stopGrace})
	if err != nil {
		m.Skipped = "the lab is not available here (docs/guides/lab.md): " + err.Error()
		return m, nil
	}
	defer sim.Stop()
	m.TimeScale = rotationScale
	vnets, err := harness.SeedVNets(ctx, sim, 1)
	if err != nil {
		return m, err
	}
	ws, err := harness.NewWorkspace("", b.bin, sim)
	if err != nil {
		return m, err
	}
	defer ws.Remove()
	if err := ws.WriteConfig(kr.config); err != nil {
		return m, err
	}
	apply := func(version int) (harness.Result, error) {
		vars := map[string]any{"vnet_id": vnets[0], "key_version": version, "shared_key": newKey()}
		if kr.vars != nil {
			maps.Copy(vars, kr.vars(sim))
		}
		if err := ws.WriteVars(vars); err != nil {
			return harness.Result{}, err
		}
		return b.run(ctx, ws, "apply", "-auto-approve")
	}
	if _, err := apply(1); err != nil {
		return m, err
	}
	defer func() {
		if _, err := b.run(ctx, ws, "destroy", "-auto-approve"); err != nil {
			fmt.Fprintf(b.log, "  destroy after the rotation: %v\n", err)
		}
	}()
	hz, az, err := probes(ctx, sim, kr.gateways)
	if err != nil {
		return m, err
	}
	traffic, err := harness.StartTraffic(ctx, hz.Name, az.Name, az.IP, kr.port, RotationInterval, time.Second)
	if err != nil {
		return m, err
	}
	defer traffic.Stop()
	if err := flowsAfter(ctx, traffic, time.Now(), time.Minute); err != nil {
		return m, fmt.Errorf("before the rotation: %w", err)
	}
	start := time.Now()
	res, err := apply(2)
	if err != nil {
		return m, err
	}
	m.Apply = res.Duration.Seconds()
	if err := flowsAfter(ctx, traffic, time.Now(), rotationResume); err != nil {
		return m, fmt.Errorf("after the rotation: %w", err)
	}
	ok, failed := traffic.Delivered()
	gap, at := harness.LongestGap(ok, start)
	d := gap.Seconds()
	m.Downtime, m.GapStart = &d, at.Sub(start).Seconds()
	m.Gaps = gaps(ok, start, time.Second)
	fmt.Fprintf(b.log, "  %d exchanges got through, %d did not; longest gap %s from %s after the apply began; gaps over 1 s: %v\n",
		len(ok), failed, gap.Round(time.Millisecond), at.Sub(start).Round(time.Millisecond), m.Gaps)
	recs, err := sim.RecordsAfter(ctx, start)
	if err != nil {
		return m, err
	}
	// Under -real-time-failover the failover's actions already took their
	// real-world time; only the rest is scaled back up.
	unscaled := map[string]bool{}
	if slices.Contains(kr.simFlags, "-real-time-failover") {
		for _, c := range hcloudsim.FailoverCommands() {
			unscaled["hcloud."+c] = true
		}
	}
	for _, rec := range recs {
		realSec := rec.Duration().Seconds() / rotationScale
		if unscaled[rec.Step] {
			realSec = rec.Duration().Seconds()
		}
		m.Phases = append(m.Phases, Phase{Step: rec.Step, Start: rec.Start.Sub(start).Seconds(),
			Seconds: rec.Duration().Seconds(), RealSeconds: realSec})
	}
	if kr.after != nil {
		kr.after(ctx, sim, traffic)
	}
	return m, nil
}

// Gap is one run without a TCP exchange getting through, in seconds after
// the rotating apply began.
type Gap struct {
	Start   float64 `json:"start_seconds"`
	Seconds float64 `json:"seconds"`
}

func (g Gap) String() string { return fmt.Sprintf("%.1f s at %.1f s", g.Seconds, g.Start) }

// gaps are the runs between exchanges that got through (ok, in order)
// after from that last longer than min: a rolling pair should show one,
// a failover, and a second one says the roll stopped traffic twice.
func gaps(ok []time.Time, from time.Time, min time.Duration) []Gap {
	var out []Gap
	for i := 1; i < len(ok); i++ {
		if d := ok[i].Sub(ok[i-1]); !ok[i].Before(from) && d > min {
			out = append(out, Gap{Start: ok[i-1].Sub(from).Seconds(), Seconds: d.Seconds()})
		}
	}
	return out
}

// probes waits until n gateway servers have finished cloud-init and
// returns the probe hosts on both sides of the tunnel.
func probes(ctx context.Context, sim *harness.Sim, n int) (hz, az lab.Host, err error) {
	deadline := time.Now().Add(probesBoot)
	for {
		hs, err := sim.LabHosts(ctx)
		if err != nil {
			return hz, az, err
		}
		booted := 0
		for _, h := range hs {
			if h.Role == "gateway" && h.Cloud == "hcloud" && h.Booted() {
				booted++
			}
		}
		var okH, okA bool
		hz, okH = harness.FindProbe(hs, "hcloud", hetznerProbeSubnet)
		az, okA = harness.FindProbe(hs, "azure", azureProbeSubnet)
		if booted >= n && okH && okA {
			return hz, az, nil
		}
		if time.Now().After(deadline) {
			return hz, az, fmt.Errorf("after %s the lab has %d of %d booted gateway servers, or no probe host in %s and %s: %+v",
				probesBoot, booted, n, hetznerProbeSubnet, azureProbeSubnet, hs)
		}
		select {
		case <-ctx.Done():
			return hz, az, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// flowsAfter waits until an exchange sent after t got through.
func flowsAfter(ctx context.Context, tr *harness.Traffic, t time.Time, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		ok, failed := tr.Delivered()
		if len(ok) > 0 && ok[len(ok)-1].After(t) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no TCP exchange got through the tunnel within %s (%d failed)", limit, failed)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(RotationInterval):
		}
	}
}

// newKey is a fresh pre-shared key within Azure's character rules.
func newKey() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// rotationRow is the table's line for a key rotation, of one gateway or
// of an HA pair (Rotation(r.HARotation)).
func rotationRow(row func(k, v, note string), name, what string, r Rotation) {
	switch {
	case r.Downtime != nil:
		row(name, fmt.Sprintf("%.2f s", *r.Downtime), fmt.Sprintf("longest TCP gap (probe every %s) while bumping shared_key_wo_version, lab, %stime scale %g; apply %.2f s; %s",
			RotationInterval, what, r.TimeScale, r.Apply, phases(r.Phases)))
	case r.Skipped != "":
		row(name, "skipped", r.Skipped)
	}
}
