// Package linkgraph declares the create graph of crosscloud_ipsec_link once,
// as data: each step's name, the steps it waits for, and the emulator records
// its work leaves. Two readers share it: internal/ipseclink attaches to each
// name the function that runs it (converge runs exactly this list, on its
// futures and errgroup), and the bench (internal/harness) derives from it
// the graph of cloud operations whose longest path is the critical path.
// Keeping the declaration here, with no imports, lets the harness read it
// without importing the provider's adapters, and makes a change to the graph
// change the bench with it.
//
// To add a step: add one entry to Steps (its name, its dependencies, the
// records it leaves) and register its run function in
// internal/ipseclink/steps.go; TestStepsHaveRuns and
// TestAccConvergeRunsTheDeclaredGraph fail until both agree.
package linkgraph

// Step names. They are what a traced converge reports and what DESIGN.md's
// diagram shows.
const (
	VNet          = "vnet"           // read the VNet: remote prefixes, region
	GatewaySubnet = "gateway_subnet" // the VNet's GatewaySubnet
	PublicIP      = "public_ip"      // the Azure gateway's public IP (or a reused gateway's)
	Gateway       = "gateway"        // the Azure VPN gateway (30-45 min)
	Network       = "network"        // Hetzner network and gateway subnet
	PrimaryIP     = "primary_ip"     // the gateway server's public IPv4
	LocalGateway  = "local_gateway"  // Azure local network gateway (the Hetzner side)
	Firewall      = "firewall"       // Hetzner firewall admitting the Azure peer
	Server        = "server"         // the strongSwan gateway server
	Routes        = "routes"         // Hetzner routes to the Azure prefixes
	Connection    = "connection"     // Azure connection and its shared key
	Connected     = "connected"      // wait until Azure reports Connected

	// High availability (hetzner.high_availability); without it these
	// steps do nothing.
	FloatingIP     = "floating_ip"     // the pair's public IPv4, Azure's one peer address
	PrivateIPs     = "private_ips"     // both gateways' private IPs, chosen before either exists
	StandbyServer  = "standby_server"  // the second gateway server
	PlacementGroup = "placement_group" // spreads the two servers over hosts
)

// Step is one node of the graph.
type Step struct {
	Name string
	// Deps are the steps that must finish before this one starts; a step
	// reads only what its Deps produced.
	Deps []string
	// Records are the names the bench gives the emulator records this
	// step's work leaves (internal/harness: "azure.<kind>.<ARM type>" for an
	// ARM operation, "hcloud.<command>" for a Hetzner action), in stages:
	// the records of one stage run side by side, each stage after the one
	// before. Synchronous calls leave none; a step without records costs
	// nothing on the critical path and passes its dependencies through.
	Records [][]string
}

// Steps is the graph, in the order the steps are declared (and, for ties on
// the critical path, preferred).
var Steps = []Step{
	{Name: VNet},
	{Name: GatewaySubnet, Deps: []string{VNet}, Records: [][]string{{"azure.put.subnets"}}},
	{Name: PublicIP, Records: [][]string{{"azure.put.publicIPAddresses"}}},
	{Name: Gateway, Deps: []string{GatewaySubnet, PublicIP}, Records: [][]string{{"azure.put.virtualNetworkGateways"}}},
	{Name: Network, Records: [][]string{{"hcloud.add_subnet"}}},
	{Name: PrimaryIP},
	{Name: FloatingIP},
	{Name: LocalGateway, Deps: []string{Network, PrimaryIP, FloatingIP}, Records: [][]string{{"azure.put.localNetworkGateways"}}},
	{Name: Firewall, Deps: []string{PublicIP}, Records: [][]string{{"hcloud.set_firewall_rules"}}},
	{Name: PrivateIPs, Deps: []string{Network}},
	{Name: PlacementGroup},
	{Name: Server, Deps: []string{Network, VNet, PrimaryIP, PublicIP, Firewall, PrivateIPs, FloatingIP, PlacementGroup}, Records: [][]string{
		{"hcloud.create_server", "hcloud.start_server", "hcloud.apply_firewall"},
		{"hcloud.attach_to_network"},
	}},
	// The standby needs no primary IP of its own (Azure knows only the
	// Floating IP), so it waits for nothing the active one does not.
	{Name: StandbyServer, Deps: []string{Network, VNet, PublicIP, Firewall, PrivateIPs, FloatingIP, PlacementGroup}},
	{Name: Connection, Deps: []string{Gateway, LocalGateway}, Records: [][]string{{"azure.put.connections"}}},
	// The emulator (API-only mode) reports Connected as soon as the
	// connection and both gateways are provisioned, so this step leaves no
	// record; the bench still names it, "connected", on its path.
	{Name: Connected, Deps: []string{Connection, Server, StandbyServer}, Records: [][]string{{Connected}}},
	{Name: Routes, Deps: []string{Server, StandbyServer, Network, VNet}, Records: [][]string{{"hcloud.add_route"}}},
}
