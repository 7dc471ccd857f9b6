package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// ApplyRoutes makes the router's network routes equal routes: it replaces
// each (idempotent) and deletes the ones no longer listed, so the emulator
// can call it after every network change.
func (l *Lab) ApplyRoutes(ctx context.Context, routes []Route) error {
	want := map[string]bool{}
	var errs []error
	for _, r := range routes {
		dst := routeDst(r.Destination)
		want[dst] = true
		if err := ReplaceRoute(ctx, l.router, dst, "via", r.Gateway.String(), "proto", protoLab); err != nil {
			errs = append(errs, fmt.Errorf("network route %v -> %v: the lab router cannot use it (is a server with private IP %v attached?): %w", r.Destination, r.Gateway, r.Gateway, err))
		}
	}
	have, err := RoutesByProto(ctx, l.router, protoLab)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, dst := range have {
		if !strings.Contains(dst, "/") && dst != "default" {
			dst += "/32"
		}
		if !want[dst] {
			errs = append(errs, DelRoute(ctx, l.router, dst, "proto", protoLab))
		}
	}
	return errors.Join(errs...)
}

// Hosts lists the lab's hosts for GET /_sim/lab/hosts, each gateway
// machine with its boot.
func (l *Lab) Hosts() []Host {
	l.mu.Lock()
	defer l.mu.Unlock()
	hs := append([]Host(nil), l.hosts...)
	for i, h := range hs {
		if m := l.machines[h.Name]; m != nil {
			st := m.Status()
			hs[i].HostBoot = &HostBoot{State: st.State, CloudInit: st.CloudInit, FailedUnits: st.FailedUnits, Boots: st.Boots, Error: st.Err}
			if hs[i].FailedUnits == nil {
				hs[i].FailedUnits = []string{}
			}
		}
	}
	return hs
}

// ServerNS returns the namespace of a Hetzner server.
func (l *Lab) ServerNS(name string) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ns, ok := l.servers[name]
	return ns, ok
}

// Probe returns the probe host of a Hetzner or Azure subnet.
func (l *Lab) Probe(subnet netip.Prefix) (Host, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.probes[subnet.Masked()]
	return h, ok
}

// AzureGatewayNS is the namespace of the Azure VPN gateway.
func (l *Lab) AzureGatewayNS() string { return l.azureGW }

// RouterNS is the namespace of the Hetzner network's router.
func (l *Lab) RouterNS() string { return l.router }

// Close powers off every machine, stops every charon and the mirror, and
// removes every namespace and file the lab made (by prefix, so it also
// cleans up after an earlier crash).
func (l *Lab) Close(ctx context.Context) error {
	l.mu.Lock()
	charons, machines := l.charons, l.machines
	l.charons, l.machines = map[string]*Charon{}, map[string]*Machine{}
	l.mu.Unlock()
	var wg sync.WaitGroup
	errs := make(chan error, len(machines))
	for _, m := range machines {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- m.Close() }()
	}
	for _, c := range charons {
		c.Stop()
	}
	wg.Wait()
	close(errs)
	var err error
	for e := range errs {
		err = errors.Join(err, e)
	}
	if l.mirrorSrv != nil {
		_ = l.mirrorSrv.Close()
	}
	if l.apiSrv != nil {
		_ = l.apiSrv.Close()
	}
	err = errors.Join(err, Sweep(ctx, l.prefix))
	if l.dir != "" {
		err = errors.Join(err, removeTree(l.dir))
	}
	return err
}

// ifName hands out interface names that are unique within the lab.
func (l *Lab) ifName(kind string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nextIf++
	return fmt.Sprintf("%s%d", kind, l.nextIf)
}

// instanceDir is a short per-namespace directory (unix socket paths are short).
func (l *Lab) instanceDir(ns string) string {
	return filepath.Join(l.dir, strings.TrimPrefix(ns, l.prefix))
}

var nsUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// nsSafe turns a server name into a short namespace-name part.
func nsSafe(name string) string {
	s := nsUnsafe.ReplaceAllString(strings.ToLower(name), "-")
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

// lastHost is the highest usable IPv4 address of p.
func lastHost(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) | host
	v--
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func routeDst(p netip.Prefix) string {
	if p.Bits() == 0 {
		return "default"
	}
	return p.Masked().String()
}

func containedIn(sn netip.Prefix, space []netip.Prefix) bool {
	for _, p := range space {
		if p.Bits() <= sn.Bits() && p.Contains(sn.Addr()) {
			return true
		}
	}
	return false
}

func removeHost(hs []Host, ns string) []Host {
	out := hs[:0]
	for _, h := range hs {
		if h.Name != ns {
			out = append(out, h)
		}
	}
	return out
}
