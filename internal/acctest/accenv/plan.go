package accenv

import (
	"fmt"
	"strings"
)

// Plan is what `make testacc-real` prints before it starts: what a run
// creates, roughly what it costs and how long it takes. The prices are
// approximate list prices remembered from the vendors' pricing pages
// (https://azure.microsoft.com/pricing/details/vpn-gateway/,
// https://azure.microsoft.com/pricing/details/ip-addresses/,
// https://www.hetzner.com/cloud); they were not checked from this machine
// and change with region and time: the pricing pages are the truth.
func Plan(env LookupEnv) string {
	hc, az := "https://api.hetzner.cloud/v1 (real Hetzner Cloud)", "https://management.azure.com (real Azure)"
	if e := get(env, "HCLOUD_ENDPOINT"); e != "" {
		hc = e
	}
	if e := get(env, "ARM_RESOURCE_MANAGER_ENDPOINT"); e != "" {
		az = e
	}
	// The Azure side's objects, cost and time depend on one thing: whether
	// the run builds its own gateway or reuses one.
	azure := "  Azure:   1 resource group, 1 VNet, 1 GatewaySubnet, 1 Standard public IP, 1 VpnGw1AZ VPN gateway,\n" +
		"           1 local network gateway, 1 IPsec connection\n"
	azureCost := "  Azure VpnGw1AZ about USD 0.36 per hour (billed per started hour), Standard public IP about USD 0.005 per hour\n" +
		"  => about USD 1 for one run with a fresh gateway (1-2 billed gateway hours)\n"
	took := "about 50 minutes per fresh Azure VPN gateway (Azure takes 30-45 min to build one, plus a delete of ~10 min)\n"
	if reuse := get(env, GatewayVar); reuse != "" {
		azure = fmt.Sprintf("  Azure:   1 local network gateway and 1 IPsec connection on the reused gateway\n           %s (never deleted)\n", reuse)
		azureCost = "  the reused gateway bills whether or not a run happens; the run itself adds cents\n"
		took = "minutes (reused gateway: the connection and the Hetzner server only)\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "crosscloud real-account acceptance run\n")
	fmt.Fprintf(&b, "  Hetzner endpoint: %s\n  Azure endpoint:   %s\n", hc, az)
	fmt.Fprintf(&b, "  every object is named %s<run>-... and labelled/tagged with the run (%s sets <run>, else random)\n", Prefix, RunVar)
	b.WriteString("\nCreates, per run:\n")
	b.WriteString("  Hetzner: 1 network with a subnet and a route, 1 cpx22 server (strongSwan), 1 primary IPv4, 1 firewall\n")
	b.WriteString(azure)
	b.WriteString("\nRough cost (approximate list prices, not checked from here; see the vendors' pricing pages):\n")
	b.WriteString("  Hetzner cpx22 about EUR 0.01-0.02 per hour, primary IPv4 about EUR 0.001 per hour\n")
	b.WriteString(azureCost)
	b.WriteString("\nTime: " + took)
	b.WriteString("\nIf the run is interrupted: `make sweep` (same environment) deletes every " + Prefix + "* object on both clouds.\n")
	return b.String()
}
