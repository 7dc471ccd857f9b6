package harness

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// afterFirstChange returns a channel closed `after` past the first
// mutating request the emulator counts from now on.
func afterFirstChange(ctx context.Context, sim *Sim, after time.Duration) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		base, err := sim.Stats(ctx)
		for err == nil {
			st, e := sim.Stats(ctx)
			if e != nil || st.MutationsTotal > base.MutationsTotal {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(after):
			close(ch)
		}
	}()
	return ch
}

// planClean reports whether `terraform plan -detailed-exitcode` says the
// infrastructure matches the configuration (exit 0). A plan that errors
// (faults hit the refresh) is retried; exit 2 (changes) is final.
func planClean(ctx context.Context, ws *Workspace) bool {
	for range 3 {
		switch ws.Run(ctx, "plan", "-detailed-exitcode").ExitCode {
		case 0:
			return true
		case 2:
			return false
		}
	}
	return false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func firstLine(err error) string {
	if err == nil {
		return ""
	}
	var out []string
	for line := range strings.SplitSeq(err.Error(), "\n") {
		l := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "│╷╵"))
		switch {
		case strings.HasPrefix(l, "Error:"):
			out = append(out, l)
		case len(out) > 0 && len(out) < 3 && l != "" && !isSourceLine(l):
			out = append(out, l) // the summary's first detail lines
		}
		if len(out) == 3 {
			break
		}
	}
	if len(out) == 0 {
		s, _, _ := strings.Cut(err.Error(), "\n")
		return s
	}
	return strings.Join(out, " ")
}

// isSourceLine recognises terraform's pointers to the configuration in an
// error block ("with x,", "on main.tf line 3, in ...:", "3: resource ..."),
// which say nothing about what went wrong.
func isSourceLine(l string) bool {
	if strings.HasPrefix(l, "with ") || strings.HasPrefix(l, "on ") {
		return true
	}
	n, _, ok := strings.Cut(l, ":")
	return ok && n != "" && strings.Trim(n, "0123456789") == ""
}

// Orphans lists resources in after that were not in baseline: what a
// destroy left behind, excluding what the harness itself created (the
// resource group and VNet a user would own).
func Orphans(baseline, after []simenv.Resource) []simenv.Resource {
	key := func(r simenv.Resource) string { return r.Cloud + "|" + r.Type + "|" + strings.ToLower(r.ID) }
	seen := map[string]bool{}
	for _, r := range baseline {
		seen[key(r)] = true
	}
	return slices.DeleteFunc(slices.Clone(after), func(r simenv.Resource) bool { return seen[key(r)] })
}

// dupWatch samples /_sim/state during a run and keeps the largest number of
// Azure VPN gateways and Hetzner servers alive at once: a link owns one of
// each, so anything above one is a duplicate (a retried create that did
// not adopt the first one).
type dupWatch struct {
	cancel            context.CancelFunc
	done              chan struct{}
	gateways, servers int
}

func watchDuplicates(ctx context.Context, sim *Sim) *dupWatch {
	ctx, cancel := context.WithCancel(ctx)
	w := &dupWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			if res, err := sim.State(ctx); err == nil {
				var gw, srv int
				for _, r := range res {
					gw += boolInt(r.Type == "Microsoft.Network/virtualNetworkGateways")
					srv += boolInt(r.Cloud == simenv.CloudHCloud && r.Type == "server")
				}
				w.gateways, w.servers = max(w.gateways, gw), max(w.servers, srv)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

func (w *dupWatch) stop() (gateways, servers int) {
	w.cancel()
	<-w.done
	return w.gateways, w.servers
}
