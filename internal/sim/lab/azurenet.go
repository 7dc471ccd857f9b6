package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// buildAzure creates the gateway namespace with a link into each VM subnet
// (the gateway owns the subnet's .1, as Azure's subnet router does) and a
// probe on each subnet's .4.
func (l *Lab) buildAzure(ctx context.Context, a AzureSite) error {
	if err := AddNS(ctx, l.prefix, l.azureGW); err != nil {
		return err
	}
	l.hosts = append(l.hosts, Host{Name: l.azureGW, Cloud: "azure", Role: "gateway", IP: a.GatewayPublicIP.String()})
	if err := l.attachPublic(ctx, l.azureGW, a.GatewayPublicIP); err != nil {
		return fmt.Errorf("azure gateway: %w", err)
	}
	if err := Sysctl(ctx, l.azureGW, "net.ipv4.ip_forward", "1"); err != nil {
		return err
	}
	if err := l.hideHop(ctx, l.azureGW); err != nil {
		return fmt.Errorf("azure gateway: %w", err)
	}
	// Azure routes by longest prefix, so the VNet's own addresses stay local
	// even when the LNG prefixes (charon's table 220) cover them; VNet
	// addresses without a subnet are dropped rather than sent to the internet.
	for _, p := range a.VNetPrefixes {
		if _, err := ipCmd(ctx, l.azureGW, "rule", "add", "to", p.Masked().String(), "lookup", "main", "pref", "100"); err != nil {
			return fmt.Errorf("azure gateway: %w", err)
		}
		if err := ReplaceRoute(ctx, l.azureGW, "unreachable", p.Masked().String()); err != nil {
			return fmt.Errorf("azure gateway: %w", err)
		}
	}
	for i, sn := range a.Subnets {
		if !containedIn(sn, a.VNetPrefixes) {
			return fmt.Errorf("azure subnet %v is outside the VNet address space %v", sn, a.VNetPrefixes)
		}
		base := sn.Masked().Addr()
		gw, probe := base.Next(), base.Next().Next().Next().Next()
		ns, port := fmt.Sprintf("%saprobe%d", l.prefix, i), l.ifName("sn")
		if err := AddNS(ctx, l.prefix, ns); err != nil {
			return err
		}
		if err := AddVeth(ctx, l.azureGW, port, ns, "eth0"); err != nil {
			return err
		}
		if err := AddAddr(ctx, l.azureGW, port, fmt.Sprintf("%s/%d", gw, sn.Bits())); err != nil {
			return err
		}
		if err := AddAddr(ctx, ns, "eth0", fmt.Sprintf("%s/%d", probe, sn.Bits())); err != nil {
			return err
		}
		if err := ReplaceRoute(ctx, ns, "default", "via", gw.String()); err != nil {
			return err
		}
		h := Host{Name: ns, Cloud: "azure", Role: "probe", IP: probe.String()}
		l.hosts, l.probes[sn.Masked()] = append(l.hosts, h), h
	}
	if l.azureGW2 != "" {
		return l.buildSecondInstance(ctx, a)
	}
	return nil
}

// Addresses of the link between the two instances of an active-active
// gateway, standing in for the VNet fabric both instances sit in.
const (
	fabricFirst  = "169.254.0.1"
	fabricSecond = "169.254.0.2"
)

// buildSecondInstance adds the second instance of an active-active gateway:
// a namespace of its own with the second public IP (each instance answers
// IKE on its own address and runs its own charon), linked to the first
// instance's namespace, which owns the VM subnets. Packets the second
// instance decrypts reach the VNet through that link; the first routes the
// VNet's traffic to the peer through its own tunnel while it has one
// (charon's table 220 comes before main) and through the second instance's
// otherwise (fabricRoutes). Real Azure spreads flows over both tunnels
// (docs/facts/azure.md, "Active-active gateways"); the lab prefers the first.
func (l *Lab) buildSecondInstance(ctx context.Context, a AzureSite) error {
	ns := l.azureGW2
	if err := AddNS(ctx, l.prefix, ns); err != nil {
		return err
	}
	l.hosts = append(l.hosts, Host{Name: ns, Cloud: "azure", Role: "gateway", IP: a.SecondGatewayPublicIP.String()})
	if err := l.attachPublic(ctx, ns, a.SecondGatewayPublicIP); err != nil {
		return fmt.Errorf("azure gateway's second instance: %w", err)
	}
	// Traffic to the peer enters the first instance from a VM subnet and
	// may leave through the second: strict reverse-path checks would drop
	// the replies that come back the other way.
	for _, n := range []string{l.azureGW, ns} {
		for _, kv := range [][2]string{{"net.ipv4.ip_forward", "1"}, {"net.ipv4.conf.all.rp_filter", "0"}, {"net.ipv4.conf.default.rp_filter", "0"}} {
			if err := Sysctl(ctx, n, kv[0], kv[1]); err != nil {
				return err
			}
		}
	}
	if err := l.hideHop(ctx, ns); err != nil {
		return fmt.Errorf("azure gateway's second instance: %w", err)
	}
	port := l.ifName("ii")
	if err := AddVeth(ctx, l.azureGW, port, ns, "fabric"); err != nil {
		return err
	}
	if err := AddAddr(ctx, l.azureGW, port, fabricFirst+"/30"); err != nil {
		return err
	}
	if err := AddAddr(ctx, ns, "fabric", fabricSecond+"/30"); err != nil {
		return err
	}
	for _, p := range a.VNetPrefixes {
		vnet := p.Masked().String()
		if _, err := ipCmd(ctx, ns, "rule", "add", "to", vnet, "lookup", "main", "pref", "100"); err != nil {
			return fmt.Errorf("azure gateway's second instance: %w", err)
		}
		if err := ReplaceRoute(ctx, ns, vnet, "via", fabricFirst, "dev", "fabric"); err != nil {
			return fmt.Errorf("azure gateway's second instance: %w", err)
		}
		// kernel-libipsec installs a tunnel's route only if this host has
		// an address inside the local selector, as the first instance has
		// on each subnet; the VNet range's last host stands in for the
		// instance's GatewaySubnet address.
		if err := AddAddr(ctx, ns, "lo", lastHost(p).String()+"/32"); err != nil {
			return fmt.Errorf("azure gateway's second instance: %w", err)
		}
	}
	_, err := ipCmd(ctx, ns, "link", "set", "lo", "up")
	return err
}

// fabricRoutes points the first instance's main table at the second
// instance for every peer prefix, so the VNet's traffic takes the second
// tunnel when the first instance has none (its charon's table 220 routes
// win while it does), and removes the routes of prefixes no longer listed.
func (l *Lab) fabricRoutes(ctx context.Context, prefixes map[string]bool) error {
	var errs []error
	for p := range prefixes {
		if err := ReplaceRoute(ctx, l.azureGW, p, "via", fabricSecond, "proto", protoLab); err != nil {
			errs = append(errs, fmt.Errorf("azure gateway: route %s to the second instance: %w", p, err))
		}
	}
	have, err := RoutesByProto(ctx, l.azureGW, protoLab)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, dst := range have {
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if !prefixes[dst] {
			errs = append(errs, DelRoute(ctx, l.azureGW, dst, "proto", protoLab))
		}
	}
	return errors.Join(errs...)
}

// hideHop makes ns forward without using up a hop, the way Azure's fabric
// (gateway included) never shows in traceroute: every packet gets one more
// TTL before routing takes one away. nftables 1.0.6 cannot compute
// "ttl + 1" nor map a TTL onto itself, hence one rule per value.
func (l *Lab) hideHop(ctx context.Context, ns string) error {
	var b strings.Builder
	b.WriteString("table ip lab {\n  chain pre {\n    type filter hook prerouting priority -150; policy accept;\n")
	for ttl := 1; ttl < 255; ttl++ {
		fmt.Fprintf(&b, "    ip ttl %d ip ttl set %d accept\n", ttl, ttl+1)
	}
	b.WriteString("  }\n}\n")
	file := filepath.Join(l.dir, strings.TrimPrefix(ns, l.prefix)+".nft")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return err
	}
	if _, err := InNS(ctx, ns, "nft", "-f", file); err != nil {
		return fmt.Errorf("hiding the hop needs nftables: %w", err)
	}
	return nil
}
