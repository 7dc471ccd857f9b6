package labsync

import (
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// Preflight says whether this machine can run the lab, and if not, what to
// install or how to run: root for namespaces, iproute2, nftables,
// util-linux, systemd-nspawn for the gateway machines, debootstrap until
// their image is cached, and Debian's strongSwan with kernel-libipsec for
// the Azure side.
func Preflight() error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root privileges (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN): run as root")
	}
	tools := map[string]string{"ip": "iproute2", "nft": "nftables", "unshare": "util-linux", "nsenter": "util-linux",
		"swanctl": "strongswan-swanctl", "systemd-nspawn": "systemd-container"}
	if !lab.ImageCached(lab.CacheDir()) {
		tools["debootstrap"] = "debootstrap" // only to build the gateway image once
	}
	for tool, pkg := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("%s (apt-get install %s)", tool, pkg))
		}
	}
	if _, err := lab.CharonBinary(); err != nil {
		missing = append(missing, "charon (apt-get install charon-systemd)")
	}
	if !kernelLibipsecInstalled() {
		missing = append(missing, "strongSwan's kernel-libipsec plugin (apt-get install libcharon-extra-plugins)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("the lab cannot run on this machine; missing: %s. Without -lab the emulator serves the APIs only", strings.Join(missing, "; "))
	}
	return nil
}

func kernelLibipsecInstalled() bool {
	for _, dir := range []string{"/usr/lib/ipsec/plugins", "/usr/lib/x86_64-linux-gnu/ipsec/plugins", "/usr/lib/aarch64-linux-gnu/ipsec/plugins", "/usr/libexec/ipsec/plugins"} {
		if _, err := os.Stat(dir + "/libstrongswan-kernel-libipsec.so"); err == nil {
			return true
		}
	}
	return false
}
