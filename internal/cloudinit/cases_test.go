package cloudinit

import (
	"net/netip"
	"os"
	"testing"
	"time"
)

// goldenCase is one rendered gateway with what charon must make of it.
type goldenCase struct {
	name string
	g    Gateway
	// wantIKE and wantESP are charon's own spelling of the parsed
	// proposals (vici_config's cfg log), which proves the strict strings
	// reached charon unchanged.
	wantIKE, wantESP string
}

// goldenCases are the topologies the golden files, the cloud-init schema
// check and the charon load test all share.
func goldenCases() []goldenCase {
	return []goldenCase{{
		// The setup this project automates (docs/facts/origin.md), with the
		// provider's default crypto and all tunables left to defaults.
		name: "original-topology",
		g: Gateway{
			ConnectionName: "hel1-weu",
			LocalAddress:   netip.MustParseAddr("192.0.2.10"),
			RemoteAddress:  netip.MustParseAddr("198.51.100.20"),
			LocalPrefixes:  []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")},
			RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")},
			IKEProposal:    "aes256-sha384-ecp384",
			ESPProposal:    "aes256gcm16-ecp384",
			// '"' and '\' would need escaping in a quoted secret.
			SharedKey: `Zx"9\q!Abc$Def%Ghi`,
		},
		wantIKE: "IKE:AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384",
		wantESP: "ESP:AES_GCM_16_256/ECP_384/NO_EXT_SEQ",
	}, {
		name: "multiple-prefixes",
		g: Gateway{
			ConnectionName: "fsn1-neu-2",
			LocalAddress:   netip.MustParseAddr("203.0.113.7"),
			RemoteAddress:  netip.MustParseAddr("198.51.100.99"),
			LocalPrefixes: []netip.Prefix{
				netip.MustParsePrefix("10.0.1.0/24"),
				netip.MustParsePrefix("10.0.8.0/21"),
			},
			RemotePrefixes: []netip.Prefix{
				netip.MustParsePrefix("10.1.0.0/16"),
				netip.MustParsePrefix("10.2.0.0/16"),
				netip.MustParsePrefix("172.16.4.0/22"),
			},
			IKEProposal:         "aes256-sha256-modp2048",
			ESPProposal:         "aes256gcm16",
			ChildLifetime:       3600 * time.Second,
			IKERekey:            2 * time.Hour,
			DPDDelay:            10 * time.Second,
			SharedKey:           "0xdeadbeef",
			PrivateInterfaceMSS: 1300,
		},
		wantIKE: "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
		wantESP: "ESP:AES_GCM_16_256/NO_EXT_SEQ",
	}, {
		// Azure's default policy (DH group 2, SHA1), as a user with
		// allow_weak_crypto would get it: the renderer must not care.
		name: "weak-crypto",
		g: Gateway{
			ConnectionName: "legacy",
			LocalAddress:   netip.MustParseAddr("192.0.2.33"),
			RemoteAddress:  netip.MustParseAddr("203.0.113.200"),
			LocalPrefixes:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")},
			RemotePrefixes: []netip.Prefix{netip.MustParsePrefix("10.16.0.0/12")},
			IKEProposal:    "aes256-sha1-modp1024",
			ESPProposal:    "aes256-sha1,3des-sha1",
			ChildLifetime:  27000 * time.Second,
			SharedKey:      "weak'but`valid{}",
		},
		wantIKE: "IKE:AES_CBC_256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024",
		wantESP: "ESP:AES_CBC_256/HMAC_SHA1_96/NO_EXT_SEQ, ESP:3DES_CBC/HMAC_SHA1_96/NO_EXT_SEQ",
	}, {
		// An active-active Azure gateway: a tunnel to each instance's
		// public IP, same identity, key, proposals and selectors.
		name: "active-active",
		g: Gateway{
			ConnectionName:      "hel1-weu",
			LocalAddress:        netip.MustParseAddr("192.0.2.10"),
			RemoteAddress:       netip.MustParseAddr("198.51.100.20"),
			SecondRemoteAddress: netip.MustParseAddr("198.51.100.21"),
			LocalPrefixes:       []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")},
			RemotePrefixes:      []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.0/16")},
			IKEProposal:         "aes256gcm16-prfsha384-ecp384",
			ESPProposal:         "aes256gcm16-ecp384",
			SharedKey:           "Zx9qAbcDefGhi",
		},
		wantIKE: "IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384",
		wantESP: "ESP:AES_GCM_16_256/ECP_384/NO_EXT_SEQ",
	}}
}

// validGateway is a small valid input for tests that change one field.
func validGateway() Gateway { return goldenCases()[0].g }

// skipOrFail skips a test whose tool is missing, except in CI, where a
// missing tool means the suite silently stopped testing something.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s, and CI is set: install it (tools/lab-packages.txt lists it) instead of skipping", why)
	}
	// As root, make test installs the lab's packages (tools/lab-setup.sh).
	t.Skip(why + `; to run it: sudo env "PATH=$PATH" make test`)
}
