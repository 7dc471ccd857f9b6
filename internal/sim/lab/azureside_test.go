package lab

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The expected strings come from docs/facts/ipsec.md, "strongSwan keywords" (strongSwan's
// proposal_keywords_static.txt), written here independently of internal/ipsec.

func TestIKEProposal(t *testing.T) {
	for _, tc := range []struct {
		enc, integ, dh string
		want           string // "" = error
		errField       string
	}{
		{"AES256", "SHA256", "DHGroup14", "aes256-sha256-modp2048", ""},
		{"GCMAES256", "SHA384", "ECP384", "aes256gcm16-prfsha384-ecp384", ""},
		{"GCMAES128", "SHA256", "ECP256", "aes128gcm16-prfsha256-ecp256", ""},
		{"AES128", "SHA1", "DHGroup2", "aes128-sha1-modp1024", ""},
		{"AES192", "SHA384", "DHGroup2048", "aes192-sha384-modp2048", ""},
		{"DES3", "MD5", "DHGroup1", "3des-md5-modp768", ""},
		{"DES", "SHA1", "DHGroup2", "des-sha1-modp1024", ""},
		{"AES256", "SHA256", "DHGroup24", "aes256-sha256-modp2048s256", ""},
		{"AES512", "SHA256", "DHGroup14", "", "ikeEncryption"},
		{"AES256", "SHA512", "DHGroup14", "", "ikeIntegrity"},
		{"GCMAES256", "GCMAES256", "ECP384", "", "ikeIntegrity"},
		{"AES256", "SHA256", "None", "", "dhGroup"},
		{"AES256", "SHA256", "ECP521", "", "dhGroup"},
	} {
		got, err := IPsecPolicy{IKEEncryption: tc.enc, IKEIntegrity: tc.integ, DHGroup: tc.dh}.IKEProposal()
		checkProposal(t, fmt.Sprintf("IKEProposal(%s,%s,%s)", tc.enc, tc.integ, tc.dh), got, err, tc.want, tc.errField)
	}
}

// checkProposal checks one proposal table case: with want "" an error
// naming errField, otherwise got.
func checkProposal(t *testing.T, call, got string, err error, want, errField string) {
	t.Helper()
	if want == "" {
		if err == nil || !strings.Contains(err.Error(), errField) {
			t.Errorf("%s = %q, %v; want an error naming %s", call, got, err, errField)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("%s = %q, %v; want %q", call, got, err, want)
	}
}

func TestESPProposal(t *testing.T) {
	for _, tc := range []struct {
		enc, integ, pfs, dh string
		want                string // "" = error
		errField            string
	}{
		{"GCMAES256", "GCMAES256", "None", "", "aes256gcm16", ""},
		{"GCMAES256", "GCMAES256", "ECP384", "", "aes256gcm16-ecp384", ""},
		{"GCMAES192", "GCMAES192", "PFS2048", "", "aes192gcm16-modp2048", ""},
		{"GCMAES128", "GCMAES128", "ECP256", "", "aes128gcm16-ecp256", ""},
		{"AES256", "SHA256", "PFS14", "", "aes256-sha256-modp2048", ""},
		{"AES128", "SHA1", "PFS2", "", "aes128-sha1-modp1024", ""},
		{"AES192", "SHA256", "None", "", "aes192-sha256", ""},
		{"DES3", "MD5", "PFS1", "", "3des-md5-modp768", ""},
		{"DES", "SHA1", "None", "", "des-sha1", ""},
		{"None", "SHA256", "PFS24", "", "null-sha256-modp2048s256", ""},
		{"AES256", "SHA1", "PFSMM", "ECP256", "aes256-sha1-ecp256", ""},
		{"GCMAES256", "SHA256", "None", "", "", "ipsecIntegrity"},
		{"GCMAES128", "GCMAES256", "None", "", "", "ipsecIntegrity"},
		{"AES256", "GCMAES256", "None", "", "", "ipsecIntegrity"},
		{"AES256", "SHA384", "None", "", "", "ipsecIntegrity"},
		{"AES512", "SHA256", "None", "", "", "ipsecEncryption"},
		{"AES256", "SHA256", "PFS3", "", "", "pfsGroup"},
	} {
		p := IPsecPolicy{IPsecEncryption: tc.enc, IPsecIntegrity: tc.integ, PFSGroup: tc.pfs, DHGroup: tc.dh}
		got, err := p.ESPProposal()
		checkProposal(t, fmt.Sprintf("ESPProposal(%s,%s,%s)", tc.enc, tc.integ, tc.pfs), got, err, tc.want, tc.errField)
	}
}

// confValue returns the value of the first "key = value" line.
func confValue(conf, key string) string {
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(key) + ` = (.*)$`).FindStringSubmatch(conf)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestAzureConfigDefaultsAndPolicy(t *testing.T) {
	custom := *gcmPolicy
	custom.SALifetimeSeconds, custom.SADataSizeKilobytes = 3600, 2048
	for _, tc := range []struct {
		name                    string
		policy                  *IPsecPolicy
		wantIKE, wantFirstESP   string
		wantESPCount            int
		wantLife, wantLifeBytes string
	}{
		{"azure defaults", nil,
			"aes256-sha1-modp1024, aes256-sha256-modp1024, aes128-sha1-modp1024, aes128-sha256-modp1024, 3des-sha1-modp1024, 3des-sha256-modp1024",
			"aes256gcm16", 26, "27000s", "104857600000"},
		{"custom policy is the only offer", &custom, "aes256gcm16-prfsha384-ecp384", "aes256gcm16-ecp384", 1, "3600s", "2097152"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := AzureConfig(azureConn(tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			if got := confValue(conf, "proposals"); got != tc.wantIKE {
				t.Errorf("proposals = %q, want %q", got, tc.wantIKE)
			}
			esp := strings.Split(confValue(conf, "esp_proposals"), ", ")
			if esp[0] != tc.wantFirstESP || len(esp) != tc.wantESPCount {
				t.Errorf("esp_proposals = %v, want %d offers starting with %s", esp, tc.wantESPCount, tc.wantFirstESP)
			}
			for key, want := range map[string]string{
				"rekey_time": "28800s", "life_time": tc.wantLife, "life_bytes": tc.wantLifeBytes,
				"local_ts": "10.1.0.0/16", "remote_ts": "10.0.0.0/12", "version": "2", "dpd_delay": "45s",
				"local_addrs": "198.51.100.10", "remote_addrs": "203.0.113.10", "start_action": "none",
			} {
				if got := confValue(conf, key); got != want {
					t.Errorf("%s = %q, want %q", key, got, want)
				}
			}
			key, err := hex.DecodeString(strings.TrimPrefix(confValue(conf, "secret"), "0x"))
			if err != nil || string(key) != azureConn(nil).SharedKey {
				t.Errorf("secret decodes to %q (%v), want the shared key", key, err)
			}
		})
	}
}

func TestAzureConfigModesAndErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mutate  func(*AzureConnection)
		key     string
		want    string
		wantErr string
	}{
		{"default mode responds", func(c *AzureConnection) { c.ConnectionMode = "Default" }, "start_action", "none", ""},
		{"responder only", func(c *AzureConnection) { c.ConnectionMode = "ResponderOnly" }, "start_action", "none", ""},
		{"initiator only", func(c *AzureConnection) { c.ConnectionMode = "InitiatorOnly" }, "start_action", "start", ""},
		{"initiator only restarts", func(c *AzureConnection) { c.ConnectionMode = "InitiatorOnly" }, "dpd_action", "restart", ""},
		{"dpd timeout", func(c *AzureConnection) { c.DPDTimeoutSeconds = 30 }, "dpd_delay", "30s", ""},
		{"ikev1", func(c *AzureConnection) { c.ConnectionProtocol = "IKEv1" }, "version", "1", ""},
		{"several prefixes", func(c *AzureConnection) {
			c.RemotePrefixes = []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("10.0.2.7/24")}
		}, "remote_ts", "10.0.1.0/24,10.0.2.0/24", ""},
		{"name with dots", func(c *AzureConnection) { c.Name = "a.b c" }, "secret", "", ""},
		{"bad mode", func(c *AzureConnection) { c.ConnectionMode = "Both" }, "", "", "connectionMode"},
		{"bad protocol", func(c *AzureConnection) { c.ConnectionProtocol = "IKEv3" }, "", "", "connectionProtocol"},
		{"no key", func(c *AzureConnection) { c.SharedKey = "" }, "", "", "sharedKey"},
		{"no lng prefixes", func(c *AzureConnection) { c.RemotePrefixes = nil }, "", "", "addressPrefixes"},
		{"ipv6 peer", func(c *AzureConnection) { c.RemoteAddr = netip.MustParseAddr("2001:db8::1") }, "", "", "gatewayIpAddress"},
		{"bad policy", func(c *AzureConnection) {
			c.Policy = &IPsecPolicy{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "None"}
		}, "", "", "dhGroup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := azureConn(nil)
			tc.mutate(&in)
			conf, err := AzureConfig(in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("AzureConfig error = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "name with dots" {
				if !strings.Contains(conf, "  a_b_c {") || SwanctlName(in.Name) != "a_b_c" {
					t.Errorf("connection a.b c should be configured as a_b_c:\n%s", conf)
				}
				return
			}
			if got := confValue(conf, tc.key); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

// TestAzureConfigLoadsIntoCharon proves strongSwan itself accepts every
// translation (a typo in a keyword would only show here or in a dead tunnel).
func TestAzureConfigLoadsIntoCharon(t *testing.T) {
	ctx := labContext(t, 20*time.Second)
	prefix := testPrefix("l")
	if err := AddNS(ctx, prefix, prefix+"load"); err != nil {
		t.Fatal(err)
	}
	defer Sweep(context.Background(), prefix)
	c, err := StartCharon(ctx, prefix+"load", t.TempDir(), CharonConf{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	policies := []*IPsecPolicy{nil, gcmPolicy,
		{IKEEncryption: "AES256", IKEIntegrity: "SHA256", DHGroup: "DHGroup24", IPsecEncryption: "None", IPsecIntegrity: "SHA256", PFSGroup: "PFS24"},
		{IKEEncryption: "DES3", IKEIntegrity: "MD5", DHGroup: "DHGroup1", IPsecEncryption: "DES", IPsecIntegrity: "MD5", PFSGroup: "PFSMM"},
		{IKEEncryption: "GCMAES128", IKEIntegrity: "SHA256", DHGroup: "ECP256", IPsecEncryption: "GCMAES192", IPsecIntegrity: "GCMAES192", PFSGroup: "PFS2048"},
	}
	for i, p := range policies {
		conf, err := AzureConfig(azureConn(p))
		if err != nil {
			t.Fatalf("policy %d: %v", i, err)
		}
		if err := c.LoadConfig(ctx, conf); err != nil {
			t.Errorf("policy %d (%+v): charon refused the translation: %v", i, p, err)
		}
	}
}
