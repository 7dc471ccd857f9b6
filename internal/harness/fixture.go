package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// BenchConfig is examples/bench/main.tf: the configuration every bench and
// chaos workspace applies, with its links given as the `links` variable.
func BenchConfig() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(filepath.Join(root, "examples", "bench", "main.tf"))
	return string(b), err
}

// Link is one entry of examples/bench's `links` variable.
type Link struct {
	ResourceGroupName       string `json:"resource_group_name"`
	VirtualNetworkID        string `json:"virtual_network_id"`
	GatewaySubnet           string `json:"gateway_subnet,omitempty"`
	VirtualNetworkGatewayID string `json:"virtual_network_gateway_id,omitempty"`
	// NetworkID joins an existing Hetzner network (SeedHetznerNetwork)
	// instead of the link creating its own.
	NetworkID int64 `json:"network_id,omitempty"`
	// LocalPrefixes overrides the prefixes announced to Azure.
	LocalPrefixes []string `json:"local_prefixes,omitempty"`
}

// BenchResourceGroup is the resource group the harness seeds; its VNets are
// BenchVNet(i).
const BenchResourceGroup = "rg-bench"

// BenchVNet names the i-th seeded VNet.
func BenchVNet(i int) string { return fmt.Sprintf("vnet-%d", i) }

// SeedVNets creates BenchResourceGroup with n VNets of the original
// topology (10.1.0.0/16 with a workload subnet 10.1.1.0/24; separate VNets
// may overlap, as unpeered Azure VNets may) and returns their IDs.
func SeedVNets(ctx context.Context, sim *Sim, n int) ([]string, error) {
	ids := make([]string, n)
	for i := range n {
		id, err := SeedAzure(ctx, sim, AzureSeed{
			ResourceGroup: BenchResourceGroup, Location: "westeurope", VNet: BenchVNet(i),
			AddressSpace: []string{"10.1.0.0/16"}, Subnets: map[string]string{"workload": "10.1.1.0/24"},
		})
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// LinkWorkspace is a workspace holding examples/bench/main.tf with links.
func LinkWorkspace(b Binaries, sim *Sim, links map[string]Link) (*Workspace, error) {
	hcl, err := BenchConfig()
	if err != nil {
		return nil, err
	}
	ws, err := NewWorkspace("", b, sim)
	if err != nil {
		return nil, err
	}
	if err := ws.WriteConfig(hcl); err != nil {
		return nil, err
	}
	return ws, ws.WriteVars(map[string]any{"links": links})
}

// StatsSample is one reading of /_sim/stats.
type StatsSample struct {
	At    time.Time
	Stats simenv.StatsSnapshot
}

// Sampler reads /_sim/stats periodically, so request counts can be placed
// in time (the emulator itself only keeps totals). /_sim/ requests are not
// counted by the emulator, so sampling does not disturb what it measures.
type Sampler struct {
	mu      sync.Mutex
	samples []StatsSample
	cancel  context.CancelFunc
	done    chan struct{}
}

// StartSampler samples sim every interval until Stop.
func StartSampler(ctx context.Context, sim *Sim, every time.Duration) *Sampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &Sampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if st, err := sim.Stats(ctx); err == nil {
				s.mu.Lock()
				s.samples = append(s.samples, StatsSample{At: time.Now(), Stats: st})
				s.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends sampling and returns the samples in time order.
func (s *Sampler) Stop() []StatsSample {
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// CountBetween is how many requests to cloud the samples place between
// from and to: the counter at the last sample at or before `to`, minus the
// counter at the last sample at or before `from` (so the error is at most
// one sampling interval at each end).
func CountBetween(samples []StatsSample, cloud string, from, to time.Time) int64 {
	at := func(t time.Time) int64 {
		var v int64
		for _, s := range samples {
			if s.At.After(t) {
				break
			}
			v = s.Stats.RequestsByCloud[cloud]
		}
		return v
	}
	return at(to) - at(from)
}
