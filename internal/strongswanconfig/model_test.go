package strongswanconfig

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwtest"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipsec"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/policyattr"
)

const secretKey = "S3cr3t!Key"

func strList(vs ...string) types.List {
	elems := make([]attr.Value, len(vs))
	for i, v := range vs {
		elems[i] = types.StringValue(v)
	}
	return types.ListValueMust(types.StringType, elems)
}

// baseModel is the original topology as Terraform would pass it, with the
// optional arguments unset.
func baseModel() model {
	return model{
		ConnectionName:    types.StringValue("hel1-weu"),
		LocalAddress:      types.StringValue("192.0.2.10"),
		RemoteAddress:     types.StringValue("198.51.100.20"),
		LocalPrefixes:     strList("10.0.1.0/24"),
		RemotePrefixes:    strList("10.1.0.0/16"),
		IPsecPolicy:       types.ObjectNull(policyattr.AttributeTypes()),
		AllowWeakCrypto:   types.BoolNull(),
		SharedKey:         types.StringValue(secretKey),
		DPDTimeoutSeconds: types.Int64Null(),
	}
}

func policy(mutate func(*policyattr.Model)) types.Object {
	m := policyattr.ModelOf(ipsec.DefaultPolicy())
	mutate(&m)
	obj, d := types.ObjectValueFrom(context.Background(), policyattr.AttributeTypes(), m)
	if d.HasError() {
		panic(d)
	}
	return obj
}

func TestBuildDefaults(t *testing.T) {
	in, out, ok, diags := build(context.Background(), baseModel())
	if !ok || diags.HasError() {
		t.Fatalf("build failed: %v", fwtest.ErrorsByPath(diags))
	}
	if in.policy != ipsec.DefaultPolicy() || in.dpd != 45 || in.allowWeak {
		t.Errorf("defaults not applied: policy %+v dpd %d allowWeak %v", in.policy, in.dpd, in.allowWeak)
	}
	if out.ikeProposal != "aes256-sha384-ecp384" || out.espProposal != "aes256gcm16-ecp384" {
		t.Errorf("proposals = %q, %q", out.ikeProposal, out.espProposal)
	}
	for _, want := range []string{"local_ts = 10.0.1.0/24", "remote_ts = 10.1.0.0/16", "dpd_delay = 15s", "life_time = 27000s"} {
		if !strings.Contains(out.swanctlConf, want) {
			t.Errorf("swanctl_conf lacks %q:\n%s", want, out.swanctlConf)
		}
	}
	if !strings.HasPrefix(out.cloudInit, "#cloud-config\n") || !strings.Contains(out.cloudInit, "/etc/swanctl/conf.d/hel1-weu.conf") {
		t.Errorf("cloud_init is not the gateway's cloud-config:\n%s", out.cloudInit)
	}
	var m model
	m.applyOutputs(in, out)
	if got := m.IPsecPolicy; !got.Equal(policyattr.DefaultObject()) {
		t.Errorf("effective ipsec_policy = %v", got)
	}
}

func TestBuildErrorsOnAttributePaths(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model)
		want   []string // one "path: detail substring" per expected error, in order
	}{
		{"weak DH group", func(m *model) {
			m.IPsecPolicy = policy(func(p *policyattr.Model) { p.DHGroup = types.StringValue("DHGroup2") })
		},
			[]string{"ipsec_policy.dh_group: ipsec_policy.dh_group: DHGroup2 is weak"}},
		{"weak DH group allowed", func(m *model) {
			m.IPsecPolicy = policy(func(p *policyattr.Model) { p.DHGroup = types.StringValue("DHGroup2") })
			m.AllowWeakCrypto = types.BoolValue(true)
		}, nil},
		{"GCM mismatch", func(m *model) {
			m.IPsecPolicy = policy(func(p *policyattr.Model) { p.IPsecIntegrity = types.StringValue("SHA256") })
		}, []string{"ipsec_policy.ipsec_integrity: ipsec_policy.ipsec_integrity: ipsec_encryption GCMAES256 needs"}},
		{"lifetime too short reported once", func(m *model) {
			m.IPsecPolicy = policy(func(p *policyattr.Model) { p.SALifetimeSeconds = types.Int64Value(299) })
		}, []string{"ipsec_policy.sa_lifetime_seconds: ipsec_policy.sa_lifetime_seconds: 299 s is below"}},
		{"enum outsider left to the schema validator", func(m *model) {
			m.IPsecPolicy = policy(func(p *policyattr.Model) { p.PFSGroup = types.StringValue("pfs2048") })
		}, nil},
		{"host bits", func(m *model) { m.LocalPrefixes = strList("10.0.1.0/24", "10.0.2.7/24") },
			[]string{"local_prefixes[1]: 10.0.2.7/24 has host bits set; did you mean 10.0.2.0/24?"}},
		{"IPv6 prefix", func(m *model) { m.RemotePrefixes = strList("fd00::/64") },
			[]string{"remote_prefixes[0]: fd00::/64 is an IPv6 prefix"}},
		{"overlap reported once, on the remote element", func(m *model) { m.RemotePrefixes = strList("172.16.0.0/12", "10.0.0.0/16") },
			[]string{"remote_prefixes[1]: 10.0.0.0/16 overlaps local_prefixes[0] 10.0.1.0/24"}},
		{"nested local prefixes", func(m *model) { m.LocalPrefixes = strList("10.0.0.0/16", "10.0.1.0/24") },
			[]string{"local_prefixes[1]: 10.0.1.0/24 overlaps local_prefixes[0] 10.0.0.0/16"}},
		{"endpoint inside prefix", func(m *model) { m.RemotePrefixes = strList("198.51.100.0/24") },
			[]string{"remote_prefixes[0]: 198.51.100.0/24 contains the tunnel endpoint 198.51.100.20"}},
		{"IPv6 address", func(m *model) { m.RemoteAddress = types.StringValue("2001:db8::2") },
			[]string{"remote_address: 2001:db8::2 is an IPv6 address"}},
		{"address with prefix length", func(m *model) { m.LocalAddress = types.StringValue("192.0.2.10/32") },
			[]string{"local_address: \"192.0.2.10/32\" is a prefix"}},
		{"connection name", func(m *model) { m.ConnectionName = types.StringValue("-x") },
			[]string{"connection_name: \"-x\" is not usable"}},
		{"dpd", func(m *model) { m.DPDTimeoutSeconds = types.Int64Value(3601) },
			[]string{"dpd_timeout_seconds: 3601 is outside Azure's range 9..3600"}},
		{"several at once", func(m *model) {
			m.SharedKey = types.StringValue("has-hyphen")
			m.LocalAddress = types.StringValue("not-an-ip")
		}, []string{"local_address: \"not-an-ip\" is not an IPv4 address", "shared_key: contains a hyphen (-) at byte 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseModel()
			tt.mutate(&m)
			_, _, ok, diags := build(context.Background(), m)
			fwtest.ErrorPrefixes(t, diags, tt.want)
			wantOK := tt.want == nil && !strings.Contains(tt.name, "outsider")
			if ok != wantOK {
				t.Errorf("ok = %v, want %v", ok, wantOK)
			}
		})
	}
}

// TestSharedKeyNeverEchoed: diagnostics are printed and logged, so a
// mistyped key must be described by position, never shown.
func TestSharedKeyNeverEchoed(t *testing.T) {
	for _, key := range []string{"Secret With Space", "Secret-Hyphen", "Secret~Tilde", "Sécret", strings.Repeat("LongSecret", 13)} {
		m := baseModel()
		m.SharedKey = types.StringValue(key)
		_, _, _, diags := build(context.Background(), m)
		if !diags.HasError() {
			t.Errorf("key %q accepted", key)
		}
		for _, d := range diags {
			if strings.Contains(d.Detail(), key) || strings.Contains(d.Summary(), key) {
				t.Errorf("diagnostic echoes the key: %s", d.Detail())
			}
			// shared_key is required here: no advice to omit it.
			if strings.Contains(d.Detail(), "generated") {
				t.Errorf("diagnostic suggests generating a key, which this data source cannot: %s", d.Detail())
			}
		}
	}
}

// TestUnknownValuesSkipRules: values computed by other resources are
// unknown at plan time; rules that need them wait for Read, the others
// still run.
func TestUnknownValuesSkipRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*model)
		want   []string
	}{
		{"unknown local prefixes: no overlap or emptiness guess", func(m *model) {
			m.LocalPrefixes = types.ListUnknown(types.StringType)
			m.RemotePrefixes = strList("10.0.0.0/8")
		}, nil},
		{"unknown element", func(m *model) {
			m.LocalPrefixes = types.ListValueMust(types.StringType, []attr.Value{types.StringUnknown(), types.StringValue("10.1.0.0/24")})
		}, nil},
		{"unknown key", func(m *model) { m.SharedKey = types.StringUnknown() }, nil},
		{"unknown address", func(m *model) { m.LocalAddress = types.StringUnknown() }, nil},
		{"unknown policy field", func(m *model) {
			m.IPsecPolicy = policy(func(p *policyattr.Model) {
				p.IPsecEncryption = types.StringValue("AES256")
				p.IPsecIntegrity = types.StringUnknown()
			})
		}, nil},
		{"unknown allow_weak still checks pairing", func(m *model) {
			m.AllowWeakCrypto = types.BoolUnknown()
			m.IPsecPolicy = policy(func(p *policyattr.Model) {
				p.DHGroup = types.StringValue("DHGroup2")
				p.IPsecIntegrity = types.StringValue("SHA256")
			})
		}, []string{"ipsec_policy.ipsec_integrity: "}},
		{"known errors still reported", func(m *model) {
			m.SharedKey = types.StringUnknown()
			m.LocalAddress = types.StringValue("::1")
		}, []string{"local_address: ::1 is an IPv6 address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := baseModel()
			tt.mutate(&m)
			_, _, ok, diags := build(context.Background(), m)
			if ok {
				t.Error("ok = true with unknown input: outputs would be rendered from guesses")
			}
			fwtest.ErrorPrefixes(t, diags, tt.want)
		})
	}
}
