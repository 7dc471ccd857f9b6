package hcloudsim

import (
	"hash/fnv"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// Propagation. Hetzner applies some changes to its network backend after
// the action that asked for them has already succeeded, so a client that
// goes on at once meets the old state for a while:
//
//   - subnet: a subnet added with add_subnet does not take servers yet;
//     attaching into it answers no_subnet_available. Hetzner's own Terraform
//     provider retries attach on that code because "in our tests we often run
//     into those timing issues, where ... a LB/Server can not be attached
//     because no subnet is available" (terraform-provider-hcloud commit
//     faa15532; internal/server/common.go).
//   - private_ip: the private IPs of a deleted server stay taken for a while;
//     a replacement server that pins the same IP gets ip_not_available
//     ("provided IP is not available", terraform-provider-hcloud#586,
//     siderolabs/contrib#57).
//   - firewall: a deleted server stays in its firewalls' applied_to for a
//     while; remove_from_resources then answers firewall_resource_not_found
//     and deleting the firewall resource_in_use. terraform-provider-hcloud
//     treats the first as done and retries the delete on the second,
//     "Removing resources from the firewall can sometimes take longer"
//     (internal/firewall/resource.go).
//
// How long each lasts is not published (unverified). The spans below are
// the emulator's assumption, chosen longer than what a client does in
// between (a server create takes 10-30 s, see actionSeconds; a Terraform
// provider polls actions at least every second) so that every acceptance
// run meets each delay: the first attach after add_subnet, the attach of a
// replacement server, the firewall teardown after a server delete. Each
// delay is picked deterministically from the fault seed and the resource,
// so a run repeats exactly.
var propagationSeconds = map[string][2]int{
	"subnet":     {90, 150},
	"private_ip": {60, 90},
	"firewall":   {20, 40},
}

// pendingRec is one change that has not reached Hetzner's backend yet. It is
// part of the saved project, so a restarted emulator keeps the delays.
type pendingRec struct {
	Kind     string    `json:"kind"`
	Network  int64     `json:"network,omitempty"`
	Subnet   string    `json:"subnet,omitempty"`
	IPs      []string  `json:"ips,omitempty"`
	Firewall int64     `json:"firewall,omitempty"`
	Server   int64     `json:"server,omitempty"`
	Until    time.Time `json:"until"`
}

// propagationDelay is how long change kind on resource key takes to
// propagate, in emulator time.
func (s *Server) propagationDelay(kind, key string) time.Duration {
	span := propagationSeconds[kind]
	seed := uint64(1)
	if s.env.Faults != nil {
		seed = s.env.Faults.Seed
	}
	h := fnv.New64a()
	h.Write([]byte(kind + "/" + key + "/" + strconv.FormatUint(seed, 10)))
	ms := span[0]*1000 + int(h.Sum64()%uint64((span[1]-span[0])*1000+1))
	return s.env.Clock.Scaled(time.Duration(ms) * time.Millisecond)
}

// subnetAdded records that subnet of network n accepts servers only after
// its add_subnet action and the propagation delay.
func (s *Server) subnetAdded(n int64, subnet string, actionDone time.Time) {
	key := strconv.FormatInt(n, 10) + "/" + subnet
	s.st.Pending = append(s.st.Pending, &pendingRec{Kind: "subnet", Network: n, Subnet: subnet,
		Until: actionDone.Add(s.propagationDelay("subnet", key))})
}

// serverDeleted keeps the private IPs of server r taken, and r listed in
// the firewalls applied to it directly, until the delays have passed.
func (s *Server) serverDeleted(r *serverRec, actionDone time.Time) {
	id := r.Server.ID
	key := strconv.FormatInt(id, 10)
	for _, pn := range r.Server.PrivateNet {
		ips := append([]string{pn.IP}, pn.AliasIPs...)
		s.st.Pending = append(s.st.Pending, &pendingRec{Kind: "private_ip", Network: pn.Network, Server: id, IPs: ips,
			Until: actionDone.Add(s.propagationDelay("private_ip", key))})
	}
	for _, fid := range slices.Sorted(mapsKeys(s.st.Firewalls)) {
		if slices.ContainsFunc(s.st.Firewalls[fid].AppliedTo, func(x schema.FirewallResource) bool {
			return x.Server != nil && x.Server.ID == id
		}) {
			s.st.Pending = append(s.st.Pending, &pendingRec{Kind: "firewall", Firewall: fid, Server: id,
				Until: actionDone.Add(s.propagationDelay("firewall", key))})
		}
	}
}

// settlePending applies every change whose delay has passed; settle calls
// it at the start of each request.
func (s *Server) settlePending(now time.Time) {
	s.st.Pending = slices.DeleteFunc(s.st.Pending, func(p *pendingRec) bool {
		if now.Before(p.Until) {
			return false
		}
		if f, ok := s.st.Firewalls[p.Firewall]; ok && p.Kind == "firewall" {
			f.AppliedTo = slices.DeleteFunc(f.AppliedTo, func(x schema.FirewallResource) bool {
				return x.Server != nil && x.Server.ID == p.Server
			})
		}
		return true
	})
}

// subnetPending reports whether subnet of network n is still propagating.
func (s *Server) subnetPending(n int64, subnet netip.Prefix) bool {
	return slices.ContainsFunc(s.st.Pending, func(p *pendingRec) bool {
		return p.Kind == "subnet" && p.Network == n && p.Subnet == subnet.String()
	})
}

// releasing returns the private IPs of deleted servers that network n has
// not released yet.
func (s *Server) releasing(n int64) []netip.Addr {
	var out []netip.Addr
	for _, p := range s.st.Pending {
		if p.Kind != "private_ip" || p.Network != n {
			continue
		}
		for _, ip := range p.IPs {
			if a, err := netip.ParseAddr(ip); err == nil {
				out = append(out, a)
			}
		}
	}
	return out
}
