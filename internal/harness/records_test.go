package harness

import (
	"slices"
	"testing"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

func rec(step string, startSec, durSec float64) Record {
	t0 := time.Unix(1_000_000, 0)
	s := t0.Add(time.Duration(startSec * float64(time.Second)))
	return Record{Step: step, Start: s, End: s.Add(time.Duration(durSec * float64(time.Second)))}
}

func TestCriticalPath(t *testing.T) {
	tests := []struct {
		name string
		recs []Record
		want float64
		path []string
	}{
		{
			name: "gateway dominates: public IP, gateway, connection",
			recs: []Record{rec(StepPublicIP, 0, 10), rec(StepGatewaySubnet, 0, 5), rec(StepGateway, 10, 2700),
				rec(StepLocalGateway, 1, 60), rec(StepConnection, 2710, 120),
				rec("hcloud.add_subnet", 0, 2), rec("hcloud.create_server", 11, 25), rec("hcloud.attach_to_network", 36, 2),
				rec("hcloud.add_route", 38, 2)},
			want: 10 + 2700 + 120,
			path: []string{StepPublicIP, StepGateway, StepConnection, "connected", "done"},
		},
		{
			name: "slow subnet update comes before the gateway instead of the public IP",
			recs: []Record{rec(StepPublicIP, 0, 10), rec(StepGatewaySubnet, 0, 30), rec(StepGateway, 30, 100), rec(StepConnection, 130, 5)},
			want: 30 + 100 + 5,
			path: []string{StepGatewaySubnet, StepGateway, StepConnection, "connected", "done"},
		},
		{
			name: "reused gateway: the Hetzner server path is the longest",
			recs: []Record{rec(StepLocalGateway, 0, 1), rec(StepConnection, 1, 2), rec("hcloud.add_subnet", 0, 1),
				rec("hcloud.create_server", 1, 20), rec("hcloud.start_server", 1, 5), rec("hcloud.attach_to_network", 21, 2),
				rec("hcloud.add_route", 23, 1), rec("hcloud.add_route", 24, 1)},
			want: 1 + 20 + 2 + 2,
			path: []string{"hcloud.add_subnet", "hcloud.create_server", "hcloud.attach_to_network", "hcloud.add_route", "done"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, path := CriticalPath(tt.recs)
			if got.Seconds() != tt.want {
				t.Errorf("CriticalPath = %v, want %vs", got, tt.want)
			}
			if !slices.Equal(path, tt.path) {
				t.Errorf("path = %v, want %v", path, tt.path)
			}
			var sum time.Duration
			for _, r := range tt.recs {
				sum += r.Duration()
			}
			if SequentialTime(tt.recs) != sum || sum < got {
				t.Errorf("SequentialTime = %v, want the sum %v (never below the critical path %v)", SequentialTime(tt.recs), sum, got)
			}
		})
	}
}

func TestUnplacedNamesStepsOutsideTheGraph(t *testing.T) {
	got := Unplaced([]Record{rec(StepGateway, 0, 1), rec("hcloud.assign_primary_ip", 0, 1), rec("hcloud.assign_primary_ip", 1, 1)})
	if !slices.Equal(got, []string{"hcloud.assign_primary_ip"}) {
		t.Errorf("Unplaced = %v", got)
	}
}

func TestCountBetween(t *testing.T) {
	t0 := time.Unix(2_000_000, 0)
	at := func(sec int, hc int64) StatsSample {
		return StatsSample{At: t0.Add(time.Duration(sec) * time.Second),
			Stats: simenv.StatsSnapshot{RequestsByCloud: map[string]int64{simenv.CloudHCloud: hc}}}
	}
	samples := []StatsSample{at(0, 0), at(1, 10), at(2, 25), at(3, 25), at(4, 40)}
	tests := []struct {
		from, to float64
		want     int64
	}{
		{0, 4, 40},
		{1, 3, 15},
		{1.5, 3.5, 15}, // counters at the last sample at or before each end
		{2, 3, 0},
		{-1, 0.5, 0},
	}
	for _, tt := range tests {
		from := t0.Add(time.Duration(tt.from * float64(time.Second)))
		to := t0.Add(time.Duration(tt.to * float64(time.Second)))
		if got := CountBetween(samples, simenv.CloudHCloud, from, to); got != tt.want {
			t.Errorf("CountBetween(%v, %v) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestOrphansIgnoresWhatTheHarnessCreated(t *testing.T) {
	vnet := simenv.Resource{Cloud: "azure", Type: "Microsoft.Network/virtualNetworks", ID: "/subscriptions/s/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v", Name: "v"}
	vnetOtherCase := vnet
	vnetOtherCase.ID = "/subscriptions/s/resourcegroups/rg/providers/microsoft.network/virtualnetworks/v"
	gw := simenv.Resource{Cloud: "azure", Type: "Microsoft.Network/virtualNetworkGateways", ID: "/x/gw", Name: "gw"}
	net := simenv.Resource{Cloud: "hcloud", Type: "network", ID: "7", Name: "l"}
	got := Orphans([]simenv.Resource{vnet}, []simenv.Resource{vnetOtherCase, gw, net})
	if !slices.Equal(got, []simenv.Resource{gw, net}) {
		t.Errorf("Orphans = %v, want the gateway and the network", got)
	}
	if len(Orphans([]simenv.Resource{vnet}, []simenv.Resource{vnet})) != 0 {
		t.Error("an untouched baseline must give no orphans")
	}
}
