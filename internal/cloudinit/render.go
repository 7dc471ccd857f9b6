package cloudinit

import (
	"bytes"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Header is the first line cloud-init requires to treat user_data as
// cloud-config.
const Header = "#cloud-config\n"

// cloudConfig is the subset of cloud-config this package writes. Only this
// package's tests read it back (parse, then file); the emulator's lab parses
// user_data on its own on purpose (internal/sim never imports the product).
type cloudConfig struct {
	PackageUpdate bool        `yaml:"package_update"`
	Packages      []string    `yaml:"packages"`
	WriteFiles    []writeFile `yaml:"write_files"`
	// RunCmd holds argv lists, which cloud-init executes without a shell,
	// so no argument needs quoting.
	RunCmd [][]string `yaml:"runcmd"`
}

// writeFile is one cloud-config write_files entry.
type writeFile struct {
	Path        string `yaml:"path"`
	Content     string `yaml:"content"`
	Owner       string `yaml:"owner"`
	Permissions string `yaml:"permissions"`
}

// file returns the write_files entry for path, so tests need not know the
// order in which Render lists files.
func (c cloudConfig) file(path string) (writeFile, bool) {
	for _, f := range c.WriteFiles {
		if f.Path == path {
			return f, true
		}
	}
	return writeFile{}, false
}

// Packages the gateway installs (Debian 12). libstrongswan-standard-plugins
// is only a Recommends of libstrongswan, yet it holds the openssl and gcm
// plugins that ECP groups and AES-GCM need; listing it keeps the default
// crypto working on images that install without recommends.
var packages = []string{
	"strongswan-swanctl",
	"charon-systemd",
	"libstrongswan-standard-plugins",
	"nftables",
}

// Render returns the gateway's complete user_data: Header followed by YAML
// encoded from Go values, never pasted together from strings, so no input can
// change the document's structure. It fails when g is invalid or when the
// result exceeds MaxUserData.
func Render(g Gateway) ([]byte, error) {
	conf, err := SwanctlConf(g, true)
	if err != nil {
		return nil, err
	}
	g = g.withDefaults()
	cc := cloudConfig{
		PackageUpdate: true,
		Packages:      packages,
		WriteFiles: []writeFile{
			{Path: SysctlPath, Content: sysctlConf, Owner: "root:root", Permissions: "0644"},
			{Path: ForwardingDropInPath, Content: forwardingDropIn, Owner: "root:root", Permissions: "0644"},
			{Path: MSSPath, Content: mssRules(g), Owner: "root:root", Permissions: "0644"},
			{Path: MSSUnitPath, Content: mssUnit, Owner: "root:root", Permissions: "0644"},
			// 0600: the file holds the pre-shared key.
			{Path: SwanctlPath(g.ConnectionName), Content: conf, Owner: "root:root", Permissions: "0600"},
		},
		RunCmd: [][]string{
			{"sysctl", "--system"},
			{"systemctl", "daemon-reload"},
			{"systemctl", "enable", "--now", MSSUnitName},
			// The package may already have started the daemon (with our
			// file in place, since write_files runs before packages);
			// enable makes it survive reboots, load-all makes the load
			// explicit and idempotent either way.
			{"systemctl", "enable", "--now", StrongswanUnitName},
			{"swanctl", "--load-all", "--noprompt"},
		},
	}
	if g.HA != nil {
		addHA(&cc, g)
	}
	var buf bytes.Buffer
	buf.WriteString(Header)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(cc); err != nil {
		return nil, fmt.Errorf("cloudinit: encoding cloud-config: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("cloudinit: encoding cloud-config: %w", err)
	}
	if buf.Len() > MaxUserData {
		return nil, tooLarge(g, buf.Len())
	}
	return buf.Bytes(), nil
}

// SizeError says the rendered user_data is over MaxUserData. It is a type,
// not a message, so callers that map it onto the prefix list that grew it
// (plan-time checks) find it with errors.As instead of matching text.
type SizeError struct {
	// Size is the rendered length in bytes; Local and Remote are the
	// prefix counts, the only inputs that grow without bound.
	Size, Local, Remote int
}

// Error explains the limit in terms the user can act on.
func (e *SizeError) Error() string {
	return fmt.Sprintf("cloudinit: rendered user_data size is %d bytes, over Hetzner's limit of %d bytes (32 KiB): "+
		"reduce the number of prefixes (%d local, %d remote), e.g. by summarising them into larger ranges",
		e.Size, MaxUserData, e.Local, e.Remote)
}

func tooLarge(g Gateway, size int) error {
	return &SizeError{Size: size, Local: len(g.LocalPrefixes), Remote: len(g.RemotePrefixes)}
}

// parse reads user_data produced by Render. Unknown keys are an error, so
// the tests' round trip also proves that cloudConfig describes everything
// Render wrote.
func parse(userData []byte) (cloudConfig, error) {
	var cc cloudConfig
	body, ok := bytes.CutPrefix(userData, []byte(Header))
	if !ok {
		return cc, errors.New("cloudinit: user_data does not start with \"#cloud-config\"")
	}
	dec := yaml.NewDecoder(bytes.NewReader(body))
	dec.KnownFields(true)
	if err := dec.Decode(&cc); err != nil {
		return cc, fmt.Errorf("cloudinit: parsing user_data: %w", err)
	}
	return cc, nil
}

// forwardingDropIn applies the forwarding settings before charon starts, so
// the tunnel never comes up on a server that does not yet route.
const forwardingDropIn = `[Service]
ExecStartPre=/usr/sbin/sysctl -q -p ` + SysctlPath + `
`

// sysctlConf turns the server into a router for the tunnel.
const sysctlConf = `# crosscloud: this server routes between the Hetzner network and the IPsec tunnel to Azure.
# Forward IPv4 between the private interface and the tunnel.
net.ipv4.ip_forward = 1
# Hetzner's network router hands tunnel traffic to this server. Redirects would
# tell hosts to skip the gateway (send) or let others rewrite our routes (accept).
net.ipv4.conf.all.send_redirects = 0
net.ipv4.conf.default.send_redirects = 0
net.ipv4.conf.all.accept_redirects = 0
net.ipv4.conf.default.accept_redirects = 0
# Tunnel traffic is asymmetric (in on the private interface, out through IPsec
# and back); strict reverse-path filtering would drop some of it.
net.ipv4.conf.all.rp_filter = 0
net.ipv4.conf.default.rp_filter = 0
`

// mssRules returns the nftables script for MSSPath. It clamps the MSS of
// SYN and SYN-ACK packets forwarded to or from the remote prefixes, and only
// lowers it: a host that already announces less keeps its value. The first
// two lines make `nft -f` idempotent (create, then delete, then define).
func mssRules(g Gateway) string {
	return fmt.Sprintf(`# crosscloud: clamp TCP MSS to %[1]d for traffic through the tunnel to Azure.
# Azure's VPN gateway requires it; without it large TCP transfers stall.
table inet %[2]s
delete table inet %[2]s
table inet %[2]s {
  chain forward {
    type filter hook forward priority mangle; policy accept;
    ip daddr { %[3]s } tcp flags & (syn | rst) == syn tcp option maxseg size > %[1]d tcp option maxseg size set %[1]d comment "to Azure"
    ip saddr { %[3]s } tcp flags & (syn | rst) == syn tcp option maxseg size > %[1]d tcp option maxseg size set %[1]d comment "from Azure"
  }
}
`, g.PrivateInterfaceMSS, MSSTableName, joinPrefixes(g.RemotePrefixes, ", "))
}

// mssUnit reloads MSSPath on every boot. It orders itself after
// nftables.service because that service starts with "flush ruleset".
const mssUnit = `[Unit]
Description=crosscloud: clamp TCP MSS for the IPsec tunnel to Azure
After=nftables.service
Before=network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f ` + MSSPath + `
ExecStop=/usr/sbin/nft delete table inet ` + MSSTableName + `

[Install]
WantedBy=multi-user.target
`
