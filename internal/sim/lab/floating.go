package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
)

// Floating IPs are routed to a server, not bridged to it: Hetzner sends the
// address's traffic to the server it is assigned to, and the server's own OS
// must configure the address (docs/facts/hetzner.md, "Floating IPs"). The
// lab does the same: the internet namespace routes FIP/32 via the holder's
// public IP, and nothing inside the server changes. A failover agent on the
// gateways therefore meets what it would meet on Hetzner: after the API
// moves the address, packets arrive, and it is the agent's job to answer.

// Equal says whether two servers have the same name, role and addresses.
func (s Server) Equal(o Server) bool {
	return s.Name == o.Name && s.PublicIP == o.PublicIP && s.PrivateIP == o.PrivateIP &&
		s.IsGateway == o.IsGateway && slices.Equal(s.FloatingIPs, o.FloatingIPs)
}

// routeFloatingIPs moves the internet's routes for the Floating IPs old held
// and s holds. A route is removed only while it still points at this server,
// so the order in which the emulator reports the two servers of a move does
// not matter.
func (l *Lab) routeFloatingIPs(ctx context.Context, old, s Server) error {
	l.mu.Lock()
	if l.floating == nil {
		l.floating = map[netip.Addr]string{}
	}
	l.mu.Unlock()
	var errs []error
	for _, ip := range old.FloatingIPs {
		if !slices.Contains(s.FloatingIPs, ip) || !s.PublicIP.IsValid() {
			errs = append(errs, l.unrouteFloatingIP(ctx, ip, s.Name))
		}
	}
	if !s.PublicIP.IsValid() {
		return errors.Join(errs...)
	}
	for _, ip := range s.FloatingIPs {
		if !ip.Is4() {
			continue // IPv6 Floating IPs are not modelled in the lab
		}
		l.mu.Lock()
		holder := l.floating[ip]
		l.mu.Unlock()
		if holder == s.Name && old.PublicIP == s.PublicIP && slices.Contains(old.FloatingIPs, ip) {
			continue
		}
		if err := ReplaceRoute(ctx, l.inet, ip.String()+"/32", "via", s.PublicIP.String(), "dev", "br0"); err != nil {
			errs = append(errs, fmt.Errorf("floating IP %v -> server %q: %w", ip, s.Name, err))
			continue
		}
		l.mu.Lock()
		l.floating[ip] = s.Name
		l.mu.Unlock()
	}
	return errors.Join(errs...)
}

// unrouteFloatingIP drops ip's route if server name still holds it.
func (l *Lab) unrouteFloatingIP(ctx context.Context, ip netip.Addr, name string) error {
	l.mu.Lock()
	holder := l.floating[ip]
	if holder == name {
		delete(l.floating, ip)
	}
	l.mu.Unlock()
	if holder != name {
		return nil
	}
	if err := DelRoute(ctx, l.inet, ip.String()+"/32"); err != nil {
		return fmt.Errorf("floating IP %v leaving server %q: %w", ip, name, err)
	}
	return nil
}

// unrouteServer drops the routes of every Floating IP a removed server held.
func (l *Lab) unrouteServer(ctx context.Context, name string) error {
	l.mu.Lock()
	var held []netip.Addr
	for ip, holder := range l.floating {
		if holder == name {
			held = append(held, ip)
		}
	}
	l.mu.Unlock()
	var errs []error
	for _, ip := range held {
		errs = append(errs, l.unrouteFloatingIP(ctx, ip, name))
	}
	return errors.Join(errs...)
}

// FloatingIPHolder names the server the internet routes ip to ("" if none).
func (l *Lab) FloatingIPHolder(ip netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.floating[ip]
}
