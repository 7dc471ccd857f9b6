package azuresim

import (
	"encoding/json"
	"fmt"

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
// Each kind keeps its own table (kind.go); the state file has one object per
// kind under its URL segment, next to resourceGroups and operations.
type state struct {
	Groups map[string]*armresources.ResourceGroup
	Ops    map[string]*operation
	// NextIP is the last host number handed out of 198.51.100.0/24.
	NextIP int
	tables map[string]any
}

func newState() *state {
	return &state{Groups: map[string]*armresources.ResourceGroup{}, Ops: map[string]*operation{}, tables: map[string]any{}}
}

func (st *state) MarshalJSON() ([]byte, error) {
	m := map[string]any{"resourceGroups": st.Groups, "operations": st.Ops, "nextPublicIP": st.NextIP}
	for _, k := range kinds {
		m[k.seg()] = k.table(st)
	}
	return json.Marshal(m)
}

func (st *state) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*st = state{tables: map[string]any{}}
	for key, dst := range map[string]any{"resourceGroups": &st.Groups, "operations": &st.Ops, "nextPublicIP": &st.NextIP} {
		if r, ok := raw[key]; ok {
			if err := json.Unmarshal(r, dst); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	for _, k := range kinds {
		if r, ok := raw[k.seg()]; ok {
			if err := k.load(st, r); err != nil {
				return fmt.Errorf("%s: %w", k.seg(), err)
			}
		}
	}
	return nil
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
	if st.Ops == nil {
		st.Ops = map[string]*operation{}
	}
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
