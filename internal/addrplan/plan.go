package addrplan

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// ProviderRequest asks a prefix plan for one block. It is the "next step" of
// the original setup: assign routing prefixes to each cloud provider
// consistently instead of picking them by hand.
type ProviderRequest struct {
	// Name identifies the provider in the result ([a-z0-9-], unique).
	Name string
	// PrefixLength is the block's prefix length; 0 means the default: the
	// supernet split evenly into the next power of two of len(providers).
	PrefixLength int
}

// NamedPrefix is one allocated block, in the order the providers were given.
type NamedPrefix struct {
	Name   string
	Prefix netip.Prefix
}

// PlanResult is what crosscloud_prefix_plan exposes: a block per provider and
// the Hetzner network range that covers them all, so the superset rule
// (CheckCovers) holds by construction.
type PlanResult struct {
	// Prefixes holds one block per provider, in input order.
	Prefixes []NamedPrefix
	// HetznerNetworkRange is the smallest prefix covering every block,
	// widened to /24 when smaller (Hetzner's minimum network size).
	HetznerNetworkRange netip.Prefix
}

// Prefix returns the block allocated to name, for callers that look providers
// up by name rather than position.
func (r PlanResult) Prefix(name string) (netip.Prefix, bool) {
	for _, np := range r.Prefixes {
		if np.Name == name {
			return np.Prefix, true
		}
	}
	return netip.Prefix{}, false
}

// ValidName reports whether name is usable as a provider or link name:
// non-empty lowercase letters, digits and '-', which is safe in both Hetzner
// and Azure resource names.
func ValidName(name string) bool {
	if name == "" || len(name) > 63 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Plan allocates one aligned, non-overlapping block of the supernet per
// provider. The same input always gives the same output: blocks are placed
// largest first (ties in input order) from the bottom of the supernet, which
// never fragments power-of-two blocks, so a plan fails only when the blocks
// really do not fit; the result keeps the input order.
func Plan(supernet netip.Prefix, providers []ProviderRequest) (PlanResult, error) {
	if err := checkPrefix(AttrSupernet, supernet); err != nil {
		return PlanResult{}, err
	}
	if !IsRFC1918(supernet) {
		return PlanResult{}, errorf(AttrSupernet, "%s is not private address space; the plan yields a Hetzner network range, "+
			"which must be RFC1918 (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)", supernet)
	}
	if supernet.Bits() > 24 {
		return PlanResult{}, errorf(AttrSupernet, "%s is too small: the Hetzner network range covering the plan must be /24 or "+
			"larger, so use a supernet of /24 or larger, e.g. %s", supernet, netip.PrefixFrom(supernet.Addr(), 24).Masked())
	}
	if len(providers) == 0 {
		return PlanResult{}, errorf(AttrProviders, "no providers given; list at least one, e.g. hetzner and azure")
	}
	lengths, err := requestLengths(supernet, providers)
	if err != nil {
		return PlanResult{}, err
	}

	order := make([]int, len(providers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return lengths[a] - lengths[b] })

	base := uint64(toU32(supernet.Addr()))
	end := base + blockSize(supernet.Bits())
	next := base
	alloc := make([]netip.Prefix, len(providers))
	for _, i := range order {
		size := blockSize(lengths[i])
		if next+size > end {
			return PlanResult{}, errorf(AttrProviders, "the requested blocks do not fit in %s (%d addresses requested, %d available); "+
				"use a larger supernet, longer prefix lengths or fewer providers", supernet, totalSize(lengths), blockSize(supernet.Bits()))
		}
		alloc[i] = netip.PrefixFrom(fromU32(uint32(next)), lengths[i])
		next += size
	}

	res := PlanResult{Prefixes: make([]NamedPrefix, len(providers))}
	for i, p := range providers {
		res.Prefixes[i] = NamedPrefix{Name: p.Name, Prefix: alloc[i]}
	}
	cover := CoveringSupernet(alloc...)
	if cover.Bits() > 24 {
		cover = netip.PrefixFrom(cover.Addr(), 24).Masked()
	}
	if err := CheckNetworkRange(cover); err != nil {
		return PlanResult{}, errorf(AttrSupernet, "the plan's Hetzner network range is unusable: %s", err.(*attrerr.Error).Message)
	}
	res.HetznerNetworkRange = cover
	return res, nil
}

// requestLengths validates names and resolves default prefix lengths.
func requestLengths(supernet netip.Prefix, providers []ProviderRequest) ([]int, error) {
	def := supernet.Bits() + bits.Len(uint(len(providers)-1))
	seen := make(map[string]int, len(providers))
	lengths := make([]int, len(providers))
	for i, p := range providers {
		if !ValidName(p.Name) {
			return nil, errorf(AttrProviders, "provider %d: name %q is invalid; use 1-63 lowercase letters, digits and '-'", i, p.Name)
		}
		if j, dup := seen[p.Name]; dup {
			return nil, errorf(AttrProviders, "provider %d: name %q is already used by provider %d; names must be unique", i, p.Name, j)
		}
		seen[p.Name] = i
		l := p.PrefixLength
		if l == 0 {
			l = def
		}
		if l < supernet.Bits() || l > 32 {
			what := fmt.Sprintf("prefix_length %d", l)
			if p.PrefixLength == 0 {
				what = fmt.Sprintf("the default prefix length %d (splitting %s into %d blocks)", l, supernet, 1<<(l-supernet.Bits()))
			}
			return nil, errorf(AttrProviders, "provider %q: %s does not fit in %s; use a length between %d and 32",
				p.Name, what, supernet, supernet.Bits())
		}
		lengths[i] = l
	}
	return lengths, nil
}

func blockSize(prefixLen int) uint64 { return uint64(1) << (32 - prefixLen) }

func totalSize(lengths []int) uint64 {
	var t uint64
	for _, l := range lengths {
		t += blockSize(l)
	}
	return t
}
