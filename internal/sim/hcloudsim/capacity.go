package hcloudsim

import (
	"fmt"
	"slices"
)

// Capacity. A valid server create can still fail because Hetzner has no room
// for it right now:
//   - resource_unavailable, HTTP 412, message "error during placement" (the raw
//     answer quoted in jenkinsci/hetzner-cloud-plugin#21; also "server
//     location disabled", mysticaltech/terraform-hcloud-kube-hetzner#1991);
//   - placement_error, HTTP 422, "An error during the placement occurred"
//     (hcloud-go hcloud/error.go ErrorCodePlacementError; the create-server
//     error table of the API reference).
//
// Neither hcloud-go nor the API says how long such a shortage lasts. The
// emulator injects them on demand: Server.FailServerCreates (tests, exactly
// the next n creates) or the -faults keys resource_unavailable_rate and
// placement_error_rate (simenv.Faults.Capacity, seeded).
//
// A type offered in a location but marked unavailable there
// (server_type.locations[].available = false, Server.SetAvailable) is
// answered with resource_unavailable as well. That code for that case is an
// assumption (unverified): users report such types as "temporarily not
// available in some locations due to current demand"
// (mysticaltech/terraform-hcloud-kube-hetzner#1801).

// capacity is the emulator-side capacity state, guarded by Server.mu. It is
// not part of the saved project: it describes Hetzner, not the project.
type capacity struct {
	unavailable map[[2]string]bool
	failNext    []string
}

// SetAvailable marks serverType as (un)orderable in location for this
// project: GET /server_types reports locations[].available accordingly and
// a create answers resource_unavailable while it is false.
func (s *Server) SetAvailable(serverType, location string, available bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.capacity.unavailable == nil {
		s.capacity.unavailable = map[[2]string]bool{}
	}
	if available {
		delete(s.capacity.unavailable, [2]string{serverType, location})
	} else {
		s.capacity.unavailable[[2]string{serverType, location}] = true
	}
}

// FailServerCreates makes the next n otherwise valid server creates fail
// with code: "resource_unavailable" or "placement_error".
func (s *Server) FailServerCreates(code string, n int) error {
	if code != "resource_unavailable" && code != "placement_error" {
		return fmt.Errorf("hcloudsim: %q is not a capacity error; use resource_unavailable or placement_error", code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.capacity.failNext = append(s.capacity.failNext, code)
	}
	return nil
}

// unavailable reports whether typ is out of capacity in loc (s.mu held).
func (s *Server) unavailable(typ, loc string) bool {
	return s.capacity.unavailable[[2]string{typ, loc}]
}

// capacityFault decides whether this (valid) server create fails for lack
// of capacity; s.mu is held. Queued failures come first, then the seeded
// fault stream.
func (s *Server) capacityFault(typ serverTypeSpec, loc string) *apiError {
	code := ""
	if len(s.capacity.failNext) > 0 {
		code = s.capacity.failNext[0]
		s.capacity.failNext = slices.Delete(s.capacity.failNext, 0, 1)
	} else {
		code = s.env.Faults.Capacity()
	}
	switch code {
	case "resource_unavailable":
		return errf(code, "error during placement")
	case "placement_error":
		return errf(code, "An error during the placement occurred")
	}
	if s.unavailable(typ.name, loc) {
		return errf("resource_unavailable", "server type %s is currently unavailable in %s", typ.name, loc)
	}
	return nil
}
