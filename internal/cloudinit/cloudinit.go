// Package cloudinit renders the first boot of the Hetzner gateway server: the
// cloud-config that installs strongSwan, writes its swanctl.conf, turns the
// server into a router (sysctl) and clamps TCP MSS for the tunnel (nftables).
//
// Hetzner has no managed VPN, so this server is one end of the IKEv2 tunnel to
// the Azure VPN gateway; whatever it needs must arrive in user_data because
// nothing logs in afterwards. The package is pure: it takes already-decided
// values (addresses, prefixes, strongSwan proposal strings) and returns bytes,
// so the same output feeds the server, the swanctl_conf attribute, the
// crosscloud_strongswan_config data source and the emulator's lab.
package cloudinit

import (
	"net/netip"
	"path"
	"time"
)

// Paths of the files the cloud-config writes. They are exported because
// users debugging a gateway look for them; the emulator's lab has its own
// parser on purpose (internal/sim/lab never imports the product).
const (
	// SysctlPath holds the forwarding and redirect settings; 60- sorts after
	// Debian's 50-default.conf so our values win on every boot.
	SysctlPath = "/etc/sysctl.d/60-crosscloud.conf"
	// MSSPath holds the nftables table that clamps TCP MSS for tunnel traffic.
	MSSPath = "/etc/crosscloud/mss.nft"
	// MSSUnitPath is the systemd unit that reloads MSSPath on every boot:
	// cloud-init runcmd runs once per instance, so a rule loaded only from
	// runcmd would silently vanish after the first reboot.
	MSSUnitPath = "/etc/systemd/system/" + MSSUnitName
	// ForwardingDropInPath makes strongswan.service apply SysctlPath before
	// charon starts. Debian's charon-systemd starts the daemon while it
	// installs, before runcmd runs, so forwarding set only from runcmd came
	// on seconds after the tunnel. write_files runs in cloud-init's init
	// stage, before packages are installed, so the drop-in should be in
	// place for that first start too; the lab has confirmed it for restarts
	// and reboots only (docs/facts/strongswan-and-lab.md).
	ForwardingDropInPath = "/etc/systemd/system/" + StrongswanUnitName + ".d/10-crosscloud-forwarding.conf"
	// MSSUnitName is the unit's name, for systemctl.
	MSSUnitName = "crosscloud-mss.service"
	// StrongswanUnitName is the service Debian 12's charon-systemd package
	// ships (alias strongswan-swanctl.service); its ExecStartPost loads
	// /etc/swanctl/conf.d on every start.
	StrongswanUnitName = "strongswan.service"
	// MSSTableName is the nftables table (family inet) in MSSPath, so tests
	// and operators can list or delete it by name.
	MSSTableName = "crosscloud_mss"
	// swanctlConfDir is where swanctl --load-all picks up extra files.
	swanctlConfDir = "/etc/swanctl/conf.d"
)

// SwanctlPath returns where the connection's swanctl.conf fragment lives on
// the gateway. One file per connection name keeps several links on one server
// from overwriting each other.
func SwanctlPath(connectionName string) string {
	return path.Join(swanctlConfDir, connectionName+".conf")
}

// MaxUserData is Hetzner's limit on a server's user_data ("limited to
// 32KiB"); Render refuses larger output so the error comes at plan time with
// a clear cause instead of from the API at create time.
const MaxUserData = 32 * 1024

// Defaults applied by Render and SwanctlConf to zero-valued fields.
const (
	// DefaultIKERekey is strongSwan's own default, and half Azure's fixed
	// 8 h IKE SA lifetime, so our side always rekeys before Azure expires it.
	DefaultIKERekey = 4 * time.Hour
	// DefaultChildLifetime is Azure's default phase-2 SA lifetime (27,000 s).
	DefaultChildLifetime = 27000 * time.Second
	// DefaultDPDDelay is strongSwan's default DPD interval; Azure's own DPD
	// timeout defaults to 45 s, so a dead peer is noticed within it.
	DefaultDPDDelay = 30 * time.Second
	// DefaultMSS is the TCP MSS Azure's VPN device guide requires (1350),
	// which keeps ESP-in-UDP packets under the tunnel MTU of 1400.
	DefaultMSS = 1350
)

// Limits checked by Validate.
const (
	// MinLifetime is Azure's minimum saLifeTimeSeconds; anything shorter is
	// refused by Azure, so the two sides could not agree.
	MinLifetime = 300 * time.Second
	// MaxIKERekey is Azure's fixed IKE SA lifetime; rekeying later than that
	// would let Azure tear the SA down first.
	MaxIKERekey = 8 * time.Hour
	// MinMSS and MaxMSS bound PrivateInterfaceMSS: below 536 violates
	// RFC 879's minimum, above 1460 cannot fit a 1500-byte Ethernet frame.
	MinMSS = 536
	MaxMSS = 1460
	// maxNameLen keeps the name usable as a file name and swanctl section.
	maxNameLen = 63
	// maxSharedKeyLen is Azure's limit on a connection's shared key.
	maxSharedKeyLen = 128
)

// Gateway is everything the Hetzner side of one tunnel needs. Callers fill it
// from the resource's plan; zero durations and MSS take the defaults above.
type Gateway struct {
	// ConnectionName names the swanctl connection and its file: [a-z0-9-],
	// starting with a letter or digit, at most 63 characters.
	ConnectionName string
	// LocalAddress is the Hetzner server's public IPv4: the IKE local
	// address and identity (it sits directly on eth0, no NAT).
	LocalAddress netip.Addr
	// RemoteAddress is the Azure VPN gateway's public IPv4: IKE peer and
	// its identity.
	RemoteAddress netip.Addr
	// SecondRemoteAddress is the second instance's public IPv4 when the
	// Azure gateway runs active-active; zero means one instance. Azure
	// builds a tunnel from each instance and sends VNet traffic through
	// both, so the gateway keeps a second IKE connection to it with the
	// same identity, proposals, key and traffic selectors (swanctl.go says
	// how the two CHILD_SAs share the selectors).
	SecondRemoteAddress netip.Addr
	// LocalPrefixes are the Hetzner-side traffic selectors (local_ts).
	LocalPrefixes []netip.Prefix
	// RemotePrefixes are the Azure-side traffic selectors (remote_ts); they
	// also select which forwarded traffic gets its MSS clamped.
	RemotePrefixes []netip.Prefix
	// IKEProposal is the strongSwan IKE proposal, used strictly (no
	// defaults appended), e.g. "aes256gcm16-prfsha384-ecp384".
	IKEProposal string
	// ESPProposal is the strongSwan ESP proposal, used strictly, e.g.
	// "aes256gcm16-ecp384".
	ESPProposal string
	// ChildLifetime is the CHILD_SA hard lifetime (Azure's
	// sa_lifetime_seconds); our side rekeys at 90 % of it.
	ChildLifetime time.Duration
	// IKERekey is when our side rekeys the IKE SA.
	IKERekey time.Duration
	// DPDDelay is the interval of IKEv2 liveness checks (1 s to 1 h).
	DPDDelay time.Duration
	// SharedKey is the pre-shared key: Azure allows printable ASCII except
	// space, '-' and '~', at most 128 characters.
	SharedKey string
	// PrivateInterfaceMSS is the TCP MSS forwarded SYNs are clamped to.
	PrivateInterfaceMSS int
	// HA, when set, makes this server one of an active/standby pair
	// sharing a Floating IP (ha.go); nil renders the single gateway.
	HA *HA
}

// withDefaults returns g with zero-valued tunables replaced by the defaults.
func (g Gateway) withDefaults() Gateway {
	if g.ChildLifetime == 0 {
		g.ChildLifetime = DefaultChildLifetime
	}
	if g.IKERekey == 0 {
		g.IKERekey = DefaultIKERekey
	}
	if g.DPDDelay == 0 {
		g.DPDDelay = DefaultDPDDelay
	}
	if g.PrivateInterfaceMSS == 0 {
		g.PrivateInterfaceMSS = DefaultMSS
	}
	g.LocalAddress = g.LocalAddress.Unmap()
	g.RemoteAddress = g.RemoteAddress.Unmap()
	g.SecondRemoteAddress = g.SecondRemoteAddress.Unmap()
	return g
}

// childRekey is when our side rekeys the CHILD_SA: 90 % of its lifetime,
// strongSwan's own ratio, so we rekey before Azure's copy expires.
func (g Gateway) childRekey() time.Duration {
	return (g.ChildLifetime / 10 * 9).Truncate(time.Second)
}
