package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The gateway image: the Debian 12 root filesystem every lab gateway server
// boots, built once with debootstrap from Debian's packages and cached
// outside the repository. Each boot mounts it read-only under an overlay, so
// servers never change it and many can share it.

// CacheEnv overrides DefaultCacheDir.
const CacheEnv = "CROSSCLOUD_LAB_CACHE"

// DefaultCacheDir holds the image and the mirror's package cache. The lab
// runs as root and the cache can always be rebuilt, which is what
// /var/cache is for (FHS 3.0 §5.5); $XDG_CACHE_HOME would give every sudo
// user a separate 500 MB copy.
const DefaultCacheDir = "/var/cache/crosscloud/lab"

// CacheDir is where the lab keeps its image and package cache.
func CacheDir() string {
	if d := os.Getenv(CacheEnv); d != "" {
		return d
	}
	return DefaultCacheDir
}

// imageRecipe is everything the image is made of; its hash names the image,
// so changing any of it builds a new image next to the old one instead of
// booting a stale one.
var imageRecipe = struct {
	suite string
	// include are debootstrap's extra packages for a bootable minbase:
	// systemd as init, dbus for systemctl, iproute2, CA certificates, and
	// locales, without which cloud-init's locale module fails.
	include []string
	// packages are installed with apt in a chroot afterwards, because
	// debootstrap cannot resolve cloud-init's virtual dependencies
	// (python3-cffi-backend-api-*). libcharon-extra-plugins holds
	// kernel-libipsec (this kernel has no in-kernel ESP, docs/facts/strongswan-and-lab.md); the
	// gateway's own packages (strongSwan, nftables) are NOT in the image:
	// its first boot installs them, as on Hetzner.
	packages []string
	files    map[string]string
}{
	suite:    "bookworm",
	include:  []string{"systemd", "systemd-sysv", "dbus", "iproute2", "ca-certificates", "locales"},
	packages: []string{"cloud-init", "libcharon-extra-plugins"},
	files: map[string]string{
		// apt talks to the lab's mirror, as Hetzner's images talk to Hetzner's.
		"/etc/apt/sources.list.d/debian.sources": "# crosscloud lab: the lab's caching Debian mirror (Hetzner's images use mirror.hetzner.com)\n" +
			"Types: deb\nURIs: http://" + MirrorAddr + "/debian\nSuites: bookworm bookworm-updates\nComponents: main\n" +
			"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n" +
			"Types: deb\nURIs: http://" + MirrorAddr + "/debian-security\nSuites: bookworm-security\nComponents: main\n" +
			"Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
		"/etc/apt/sources.list": "",
		// Hetzner's images read the Hetzner metadata service; the lab hands
		// cloud-init the same user_data through NoCloud's seed directory. The
		// namespace's interfaces are already configured, so cloud-init must
		// not render a network configuration.
		"/etc/cloud/cloud.cfg.d/90-crosscloud-lab.cfg": "# crosscloud lab: user_data arrives through NoCloud's seed directory\n" +
			"datasource_list: [ NoCloud, None ]\nnetwork: {config: disabled}\n",
		// The one change to the server itself: Debian ships kernel-libipsec
		// with load = no, and strongswan.d/*.conf is read after
		// strongswan.d/charon/*.conf, so this file wins.
		LibipsecDropIn: "# crosscloud lab: this kernel has no in-kernel ESP, so ESP runs in user space\n" +
			"charon {\n  plugins {\n    kernel-libipsec {\n      load = yes\n    }\n  }\n}\n",
		"/etc/resolv.conf": "# crosscloud lab: no DNS; nothing in the lab resolves names\n",
		"/etc/machine-id":  "",
		"/etc/locale.gen":  "en_US.UTF-8 UTF-8\n",
		// The locale cloud-init sets on Debian, already generated: without
		// it, its locale module regenerates locales on first boot (seconds).
		"/etc/default/locale": "LANG=en_US.UTF-8\n",
		// dpkg skips fsync while unpacking (as Debian's own container images
		// do): the first boot installs faster and nothing observable changes
		// unless the host loses power mid-install.
		"/etc/dpkg/dpkg.cfg.d/crosscloud-lab-unsafe-io": "# crosscloud lab: no fsync per unpacked file\nforce-unsafe-io\n",
	},
}

// LibipsecDropIn is the strongswan.d file the image adds for kernel-libipsec.
const LibipsecDropIn = "/etc/strongswan.d/zz-crosscloud-lab-libipsec.conf"

// imageName is "debian-12-" and a hash of the recipe.
func imageName() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", imageRecipe.suite, strings.Join(imageRecipe.include, ","), strings.Join(imageRecipe.packages, ","), MirrorAddr)
	paths := make([]string, 0, len(imageRecipe.files))
	for p := range imageRecipe.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fmt.Fprintf(h, "%s\x00%s\x00", p, imageRecipe.files[p])
	}
	return "debian-12-" + hex.EncodeToString(h.Sum(nil))[:12]
}

// Image is a built gateway image.
type Image struct {
	Name string
	// Dir is the root filesystem; never write to it.
	Dir string
}

// imageMarker is written last, so a directory without it is not an image.
const imageMarker = ".crosscloud-image"

// EnsureImage returns the cached image, building it first if this machine
// has none (about three minutes, downloading from Debian). Concurrent
// callers, in this process or others, wait on a lock file while one builds.
// progress, if set, gets a line per step.
func EnsureImage(ctx context.Context, cacheDir string, progress func(string)) (Image, error) {
	if progress == nil {
		progress = func(string) {}
	}
	name := imageName()
	dir := filepath.Join(cacheDir, "images")
	img := Image{Name: name, Dir: filepath.Join(dir, name)}
	if _, err := os.Stat(filepath.Join(img.Dir, imageMarker)); err == nil {
		return img, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return img, fmt.Errorf("creating the lab's image cache: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(dir, ".lock"), func() {
		progress("another process is building the gateway image; waiting for it")
	})
	if err != nil {
		return img, err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(img.Dir, imageMarker)); err == nil {
		return img, nil
	}
	start := time.Now()
	progress(fmt.Sprintf("building the gateway image %s in %s (once per machine, about 3 minutes)", name, img.Dir))
	tmp := img.Dir + ".building"
	logPath := img.Dir + ".build.log"
	if err := removeTree(tmp); err != nil {
		return img, err
	}
	if err := buildImage(ctx, tmp, logPath, progress); err != nil {
		_ = removeTree(tmp)
		return img, fmt.Errorf("building the lab's gateway image (log: %s): %w", logPath, err)
	}
	if err := os.Rename(tmp, img.Dir); err != nil {
		return img, err
	}
	progress(fmt.Sprintf("gateway image %s built in %s", name, time.Since(start).Round(time.Second)))
	pruneImages(dir, name, progress)
	return img, nil
}

// pruneImages removes images of earlier recipes (500 MB each) that no
// running machine uses as its overlay's lower layer. It runs under the lock.
func pruneImages(dir, keep string, progress func(string)) {
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	old, _ := filepath.Glob(filepath.Join(dir, "debian-12-*"))
	for _, d := range old {
		base := filepath.Base(d)
		if base == keep || strings.Contains(base, ".") || strings.Contains(string(mounts), d) {
			continue
		}
		if err := removeTree(d); err == nil {
			_ = os.Remove(d + ".build.log")
			progress("removed the outdated gateway image " + base)
		}
	}
}

// buildImage runs the recipe into root, logging commands to logPath.
func buildImage(ctx context.Context, root, logPath string, progress func(string)) error {
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	upstream := os.Getenv("CROSSCLOUD_LAB_DEBIAN_MIRROR")
	if upstream == "" {
		upstream = DefaultUpstream
	}
	step := func(what string, name string, args ...string) error {
		progress(what)
		fmt.Fprintf(logf, "\n$ %s %s\n", name, strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
		// On cancel, stop the whole step (debootstrap runs dpkg, chroot, ...),
		// not just its first process.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = 10 * time.Second
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %s %s: %w: %s", what, name, strings.Join(args, " "), err, tailFile(logPath, 600))
		}
		return nil
	}
	if _, err := exec.LookPath("debootstrap"); err != nil {
		return errors.New("debootstrap is not installed (apt-get install debootstrap)")
	}
	r := imageRecipe
	if err := step("debootstrap: Debian 12 minbase from "+upstream, "debootstrap", "--variant=minbase",
		"--include="+strings.Join(r.include, ","), r.suite, root, upstream+"/debian"); err != nil {
		return err
	}
	if err := step("apt-get update in the image", "chroot", root, "apt-get", "update", "-qq"); err != nil {
		return err
	}
	if err := step("installing "+strings.Join(r.packages, ", ")+" in the image", "chroot", append([]string{root, "apt-get", "install", "-y", "-qq", "--no-install-recommends"}, r.packages...)...); err != nil {
		return err
	}
	for p, content := range r.files {
		dst := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		_ = os.Remove(dst) // resolv.conf may be a symlink
		if err := os.WriteFile(dst, []byte(content), 0o644); err != nil {
			return err
		}
	}
	if err := step("generating locales", "chroot", root, "locale-gen"); err != nil {
		return err
	}
	// A fresh server has no package lists: its first apt-get update fills them.
	if err := step("cleaning apt's caches", "chroot", root, "apt-get", "clean"); err != nil {
		return err
	}
	lists, _ := filepath.Glob(filepath.Join(root, "var/lib/apt/lists/*_*"))
	for _, l := range lists {
		_ = os.Remove(l)
	}
	return os.WriteFile(filepath.Join(root, imageMarker), []byte(imageName()+"\n"), 0o644)
}

// lockFile takes an exclusive flock on path, polling so ctx can cancel the
// wait; waiting is called once if someone else holds it.
func lockFile(ctx context.Context, path string, waiting func()) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if !told {
			waiting()
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// removeTree deletes dir after detaching anything mounted below it (an
// interrupted debootstrap leaves /proc and /sys mounted in its target, and
// removing through those would be a disaster).
func removeTree(dir string) error {
	if err := unmountUnder(dir); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// unmountUnder lazily unmounts every mount point at or below dir, deepest
// first, and fails if one stays.
func unmountUnder(dir string) error {
	points, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for i := len(points) - 1; i >= 0; i-- {
		if err := unix.Unmount(points[i], unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("unmounting %s: %w", points[i], err)
		}
	}
	if left, _ := mountsUnder(dir); len(left) > 0 {
		return fmt.Errorf("%v are still mounted; not removing %s", left, dir)
	}
	return nil
}

// mountsUnder lists mount points at or below dir, in mount order.
func mountsUnder(dir string) ([]string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	dir = filepath.Clean(dir)
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	return out, nil
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// tailFile returns the last n bytes of a file, for error messages.
func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

// ImageCached says whether cacheDir already holds the current image, so
// the machine needs no debootstrap.
func ImageCached(cacheDir string) bool {
	_, err := os.Stat(filepath.Join(cacheDir, "images", imageName(), imageMarker))
	return err == nil
}
