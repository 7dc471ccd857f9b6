package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
)

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

// launch starts crosscloud-sim through the harness, the launcher the bench
// and chaos use, with its env file and log in the scratch directory. A lab
// emulator is given a minute to power off its machines when stopped.
func (d *demo) launch(ctx context.Context, scale float64, lab bool) (*harness.Sim, error) {
	e, err := harness.StartSim(ctx, filepath.Join(d.bin, harness.SimBinary),
		harness.SimOptions{TimeScale: scale, Lab: lab, Dir: d.work, StopGrace: time.Minute})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(d.out, "crosscloud-sim %s (log: %s)\n", strings.Join(e.Args, " "), e.LogFile)
	fmt.Fprintf(d.out, "listening on %s; provider settings in %s\n", e.URL, e.EnvFile)
	return e, nil
}

// stopEmulator stops the emulator once and checks that its lab is gone.
func (d *demo) stopEmulator() error {
	if d.sim == nil {
		return nil
	}
	e := d.sim
	d.sim = nil
	if err := e.Stop(); err != nil {
		return err
	}
	if e.Lab {
		out, _ := exec.Command("ip", "netns", "list").Output()
		if strings.Contains(string(out), "ccsim-") {
			return fmt.Errorf("lab namespaces remain after the emulator stopped:\n%s", out)
		}
		fmt.Fprintln(d.out, "emulator stopped; no lab namespace (ccsim-*) is left")
	}
	return nil
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
	for k, v := range d.sim.Env {
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
// way a user's own tooling would before running Terraform (harness.SeedAzure,
// as the bench seeds its VNets).
func (d *demo) createVNet(ctx context.Context) (string, error) {
	id, err := harness.SeedAzure(ctx, d.sim, harness.AzureSeed{ResourceGroup: resourceGroup, Location: azureLocation,
		VNet: vnetName, AddressSpace: []string{vnetSpace}, Subnets: map[string]string{"vms": vmSubnet}})
	if err != nil {
		return "", err
	}
	vnet, err := arm.ParseResourceID(id)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(d.out, "resource group: %s\nVNet:           %s\n", vnet.Parent, id)
	return id, nil
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
