package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	azruntime "github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sdkopts"
)

// emulator is the crosscloud-sim child process.
type emulator struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	log  string
	env  map[string]string
	lab  bool
}

// enableLab is the one command that gives the demo its lab: as root, `make
// demo` installs the lab's packages itself (tools/lab-setup.sh); PATH is
// passed on because sudo resets it and go often lives outside the default.
const enableLab = `to run the demo with the lab: sudo env "PATH=$PATH" make demo`

// startEmulator starts crosscloud-sim with -lab, or, when the lab cannot run
// here, says why and starts it API-only.
func (d *demo) startEmulator(ctx context.Context, scale float64, lab bool) error {
	if lab {
		e, err := d.launch(ctx, scale, true)
		if err == nil {
			d.sim = e
			fmt.Fprintf(d.out, "lab mode: Hetzner servers and the Azure VPN gateway become network namespaces running strongSwan\n")
			return nil
		}
		fmt.Fprintf(d.out, "lab mode is not available here: %v\nfalling back to API-only mode: both APIs are emulated, but no tunnel is built\n%s\n", err, enableLab)
	}
	e, err := d.launch(ctx, scale, false)
	if err != nil {
		return err
	}
	d.sim = e
	fmt.Fprintln(d.out, "API-only mode: Terraform sees both clouds' APIs; connectionStatus follows the API rule, not a real tunnel")
	return nil
}

// launch runs crosscloud-sim and waits for its env file, which it writes
// once it listens; an early exit is an error carrying its last log line.
func (d *demo) launch(ctx context.Context, scale float64, lab bool) (*emulator, error) {
	envFile := filepath.Join(d.work, "sim.env")
	_ = os.Remove(envFile)
	e := &emulator{log: filepath.Join(d.work, "sim.log"), done: make(chan struct{}), lab: lab}
	args := []string{"-addr", "127.0.0.1:0", "-env-file", envFile, "-time-scale", strconv.FormatFloat(scale, 'g', -1, 64)}
	if lab {
		args = append(args, "-lab")
	}
	logf, err := os.Create(e.log)
	if err != nil {
		return nil, err
	}
	e.cmd = exec.Command(filepath.Join(d.bin, "crosscloud-sim"), args...)
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	if err := e.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting crosscloud-sim: %w", err)
	}
	go func() {
		e.err = e.cmd.Wait()
		logf.Close()
		close(e.done)
	}()
	deadline := time.After(60 * time.Second)
	for {
		if env, err := readEnvFile(envFile); err == nil {
			e.env = env
			fmt.Fprintf(d.out, "crosscloud-sim %s (log: %s)\n", strings.Join(args, " "), e.log)
			fmt.Fprintf(d.out, "listening on %s; provider settings in %s\n", env["CROSSCLOUD_SIM_URL"], envFile)
			return e, nil
		}
		select {
		case <-e.done:
			return nil, fmt.Errorf("crosscloud-sim exited (%v): %s", e.err, e.logTail(1))
		case <-ctx.Done():
			e.stop()
			return nil, ctx.Err()
		case <-deadline:
			e.stop()
			return nil, fmt.Errorf("crosscloud-sim did not write %s within 60s: %s", envFile, e.logTail(5))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop ends the emulator with SIGTERM (it removes its lab) and waits.
func (e *emulator) stop() error {
	select {
	case <-e.done:
		return nil
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.done:
	case <-time.After(60 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.done
		return errors.New("crosscloud-sim did not stop within 60s of SIGTERM; killed it (the next start sweeps its lab)")
	}
	if e.err != nil {
		return fmt.Errorf("crosscloud-sim exited with %v: %s", e.err, e.logTail(3))
	}
	return nil
}

// stopEmulator stops the emulator once and checks that its lab is gone.
func (d *demo) stopEmulator() error {
	if d.sim == nil {
		return nil
	}
	e := d.sim
	d.sim = nil
	if err := e.stop(); err != nil {
		return err
	}
	if e.lab {
		out, _ := exec.Command("ip", "netns", "list").Output()
		if strings.Contains(string(out), "ccsim-") {
			return fmt.Errorf("lab namespaces remain after the emulator stopped:\n%s", out)
		}
		fmt.Fprintln(d.out, "emulator stopped; no lab namespace (ccsim-*) is left")
	}
	return nil
}

// logTail returns the last n lines of the emulator's log.
func (e *emulator) logTail(n int) string {
	b, _ := os.ReadFile(e.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// readEnvFile parses the emulator's `export KEY='value'` lines.
func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		env[k] = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'"), `'\''`, "'")
	}
	if env["CROSSCLOUD_SIM_URL"] == "" {
		return nil, fmt.Errorf("%s is incomplete", path)
	}
	return env, nil
}

// mirrorVersion is the version the local build is published under in the
// demo's filesystem mirror: a plain release number, because Terraform only
// selects a pre-release (0.0.0-dev) when the configuration pins it exactly,
// and treats 0.0.0 as "no version".
const mirrorVersion = "0.0.1"

// prepareTerraform copies the configuration into the scratch directory and
// installs the local build the way a user would without a registry: a
// filesystem mirror holding the binary, and a CLI configuration that sends
// crosscloud-tf/crosscloud there (and nothing anywhere else), so that
// `init` works as usual and records the build's checksum. Both live under
// the CLI's own registry host (registry.opentofu.org for tofu): a mirror
// entry under the other host would not match, and init would go looking
// for the provider on the network.
func (d *demo) prepareTerraform(example string) error {
	dir := filepath.Join(d.work, "tf")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, _ := filepath.Glob(filepath.Join(example, "*.tf"))
	if len(files) == 0 {
		return fmt.Errorf("no *.tf files in %s (-example)", example)
	}
	for _, f := range files {
		if err := copyFile(f, filepath.Join(dir, filepath.Base(f)), 0o644); err != nil {
			return err
		}
	}
	mirror := filepath.Join(d.work, "mirror")
	pkg := filepath.Join(mirror, d.cli.ProviderHost, filepath.FromSlash(harness.ProviderSource), mirrorVersion, runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		return err
	}
	if err := copyFile(filepath.Join(d.bin, "terraform-provider-crosscloud"), filepath.Join(pkg, "terraform-provider-crosscloud_v"+mirrorVersion), 0o755); err != nil {
		return err
	}
	rc := filepath.Join(d.work, "terraformrc")
	conf := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path    = %q\n    include = [%q]\n  }\n}\n", mirror, d.cli.ProviderAddress())
	if err := os.WriteFile(rc, []byte(conf), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%s -> %s\nTF_CLI_CONFIG_FILE=%s:\n%s", filepath.Join(d.bin, "terraform-provider-crosscloud"), pkg, rc, conf)
	d.tfEnv = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1")
	for k, v := range d.sim.env {
		d.tfEnv = append(d.tfEnv, k+"="+v)
	}
	return nil
}

func copyFile(from, to string, mode os.FileMode) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, mode)
}

// terraform runs the terraform (or tofu) CLI in the configuration copy,
// streaming its output; Ctrl-C reaches it as SIGINT, so it stops gracefully.
func (d *demo) terraform(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, d.cli.Path, args...)
	cmd.Dir, cmd.Env = filepath.Join(d.work, "tf"), d.tfEnv
	cmd.Stdout, cmd.Stderr = d.out, d.out
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", d.cli.Command(), args[0], errors.Join(err, ctx.Err()))
	}
	return nil
}

// createVNet makes the resource group and the VNet with its VM subnet, the
// way a user's own tooling would before running Terraform.
func (d *demo) createVNet(ctx context.Context) (string, error) {
	env := d.sim.env
	cred := sdkopts.NewStaticToken(env["ARM_ACCESS_TOKEN"])
	opts := sdkopts.ARM{Endpoint: env["ARM_RESOURCE_MANAGER_ENDPOINT"], DisableRPRegistration: true}.Options()
	sub := env["ARM_SUBSCRIPTION_ID"]
	groups, err := armresources.NewResourceGroupsClient(sub, cred, opts)
	if err != nil {
		return "", err
	}
	rg, err := groups.CreateOrUpdate(ctx, resourceGroup, armresources.ResourceGroup{Location: new(azureLocation)}, nil)
	if err != nil {
		return "", fmt.Errorf("creating resource group %s: %w", resourceGroup, err)
	}
	vnets, err := armnetwork.NewVirtualNetworksClient(sub, cred, opts)
	if err != nil {
		return "", err
	}
	poller, err := vnets.BeginCreateOrUpdate(ctx, resourceGroup, vnetName, armnetwork.VirtualNetwork{
		Location: new(azureLocation),
		Properties: &armnetwork.VirtualNetworkPropertiesFormat{
			AddressSpace: &armnetwork.AddressSpace{AddressPrefixes: []*string{new(vnetSpace)}},
			Subnets:      []*armnetwork.Subnet{{Name: new("vms"), Properties: &armnetwork.SubnetPropertiesFormat{AddressPrefix: new(vmSubnet)}}},
		}}, nil)
	if err != nil {
		return "", fmt.Errorf("creating VNet %s: %w", vnetName, err)
	}
	vnet, err := poller.PollUntilDone(ctx, &azruntime.PollUntilDoneOptions{Frequency: time.Second})
	if err != nil {
		return "", fmt.Errorf("waiting for VNet %s: %w", vnetName, err)
	}
	fmt.Fprintf(d.out, "resource group: %s\nVNet:           %s\n", *rg.ID, *vnet.ID)
	return *vnet.ID, nil
}

// host is one entry of GET /_sim/lab/hosts; the boot fields are set for
// gateway servers only.
type host struct {
	Name        string   `json:"name"`
	Cloud       string   `json:"cloud"`
	Role        string   `json:"role"`
	IP          string   `json:"ip"`
	State       string   `json:"state"`
	CloudInit   *string  `json:"cloud_init"`
	FailedUnits []string `json:"failed_units"`
	Boots       int      `json:"boots"`
}

// booted says whether a gateway server's cloud-init has finished.
func (h host) booted() bool {
	return h.CloudInit != nil && *h.CloudInit != "" && *h.CloudInit != "running"
}

func (e *emulator) hosts(ctx context.Context) ([]host, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.env["CROSSCLOUD_SIM_URL"]+"/_sim/lab/hosts", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var hs []host
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /_sim/lab/hosts: %s", resp.Status)
	}
	return hs, json.NewDecoder(resp.Body).Decode(&hs)
}

// findProbe returns the probe host of one cloud inside subnet.
func findProbe(hs []host, cloud, subnet string) host {
	p := netip.MustParsePrefix(subnet)
	for _, h := range hs {
		if ip, err := netip.ParseAddr(h.IP); err == nil && h.Role == "probe" && h.Cloud == cloud && p.Contains(ip) {
			return h
		}
	}
	return host{}
}

// inNS runs a command inside a lab namespace, streaming its output.
func (d *demo) inNS(ctx context.Context, ns string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	cmd.Stdout, cmd.Stderr = d.out, d.out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s in %s: %w", name, ns, err)
	}
	return nil
}
