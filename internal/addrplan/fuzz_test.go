package addrplan

import (
	"net/netip"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// fuzzPrefix builds a canonical IPv4 prefix from fuzzer input.
func fuzzPrefix(addr uint32, bits uint8) netip.Prefix {
	return netip.PrefixFrom(fromU32(addr), int(bits%33)).Masked()
}

func FuzzCoveringSupernet(f *testing.F) {
	f.Add(uint32(0x0a000000), uint8(12), uint32(0x0a100000), uint8(16), uint32(0x0a010000), uint8(16))
	f.Add(uint32(0xc0a80000), uint8(16), uint32(0x0a010000), uint8(16), uint32(0), uint8(32))
	f.Add(uint32(0xffffffff), uint8(32), uint32(0xfffffffe), uint8(32), uint32(0xffffffff), uint8(32))
	f.Fuzz(func(t *testing.T, a1 uint32, b1 uint8, a2 uint32, b2 uint8, a3 uint32, b3 uint8) {
		ps := []netip.Prefix{fuzzPrefix(a1, b1), fuzzPrefix(a2, b2), fuzzPrefix(a3, b3)}
		cover := CoveringSupernet(ps...)
		if cover != cover.Masked() || !cover.Addr().Is4() {
			t.Fatalf("cover %s is not a canonical IPv4 prefix", cover)
		}
		for _, p := range ps {
			if !Contains(cover, p) {
				t.Fatalf("cover %s of %v misses %s", cover, ps, p)
			}
		}
		// Minimality: neither half of cover contains all inputs.
		if cover.Bits() < 32 {
			lo := netip.PrefixFrom(cover.Addr(), cover.Bits()+1)
			hi := netip.PrefixFrom(fromU32(toU32(cover.Addr())|1<<(31-cover.Bits())), cover.Bits()+1)
			for _, half := range []netip.Prefix{lo, hi} {
				all := true
				for _, p := range ps {
					all = all && Contains(half, p)
				}
				if all {
					t.Fatalf("cover %s of %v is not minimal: %s also covers all", cover, ps, half)
				}
			}
		}
		// Order does not matter.
		if rev := CoveringSupernet(ps[2], ps[1], ps[0]); rev != cover {
			t.Fatalf("order changed the cover: %s vs %s", cover, rev)
		}
	})
}

func FuzzExpandToCover(f *testing.F) {
	f.Add(uint32(0x0a000000), uint8(12), uint32(0x0a100000), uint8(16))
	f.Add(uint32(0xc0a80000), uint8(16), uint32(0x0a010000), uint8(16))
	f.Add(uint32(0x0a000000), uint8(12), uint32(0), uint8(0))
	f.Add(uint32(0xac100000), uint8(12), uint32(0xac200000), uint8(16))
	f.Add(uint32(0x0a010000), uint8(16), uint32(0x0a000500), uint8(24))
	f.Fuzz(func(t *testing.T, ca uint32, cb uint8, da uint32, db uint8) {
		current, dest := fuzzPrefix(ca, cb), fuzzPrefix(da, db)
		grown, changed, ok := ExpandToCover(current, dest)
		// Hetzner grows only by shortening the netmask and keeps the base
		// address: the base-keeping candidates are exactly the ones tried.
		var want netip.Prefix
		for bits := current.Bits(); bits >= 0; bits-- {
			if p := netip.PrefixFrom(current.Addr(), bits); p.Masked() == p && Contains(p, dest) {
				want = p
				break
			} else if p.Masked() != p {
				break
			}
		}
		if ok != want.IsValid() || (ok && grown != want) {
			t.Fatalf("ExpandToCover(%s, %s) = %s %v, want %s", current, dest, grown, ok, want)
		}
		if !ok {
			if Contains(current, dest) {
				t.Fatalf("%s already covers %s but ExpandToCover failed", current, dest)
			}
			if m := MaxGrowth(current); m.Addr() != current.Addr() || Contains(m, dest) && IsRFC1918(current) {
				t.Fatalf("MaxGrowth(%s) = %s, which moves the base or covers %s", current, m, dest)
			}
		} else {
			if !Contains(grown, current) || !Contains(grown, dest) || grown.Addr() != current.Addr() {
				t.Fatalf("grown %s does not keep %s's base or miss %s", grown, current, dest)
			}
			if changed != (grown != current) || changed != !Contains(current, dest) {
				t.Fatalf("changed=%v but grown=%s current=%s dest=%s", changed, grown, current, dest)
			}
		}
		if !IsRFC1918(current) {
			return
		}
		g2, c2, err := ExpandNetworkRange(current, dest)
		switch {
		case dest == DefaultRoute:
			if err != nil || g2 != current || c2 {
				t.Fatalf("default route: got %s %v %v, want unchanged", g2, c2, err)
			}
		case ok && IsRFC1918(grown):
			if err != nil || g2 != grown || c2 != changed {
				t.Fatalf("ExpandNetworkRange(%s, %s) = %s %v %v, want %s %v", current, dest, g2, c2, err, grown, changed)
			}
		default:
			if err == nil {
				t.Fatalf("ExpandNetworkRange(%s, %s) = %s, want an error", current, dest, g2)
			}
		}
	})
}

func FuzzPlan(f *testing.F) {
	f.Add(uint32(0x0a000000), uint8(8), []byte{0, 0})
	f.Add(uint32(0x0a000000), uint8(16), []byte{26, 26, 25, 0})
	f.Add(uint32(0xc0a80000), uint8(24), []byte{25, 26, 26})
	f.Add(uint32(0xac100000), uint8(12), []byte{16, 0, 13, 14, 30, 32})
	f.Fuzz(func(t *testing.T, addr uint32, bits uint8, lengths []byte) {
		supernet := fuzzPrefix(addr, bits)
		if len(lengths) > 64 {
			lengths = lengths[:64]
		}
		req := make([]ProviderRequest, len(lengths))
		for i, l := range lengths {
			req[i] = ProviderRequest{Name: "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)), PrefixLength: int(l % 34)}
		}
		res, err := Plan(supernet, req)
		if err != nil {
			if e, ok := err.(*attrerr.Error); !ok || len(e.Path) == 0 || e.Message == "" {
				t.Fatalf("error %v is not an *attrerr.Error with attribute and message", err)
			}
			validInput := IsRFC1918(supernet) && supernet.Bits() <= 24 && len(req) > 0 && lengthsInRange(supernet, req)
			if validInput && fits(supernet, req) {
				t.Fatalf("Plan(%s, %v) failed although the blocks fit: %v", supernet, req, err)
			}
			return
		}
		if !fits(supernet, req) {
			t.Fatalf("Plan(%s, %v) succeeded although the blocks cannot fit", supernet, req)
		}
		if len(res.Prefixes) != len(req) {
			t.Fatalf("got %d prefixes for %d providers", len(res.Prefixes), len(req))
		}
		for i, np := range res.Prefixes {
			if np.Name != req[i].Name {
				t.Fatalf("prefix %d is %q, want %q (input order)", i, np.Name, req[i].Name)
			}
			if np.Prefix != np.Prefix.Masked() || !Contains(supernet, np.Prefix) {
				t.Fatalf("%s = %s is not an aligned block inside %s", np.Name, np.Prefix, supernet)
			}
			if want := resolvedLength(supernet, req, i); np.Prefix.Bits() != want {
				t.Fatalf("%s got /%d, want /%d", np.Name, np.Prefix.Bits(), want)
			}
			if !Contains(res.HetznerNetworkRange, np.Prefix) {
				t.Fatalf("network range %s misses %s", res.HetznerNetworkRange, np.Prefix)
			}
			for _, other := range res.Prefixes[i+1:] {
				if Overlaps(np.Prefix, other.Prefix) {
					t.Fatalf("%s %s overlaps %s %s", np.Name, np.Prefix, other.Name, other.Prefix)
				}
			}
		}
		if err := CheckNetworkRange(res.HetznerNetworkRange); err != nil {
			t.Fatalf("network range %s is unusable: %v", res.HetznerNetworkRange, err)
		}
	})
}

func resolvedLength(supernet netip.Prefix, req []ProviderRequest, i int) int {
	if l := req[i].PrefixLength; l != 0 {
		return l
	}
	n, k := len(req), 0
	for 1<<k < n {
		k++
	}
	return supernet.Bits() + k
}

func lengthsInRange(supernet netip.Prefix, req []ProviderRequest) bool {
	for i := range req {
		if l := resolvedLength(supernet, req, i); l < supernet.Bits() || l > 32 {
			return false
		}
	}
	return true
}

// fits is the oracle: power-of-two blocks fit in a power-of-two supernet
// exactly when their total size does not exceed it.
func fits(supernet netip.Prefix, req []ProviderRequest) bool {
	var total uint64
	for i := range req {
		l := resolvedLength(supernet, req, i)
		if l < supernet.Bits() || l > 32 {
			return false
		}
		total += uint64(1) << (32 - l)
	}
	return total <= uint64(1)<<(32-supernet.Bits())
}
