package azuresim

import (
	"encoding/json"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

// ARM resource types, as they appear in "type" and in /_sim/state.
const (
	typeVNet         = "Microsoft.Network/virtualNetworks"
	typeSubnet       = "Microsoft.Network/virtualNetworks/subnets"
	typePublicIP     = "Microsoft.Network/publicIPAddresses"
	typeGateway      = "Microsoft.Network/virtualNetworkGateways"
	typeLocalGateway = "Microsoft.Network/localNetworkGateways"
	typeConnection   = "Microsoft.Network/connections"
)

// state is everything the emulator knows; maps are keyed by lower-case ARM ID
// (resource groups by lower-case name) because ARM IDs compare
// case-insensitively. Subnets live inside their VNet, as ARM returns them.
type state struct {
	Groups        map[string]*armresources.ResourceGroup                 `json:"resourceGroups"`
	VNets         map[string]*armnetwork.VirtualNetwork                  `json:"virtualNetworks"`
	PublicIPs     map[string]*armnetwork.PublicIPAddress                 `json:"publicIPAddresses"`
	Gateways      map[string]*armnetwork.VirtualNetworkGateway           `json:"virtualNetworkGateways"`
	LocalGateways map[string]*armnetwork.LocalNetworkGateway             `json:"localNetworkGateways"`
	Connections   map[string]*armnetwork.VirtualNetworkGatewayConnection `json:"connections"`
	Ops           map[string]*operation                                  `json:"operations"`
	// NextIP is the last host number handed out of 198.51.100.0/24.
	NextIP int `json:"nextPublicIP"`
}

func newState() *state {
	return &state{
		Groups:        map[string]*armresources.ResourceGroup{},
		VNets:         map[string]*armnetwork.VirtualNetwork{},
		PublicIPs:     map[string]*armnetwork.PublicIPAddress{},
		Gateways:      map[string]*armnetwork.VirtualNetworkGateway{},
		LocalGateways: map[string]*armnetwork.LocalNetworkGateway{},
		Connections:   map[string]*armnetwork.VirtualNetworkGatewayConnection{},
		Ops:           map[string]*operation{},
	}
}

// MarshalState snapshots every resource and every operation (including
// in-flight ones, which resume after UnmarshalState), so crosscloud-sim can
// stop and restart without losing a half-built gateway.
func (s *Server) MarshalState() ([]byte, error) {
	var (
		b   []byte
		err error
	)
	s.withLock(func() { b, err = json.Marshal(s.st) })
	return b, err
}

// UnmarshalState replaces the state with one MarshalState produced.
func (s *Server) UnmarshalState(b []byte) error {
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil {
		return fmt.Errorf("azuresim: reading state: %w", err)
	}
	if st.Groups == nil {
		return fmt.Errorf("azuresim: reading state: no \"resourceGroups\" object; is this a file MarshalState wrote?")
	}
	empty := newState()
	fill(&st.VNets, empty.VNets)
	fill(&st.PublicIPs, empty.PublicIPs)
	fill(&st.Gateways, empty.Gateways)
	fill(&st.LocalGateways, empty.LocalGateways)
	fill(&st.Connections, empty.Connections)
	fill(&st.Ops, empty.Ops)
	s.mu.Lock()
	s.st = st
	s.pending = map[string]string{}
	for id, op := range st.Ops {
		if op.Status == statusInProgress {
			s.pending[op.Target] = id
			s.scheduleLocked(op)
		}
	}
	s.mu.Unlock()
	return nil
}

func fill[M ~map[string]V, V any](m *M, empty M) {
	if *m == nil {
		*m = empty
	}
}
