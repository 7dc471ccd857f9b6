package ipsec

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestARMRoundTrip(t *testing.T) {
	tests := []Policy{
		DefaultPolicy(),
		pol("AES256", "SHA256", "DHGroup14", "GCMAES256", "GCMAES256", "None"),
		{"DES", "MD5", "DHGroup1", "None", "MD5", "PFSMM", 300, 1024},
		{"x", "y", "z", "", "", "", -5, 2147483647}, // FromARM copies, Validate judges
	}
	for _, p := range tests {
		got, err := FromARM(p.ToARM())
		if err != nil || got != p {
			t.Errorf("FromARM(ToARM(%+v)) = %+v, %v", p, got, err)
		}
	}
}

// The connection PUT body must carry Azure's JSON names, all eight of them.
func TestToARMWireFormat(t *testing.T) {
	b, err := json.Marshal(DefaultPolicy().ToARM())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"ikeEncryption": "AES256", "ikeIntegrity": "SHA384", "dhGroup": "ECP384",
		"ipsecEncryption": "GCMAES256", "ipsecIntegrity": "GCMAES256", "pfsGroup": "ECP384",
		"saLifeTimeSeconds": float64(27000), "saDataSizeKilobytes": float64(102400000),
	}
	if len(got) != len(want) {
		t.Errorf("JSON has %d keys, want %d: %s", len(got), len(want), b)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("JSON %s = %v, want %v (%s)", k, got[k], v, b)
		}
	}
}

func TestFromARMMissing(t *testing.T) {
	if _, err := FromARM(nil); err == nil || !strings.Contains(err.Error(), "ipsec_policy") {
		t.Errorf("FromARM(nil) error = %v, want one naming ipsec_policy", err)
	}
	a := DefaultPolicy().ToARM()
	a.PfsGroup = nil
	a.SaDataSizeKilobytes = nil
	_, err := FromARM(a)
	if err == nil {
		t.Fatal("FromARM accepted a policy with missing fields")
	}
	for _, f := range []string{"pfs_group", "sa_datasize_kilobytes"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not name %s", err, f)
		}
	}
	if strings.Contains(err.Error(), "dh_group") {
		t.Errorf("error %q names a field that is present", err)
	}
}
