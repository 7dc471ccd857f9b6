package lab

import (
	"context"
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
	return nil
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
