// Command crosscloud-demo is `make demo`: it shows, with no cloud account,
// what one `terraform apply` of examples/quickstart does. It starts
// crosscloud-sim (with the -lab data plane when the machine can run it),
// installs the locally built provider through a filesystem mirror (no
// registry), creates the Azure resource group and VNet
// through the ARM API as a user's other tooling would, applies the
// quickstart, prints its outputs, traces and pings through the real
// strongSwan tunnel from a Hetzner probe host to an Azure one and back,
// then destroys everything and stops the emulator. It drives Terraform or
// OpenTofu (-tf, or `make demo TF=tofu`), installing the provider under the
// registry host that CLI resolves it against.
//
//	make build && go run ./cmd/crosscloud-demo -bin bin [-tf /path/to/tofu]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/cmd/internal/cli"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// The original topology's names and addresses (docs/facts/origin.md).
const (
	resourceGroup = "rg-net"
	vnetName      = "vnet-weu"
	azureLocation = "westeurope"
	vnetSpace     = "10.1.0.0/16"
	vmSubnet      = "10.1.1.0/24"
	hetznerSubnet = "10.0.1.0/24"
)

func main() {
	cli.Main(func(ctx context.Context, args []string, stdout, _ io.Writer) int { return run(ctx, args, stdout) })
}

// demo carries what the steps share.
type demo struct {
	out     io.Writer
	start   time.Time
	bin     string // directory with both binaries
	work    string // scratch directory: configuration copy, state, logs
	sim     *harness.Sim
	cli     harness.CLI // terraform or tofu
	tfEnv   []string
	applied bool
}

func run(ctx context.Context, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("crosscloud-demo", flag.ContinueOnError)
	bin := fs.String("bin", "bin", "`DIR` holding terraform-provider-crosscloud and crosscloud-sim (make build)")
	example := fs.String("example", "examples/quickstart", "Terraform configuration `DIR` to apply")
	scale := fs.Float64("time-scale", 0.002, "emulator time scale (0.002: a 45-minute Azure gateway takes 5.4 s)")
	noLab := fs.Bool("no-lab", false, "run the emulator API-only even where the lab could run")
	tf := fs.String("tf", harness.CLIPath(), "terraform or tofu `BINARY` to drive (default: $TERRAFORM, $TF_ACC_TERRAFORM_PATH, terraform or tofu on PATH)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d := &demo{out: out, start: time.Now()}
	var err error
	if d.cli, err = harness.DetectCLI(ctx, *tf); err != nil {
		return fail(out, err)
	}
	if d.bin, err = filepath.Abs(*bin); err != nil {
		return fail(out, err)
	}
	for _, b := range []string{"terraform-provider-crosscloud", "crosscloud-sim"} {
		if _, err := os.Stat(filepath.Join(d.bin, b)); err != nil {
			return fail(out, fmt.Errorf("%s not found in %s: run `make build` first (or pass -bin)", b, d.bin))
		}
	}
	if d.work, err = os.MkdirTemp("", "crosscloud-demo-"); err != nil {
		return fail(out, err)
	}
	defer os.RemoveAll(d.work)
	defer d.stopEmulator()

	if err := d.steps(ctx, *example, *scale, !*noLab); err != nil {
		if d.sim != nil {
			fmt.Fprintf(out, "\nemulator log (last lines):\n%s\n", d.sim.LogTail(40))
		}
		return fail(out, err)
	}
	d.header("done in %s", time.Since(d.start).Round(100*time.Millisecond))
	return 0
}

// steps is the demo, in the order the README describes it.
func (d *demo) steps(ctx context.Context, example string, scale float64, lab bool) error {
	d.header("starting crosscloud-sim (Hetzner Cloud API + Azure Resource Manager on loopback)")
	if err := d.startEmulator(ctx, scale, lab); err != nil {
		return err
	}

	d.header("installing the local provider build for %s %s: a filesystem mirror under %s, no registry", d.cli.Name(), d.cli.Version, d.cli.ProviderHost)
	if err := d.prepareTerraform(example); err != nil {
		return err
	}

	d.header("creating resource group %s and VNet %s (%s, subnet vms %s) through the ARM API", resourceGroup, vnetName, vnetSpace, vmSubnet)
	vnetID, err := d.createVNet(ctx)
	if err != nil {
		return err
	}
	d.tfEnv = append(d.tfEnv, "TF_VAR_azure_virtual_network_id="+vnetID)

	d.header("%s init", d.cli.Command())
	if err := d.terraform(ctx, "init", "-input=false", "-no-color"); err != nil {
		return err
	}
	d.header("%s apply (Hetzner side builds while the Azure gateway provisions)", d.cli.Command())
	applyStart := time.Now()
	d.applied = true
	if err := d.terraform(ctx, "apply", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "apply took %s\n", time.Since(applyStart).Round(100*time.Millisecond))
	d.header("%s output", d.cli.Command())
	if err := d.terraform(ctx, "output", "-no-color"); err != nil {
		return err
	}

	if d.sim.Lab {
		if err := d.showTraffic(ctx); err != nil {
			return err
		}
	} else if lab {
		d.header("no lab: the APIs were emulated but there is no tunnel to trace; %s", enableLab)
	} else {
		d.header("no lab (-no-lab): the APIs were emulated but there is no tunnel to trace")
	}

	d.header("%s destroy", d.cli.Command())
	if err := d.terraform(ctx, "destroy", "-auto-approve", "-input=false", "-no-color"); err != nil {
		return err
	}
	d.applied = false
	d.header("stopping the emulator (it removes every lab namespace)")
	return d.stopEmulator()
}

// showTraffic runs traceroute and ping between the probe hosts of the
// Hetzner gateway subnet and the Azure VM subnet, both ways.
func (d *demo) showTraffic(ctx context.Context) error {
	hosts, err := d.waitGatewayBoot(ctx)
	if err != nil {
		return err
	}
	d.header("the lab's network namespaces (GET /_sim/lab/hosts)")
	for _, h := range hosts {
		boot := ""
		if h.HostBoot != nil {
			boot = fmt.Sprintf("  [%s, cloud-init %s, failed units %v]", h.State, h.CloudInit, h.FailedUnits)
		}
		fmt.Fprintf(d.out, "  %-22s %-6s %-8s %-11s%s\n", h.Name, h.Cloud, h.Role, h.IP, boot)
	}
	hz, okH := harness.FindProbe(hosts, "hcloud", hetznerSubnet)
	az, okA := harness.FindProbe(hosts, "azure", vmSubnet)
	if !okH || !okA {
		return fmt.Errorf("the lab has no probe host in %s or %s; see the emulator log", hetznerSubnet, vmSubnet)
	}
	for _, p := range []struct{ from, to lab.Host }{{hz, az}, {az, hz}} {
		d.header("from the %s probe %s: traceroute -n %s (%s)", cloudName(p.from.Cloud), p.from.IP, p.to.IP, cloudName(p.to.Cloud))
		if err := d.inNS(ctx, p.from.Name, "traceroute", "-n", "-q", "1", "-N", "1", "-w", "2", "-m", "8", p.to.IP); err != nil {
			return err
		}
		if p.from.Cloud == "hcloud" {
			fmt.Fprintln(d.out, "(Hetzner's network router 10.0.0.1, the strongSwan gateway 10.0.1.1, the Azure host; Azure's gateway forwards without a hop)")
		} else {
			fmt.Fprintln(d.out, "(the strongSwan gateway 10.0.1.1, then Hetzner's network router 10.0.0.1, which answers from outside the\n"+
				" tunnel's traffic selectors (10.0.1.0/24 <-> 10.1.0.0/16), so its reply is not carried back: *; then the Hetzner host)")
		}
		d.header("from the %s probe %s: ping -c 3 %s", cloudName(p.from.Cloud), p.from.IP, p.to.IP)
		if err := d.inNS(ctx, p.from.Name, "ping", "-c", "3", "-i", "0.3", "-W", "2", p.to.IP); err != nil {
			return err
		}
		d.header("from the %s probe %s: TCP to %s, the SYN captured where it arrives", cloudName(p.from.Cloud), p.from.IP, p.to.IP)
		res, err := lab.TCPProbe(ctx, p.from.Name, p.to.Name, p.to.IP, 5001)
		if err != nil {
			return err
		}
		fmt.Fprintf(d.out, "SYN arrived with MSS %d (the gateway's nftables clamp, Azure's required 1350); %d KiB echoed back intact: %v\n", res.SYNMSS, res.Bytes>>10, res.Echoed)
	}
	return nil
}

// waitGatewayBoot waits for the gateway servers' first boot to finish. The
// apply returns once Azure reports Connected, which can come a few seconds
// before cloud-init's runcmd has turned forwarding on (the strongSwan
// package starts the daemon as it installs): the real server's order too.
func (d *demo) waitGatewayBoot(ctx context.Context) ([]lab.Host, error) {
	start := time.Now()
	for {
		hosts, err := d.sim.LabHosts(ctx)
		if err != nil {
			return nil, err
		}
		waiting := false
		for _, h := range hosts {
			if h.Role == "gateway" && h.Cloud == "hcloud" && !h.Booted() {
				waiting = true
			}
		}
		if !waiting {
			for _, h := range hosts {
				if h.Role == "gateway" && h.Cloud == "hcloud" {
					d.header("gateway server %s: boot %d, cloud-init %s, failed units %v (real systemd and cloud-init ran its user_data)", h.Name, h.Boots, h.CloudInit, h.FailedUnits)
				}
			}
			return hosts, nil
		}
		if time.Since(start) > 5*time.Minute {
			return nil, errors.New("the gateway server's cloud-init has not finished after 5 minutes; see the emulator log and GET /_sim/lab/hosts")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func cloudName(c string) string {
	if c == "azure" {
		return "Azure"
	}
	return "Hetzner"
}

// header prints one step line with the time since the start.
func (d *demo) header(format string, args ...any) {
	fmt.Fprintf(d.out, "\n[%5.1fs] ==> %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func fail(out io.Writer, err error) int {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(out, "\ncrosscloud-demo: interrupted; the emulator has been stopped and its lab removed")
		return 130
	}
	fmt.Fprintf(out, "\ncrosscloud-demo: %s\n", strings.TrimSpace(err.Error()))
	return 1
}
