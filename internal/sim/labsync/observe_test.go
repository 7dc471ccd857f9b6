package labsync

import (
	"net/netip"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// The emulator hands out 203.0.113.0/24 (Hetzner) and 198.51.100.0/24
// (Azure); the lab's internet router owns each segment's last host, so an
// address the lab cannot plug in must be refused before Build fails on it.
func TestPublicOK(t *testing.T) {
	for _, tc := range []struct {
		ip   string
		want bool
	}{
		{"203.0.113.1", true},
		{"203.0.113.253", true},
		{"203.0.113.254", false}, // the segment's router
		{"203.0.113.0", false},
		{"198.51.100.7", false}, // the other segment
		{"10.0.1.1", false},
	} {
		if got := publicOK(netip.MustParseAddr(tc.ip), lab.PublicSegments[0]); got != tc.want {
			t.Errorf("publicOK(%s, %v) = %v, want %v", tc.ip, lab.PublicSegments[0], got, tc.want)
		}
	}
}

// Only a server whose cloud-init writes a swanctl configuration runs
// strongSwan in the lab; every other server is a plain host.
func TestIsGatewayUserData(t *testing.T) {
	for _, tc := range []struct {
		name, ud string
		want     bool
	}{
		{"swanctl conf.d file", "#cloud-config\nwrite_files:\n  - path: /etc/swanctl/conf.d/link.conf\n    content: 'connections {}'\n", true},
		{"swanctl.conf", "#cloud-config\nwrite_files:\n  - path: /etc/swanctl/swanctl.conf\n    content: 'connections {}'\n", true},
		{"other files only", "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: hello\n", false},
		{"shell script", "#!/bin/sh\necho /etc/swanctl/swanctl.conf\n", false},
		{"empty", "", false},
	} {
		if got := isGatewayUserData(tc.ud); got != tc.want {
			t.Errorf("%s: isGatewayUserData = %v, want %v", tc.name, got, tc.want)
		}
	}
}
