package strongswanconfig_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/cloudinit"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwtest"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/provider"
)

// factories serves the real provider, so registration, the provider
// schema and Configure without any credentials are exercised too.
var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"crosscloud": providerserver.NewProtocol6WithError(provider.New("test")()),
}

const addr = "data.crosscloud_strongswan_config.test"

// args are the data source's arguments as HCL expressions; the zero value
// of a field means "the original topology's value".
type args struct {
	name, local, remote, localPrefixes, remotePrefixes, key, dpd, allowWeak, policy string
	// prelude is extra HCL placed before the data source.
	prelude string
}

// The original topology (docs/facts/origin.md): Hetzner 10.0.1.0/24 <-> Azure
// 10.1.0.0/16, between two documentation addresses.
const testKey = `Zx9!q$Abc%Def`

func (a args) hcl() string {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	var b strings.Builder
	b.WriteString(a.prelude)
	fmt.Fprintf(&b, `
data "crosscloud_strongswan_config" "test" {
  connection_name = %s
  local_address   = %s
  remote_address  = %s
  local_prefixes  = %s
  remote_prefixes = %s
  shared_key      = %s
`, or(a.name, `"hel1-weu"`), or(a.local, `"192.0.2.10"`), or(a.remote, `"198.51.100.20"`),
		or(a.localPrefixes, `["10.0.1.0/24"]`), or(a.remotePrefixes, `["10.1.0.0/16"]`), or(a.key, fmt.Sprintf("%q", testKey)))
	for k, v := range map[string]string{"dpd_timeout_seconds": a.dpd, "allow_weak_crypto": a.allowWeak, "ipsec_policy": a.policy} {
		if v != "" {
			fmt.Fprintf(&b, "  %s = %s\n", k, v)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func expect(path string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New(path), v)
}

// originalGateway is what the data source must hand to cloudinit for the
// default arguments; comparing with cloudinit's own rendering proves the
// conversion (addresses, prefixes, proposals, DPD, lifetime) end to end.
func originalGateway() cloudinit.Gateway {
	return cloudinit.Gateway{
		ConnectionName: "hel1-weu",
		LocalAddress:   netip.MustParseAddr("192.0.2.10"),
		RemoteAddress:  netip.MustParseAddr("198.51.100.20"),
		LocalPrefixes:  []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")},
		RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
		IKEProposal:    "aes256-sha384-ecp384",
		ESPProposal:    "aes256gcm16-ecp384",
		ChildLifetime:  27000 * time.Second,
		DPDDelay:       15 * time.Second, // a third of the default 45 s timeout
		SharedKey:      testKey,
	}
}

// originalRendering is what cloudinit itself renders for originalGateway:
// the swanctl.conf and the cloud-init user data both the data source and
// its ephemeral twin must return for the default arguments.
func originalRendering(t *testing.T) (conf, userData string) {
	t.Helper()
	g := originalGateway()
	conf, err := cloudinit.SwanctlConf(g, true)
	if err != nil {
		t.Fatal(err)
	}
	ud, err := cloudinit.Render(g)
	if err != nil {
		t.Fatal(err)
	}
	return conf, string(ud)
}

func TestAccStrongswanConfig_defaults(t *testing.T) {
	conf, ud := originalRendering(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: args{}.hcl(),
			ConfigStateChecks: []statecheck.StateCheck{
				expect("ike_proposal", knownvalue.StringExact("aes256-sha384-ecp384")),
				expect("esp_proposal", knownvalue.StringExact("aes256gcm16-ecp384")),
				expect("id", knownvalue.StringExact("hel1-weu")),
				expect("swanctl_conf_path", knownvalue.StringExact("/etc/swanctl/conf.d/hel1-weu.conf")),
				expect("swanctl_conf", knownvalue.StringExact(conf)),
				expect("swanctl_conf", knownvalue.StringRegexp(regexp.MustCompile(`secret = 0x`+hex.EncodeToString([]byte(testKey))))),
				expect("cloud_init", knownvalue.StringExact(ud)),
				expect("dpd_timeout_seconds", knownvalue.Int64Exact(45)),
				expect("allow_weak_crypto", knownvalue.Bool(false)),
				expect("ipsec_policy", knownvalue.ObjectExact(map[string]knownvalue.Check{
					"ike_encryption": knownvalue.StringExact("AES256"), "ike_integrity": knownvalue.StringExact("SHA384"),
					"dh_group": knownvalue.StringExact("ECP384"), "ipsec_encryption": knownvalue.StringExact("GCMAES256"),
					"ipsec_integrity": knownvalue.StringExact("GCMAES256"), "pfs_group": knownvalue.StringExact("ECP384"),
					"sa_lifetime_seconds": knownvalue.Int64Exact(27000), "sa_datasize_kilobytes": knownvalue.Int64Exact(102400000),
				})),
			},
		}},
	})
}

func TestAccStrongswanConfig_customPolicy(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			// A CBC suite with MODP2048, as many on-premises devices need.
			Config: args{dpd: "30", policy: `{
    ike_encryption = "AES256", ike_integrity = "SHA256", dh_group = "DHGroup14"
    ipsec_encryption = "AES256", ipsec_integrity = "SHA256", pfs_group = "PFS2048"
    sa_lifetime_seconds = 3600
  }`}.hcl(),
			ConfigStateChecks: []statecheck.StateCheck{
				expect("ike_proposal", knownvalue.StringExact("aes256-sha256-modp2048")),
				expect("esp_proposal", knownvalue.StringExact("aes256-sha256-modp2048")),
				expect("swanctl_conf", knownvalue.StringRegexp(regexp.MustCompile(`(?m)^\s+life_time = 3600s$`))),
				expect("swanctl_conf", knownvalue.StringRegexp(regexp.MustCompile(`(?m)^\s+rekey_time = 3240s$`))),
				expect("swanctl_conf", knownvalue.StringRegexp(regexp.MustCompile(`(?m)^\s+dpd_delay = 10s$`))),
				// Unset fields keep their defaults.
				expect("ipsec_policy", knownvalue.ObjectPartial(map[string]knownvalue.Check{
					"sa_datasize_kilobytes": knownvalue.Int64Exact(102400000),
				})),
			},
		}, {
			// Azure's legacy default (DH group 2) is accepted only knowingly.
			Config: args{allowWeak: "true", policy: `{ dh_group = "DHGroup2", pfs_group = "None" }`}.hcl(),
			ConfigStateChecks: []statecheck.StateCheck{
				expect("ike_proposal", knownvalue.StringExact("aes256-sha384-modp1024")),
				expect("esp_proposal", knownvalue.StringExact("aes256gcm16")),
				expect("allow_weak_crypto", knownvalue.Bool(true)),
			},
		}},
	})
}

// TestAccStrongswanConfig_unknownUntilApply: values computed by another
// resource skip plan-time checks; Read renders them once known, and an
// invalid one is still refused at apply, on its attribute.
func TestAccStrongswanConfig_unknownUntilApply(t *testing.T) {
	prelude := func(key string) string {
		return fmt.Sprintf("resource \"terraform_data\" \"key\" {\n  input = %q\n}\n", key)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: args{prelude: prelude(testKey), key: "terraform_data.key.output"}.hcl(),
			ConfigStateChecks: []statecheck.StateCheck{
				expect("swanctl_conf", knownvalue.StringRegexp(regexp.MustCompile(`secret = 0x`+hex.EncodeToString([]byte(testKey))))),
			},
		}, {
			Config:      args{prelude: prelude("has~tilde"), key: "terraform_data.key.output"}.hcl(),
			ExpectError: regexp.MustCompile(`Invalid shared key(.|\n)*contains a tilde \(~\) at byte 4`),
		}},
	})
}

// TestAccStrongswanConfig_invalid checks that each rule is refused at plan
// time, on the attribute to change, with the reason. Terraform prints the
// source line of a top-level attribute; for fields inside ipsec_policy it
// shows the block, so those messages start with the full attribute path.
func TestAccStrongswanConfig_invalid(t *testing.T) {
	fwtest.RefusedAtPlan(t, factories, []fwtest.Refusal{
		{Name: "weak DH group", Config: args{policy: `{ dh_group = "DHGroup2" }`}.hcl(),
			Want: `Invalid IPsec policy\s+with data\.crosscloud_strongswan_config\.test,(.|\n)*ipsec_policy\.dh_group:\s+DHGroup2\s+is\s+weak(.|\n)*set\s+allow_weak_crypto\s+=\s+true`},
		{Name: "GCM without matching integrity", Config: args{policy: `{ ipsec_encryption = "GCMAES256", ipsec_integrity = "SHA256" }`}.hcl(),
			Want: `ipsec_policy\.ipsec_integrity:\s+ipsec_encryption\s+GCMAES256\s+needs\s+ipsec_integrity\s+GCMAES256`},
		{Name: "lifetime below Azure's minimum", Config: args{policy: `{ sa_lifetime_seconds = 100 }`}.hcl(),
			Want: `ipsec_policy\.sa_lifetime_seconds:\s+100\s+s\s+is\s+below\s+Azure's\s+minimum\s+of\s+300`},
		{Name: "value Azure does not know", Config: args{policy: `{ dh_group = "ecp384" }`}.hcl(),
			Want: `Attribute\s+ipsec_policy\.dh_group\s+value\s+must\s+be\s+one\s+of`},
		{Name: "shared key with a space", Config: args{key: `"abc def"`}.hcl(),
			Want: `Invalid shared key\s+with data\.crosscloud_strongswan_config\.test,(.|\n)*shared_key\s+=(.|\n)*contains\s+a\s+space\s+at\s+byte\s+4`},
		{Name: "shared key too long", Config: args{key: `"` + strings.Repeat("k", 129) + `"`}.hcl(),
			Want: `is\s+129\s+characters\s+long;\s+Azure\s+accepts\s+1\s+to\s+128`},
		{Name: "prefix with host bits", Config: args{localPrefixes: `["10.0.1.5/24"]`}.hcl(),
			Want: `Invalid CIDR prefix(.|\n)*local_prefixes\s+=(.|\n)*10\.0\.1\.5/24\s+has\s+host\s+bits\s+set;\s+did\s+you\s+mean\s+10\.0\.1\.0/24\?`},
		{Name: "overlapping local and remote prefixes", Config: args{localPrefixes: `["10.0.0.0/8"]`}.hcl(),
			Want: `remote_prefixes\s+=(.|\n)*10\.1\.0\.0/16\s+overlaps\s+local_prefixes\[0\]\s+10\.0\.0\.0/8`},
		{Name: "prefix containing the tunnel endpoint", Config: args{localPrefixes: `["192.0.2.0/24"]`}.hcl(),
			Want: `local_prefixes\s+=(.|\n)*contains\s+the\s+tunnel\s+endpoint\s+192\.0\.2\.10`},
		{Name: "no remote prefixes", Config: args{remotePrefixes: `[]`}.hcl(),
			Want: `remote_prefixes\s+=(.|\n)*is\s+empty:\s+the\s+tunnel\s+needs\s+at\s+least\s+one\s+prefix`},
		{Name: "invalid connection name", Config: args{name: `"Hel1_WEU"`}.hcl(),
			Want: `connection_name\s+=(.|\n)*"Hel1_WEU"\s+is\s+not\s+usable\s+as\s+a\s+swanctl\s+connection`},
		{Name: "IPv6 address", Config: args{local: `"2001:db8::1"`}.hcl(),
			Want: `Invalid IPv4 address(.|\n)*local_address\s+=(.|\n)*2001:db8::1\s+is\s+an\s+IPv6\s+address`},
		{Name: "same address on both ends", Config: args{remote: `"192.0.2.10"`}.hcl(),
			Want: `remote_address\s+=(.|\n)*192\.0\.2\.10\s+equals\s+local_address`},
		{Name: "DPD timeout out of range", Config: args{dpd: "5"}.hcl(),
			Want: `Invalid DPD timeout(.|\n)*dpd_timeout_seconds\s+=(.|\n)*5\s+is\s+outside\s+Azure's\s+range\s+9\.\.3600`},
	})
}

// TestAccStrongswanConfig_example runs the documented example as is.
func TestAccStrongswanConfig_example(t *testing.T) {
	fwtest.Example(t, factories, "../../examples/data-sources/crosscloud_strongswan_config/data-source.tf",
		config.Variables{"psk": config.StringVariable(testKey)}, map[string]knownvalue.Check{
			"ike_proposal":      knownvalue.StringExact("aes256-sha384-ecp384"),
			"esp_proposal":      knownvalue.StringExact("aes256gcm16-ecp384"),
			"swanctl_conf_path": knownvalue.StringExact("/etc/swanctl/conf.d/hel1-weu.conf"),
			"swanctl_conf":      knownvalue.StringRegexp(regexp.MustCompile(`remote_ts = 10\.1\.0\.0/16`)),
			"cloud_init":        knownvalue.StringRegexp(regexp.MustCompile(`^#cloud-config\n`)),
		})
}
