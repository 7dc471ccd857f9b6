// Command crosscloud-sim runs a local emulator of the Hetzner Cloud API and of
// Azure Resource Manager on one loopback address, so the crosscloud provider
// can be tried and tested without cloud accounts:
//
//	crosscloud-sim -addr 127.0.0.1:0 -env-file sim.env &
//	. ./sim.env && terraform apply
//
// It stops gracefully on SIGINT or SIGTERM, saving -state-file if set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/cmd/internal/cli"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/azuresim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	simlab "github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/labsync"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// newDataPlane builds the -lab data plane: network namespaces named
// prefix* (-lab-prefix), the gateway servers booted as machines, strongSwan
// on both ends, logging to the emulator's log.
var newDataPlane = func(logger *slog.Logger, prefix string) sim.DataPlaneFunc {
	return labsync.New(labsync.Options{Logger: logger, Prefix: prefix})
}

func main() { cli.Main(run) }

// run is main without the process globals, so exit codes are testable:
// 0 after a clean shutdown, 1 when the emulator fails, 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crosscloud-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr       = fs.String("addr", "127.0.0.1:8080", "loopback `host:port` to listen on (port 0 picks a free one)")
		envFile    = fs.String("env-file", "", "once listening, write `export` lines with every provider setting to `FILE` (mode 0600)")
		timeScale  = fs.Float64("time-scale", 1.0, "multiply every real cloud duration by `F` (0.01: a 45-minute gateway takes 27s)")
		faults     = fs.String("faults", "", "inject faults, e.g. `error_rate=0.1,rate_limit_rate=0.05,drop_rate=0.01,lro_failure_rate=0.02,seed=7`")
		stateFile  = fs.String("state-file", "", "load emulated resources from `FILE` at start if it exists; save them after changes and at exit")
		gatewayDur = fs.Duration("gateway-duration", azuresim.DefaultGatewayCreate, "real-world time an Azure VPN gateway takes to provision, before -time-scale")
		lab        = fs.Bool("lab", false, "run the data plane: Hetzner servers and the Azure VPN gateway become network namespaces,\n"+
			"the gateway server boots Debian 12 under systemd-nspawn with real cloud-init and strongSwan,\n"+
			"and connectionStatus comes from IKE. Needs root, iproute2, nftables, systemd-container,\n"+
			"debootstrap (to build the gateway image once, cached in $"+simlab.CacheEnv+" or "+simlab.DefaultCacheDir+")\n"+
			"and Debian's charon-systemd, strongswan-swanctl, libcharon-extra-plugins. Everything it makes is\n"+
			"named -lab-prefix* and removed at exit, on SIGINT/SIGTERM and at the next start after a crash")
		labPrefix = fs.String("lab-prefix", labsync.DefaultPrefix, "name every lab namespace and directory `PREFIX`*: 2-11 lower-case letters or digits, then \"-\";\n"+
			"one emulator owns a prefix at a time, so a second -lab run needs its own")
		labImage = fs.Bool("lab-image", false, "build the lab's gateway image if this machine has none yet (once, a few minutes;\n"+
			"-lab does it on first use), print where it is and exit")
		realTimeFailover = fs.Bool("real-time-failover", false, "Hetzner Floating IP assign/unassign and network add_route/delete_route take their\n"+
			"real-world durations (not -time-scale'd) and change state only when they finish, as a\n"+
			"gateway failover meets them; everything else stays scaled")
		verbose = fs.Bool("v", false, "log one line per request")
	)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: crosscloud-sim [flags]\n\n"+
			"Serves the Hetzner Cloud API under /hcloud/v1/, Azure Resource Manager under /azure/\n"+
			"and the emulator's own state under /_sim/ (state, stats).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "crosscloud-sim: unexpected argument %q; all settings are flags (see -h)\n", fs.Arg(0))
		return 2
	}
	if *gatewayDur <= 0 {
		fmt.Fprintf(stderr, "crosscloud-sim: -gateway-duration %v: must be positive (real Azure: 45m)\n", *gatewayDur)
		return 2
	}

	if err := simlab.ValidatePrefix(*labPrefix); *lab && err != nil {
		fmt.Fprintf(stderr, "crosscloud-sim: -lab-prefix: %v\n", err)
		return 2
	}

	if *labImage {
		return prepareLabImage(ctx, stdout, stderr)
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	var hcOpts []hcloudsim.Option
	if *realTimeFailover {
		hcOpts = append(hcOpts, hcloudsim.WithRealTimeFailover())
	}
	newHCloud := func(env *simenv.Env) sim.Cloud { return hcloudsim.New(env, hcOpts...) }
	newAzure := func(env *simenv.Env) sim.Cloud {
		return azuresim.New(env, azuresim.WithGatewayCreateDuration(*gatewayDur))
	}
	s, err := sim.New(sim.Options{
		Addr:           *addr,
		TimeScale:      *timeScale,
		Faults:         *faults,
		EnvFile:        *envFile,
		StateFile:      *stateFile,
		SubscriptionID: azuresim.SubscriptionID,
		TenantID:       azuresim.TenantID,
		Lab:            *lab,
		NewDataPlane:   newDataPlane(logger, *labPrefix),
		Logger:         logger,
	}, newHCloud, newAzure)
	if err != nil {
		fmt.Fprintf(stderr, "crosscloud-sim: %v\n", err)
		return 2
	}
	startCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = s.Start(startCtx)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "crosscloud-sim: %v\n", err)
		return 1
	}
	// Scripts read this line (or the env file) to learn a -addr :0 port.
	fmt.Fprintf(stdout, "crosscloud-sim listening on %s\n", s.URL())
	if *envFile != "" {
		fmt.Fprintf(stdout, "provider settings: . %s\n", *envFile)
	}

	code := 0
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case <-s.Done():
		code = 1
	}
	if err := errors.Join(s.Err(), s.Close()); err != nil {
		fmt.Fprintf(stderr, "crosscloud-sim: %v\n", err)
		code = 1
	}
	return code
}

// prepareLabImage is -lab-image: `make test` runs it in the background on
// a fresh machine, so the image is built while the other tests run instead
// of after them.
func prepareLabImage(ctx context.Context, stdout, stderr io.Writer) int {
	img, err := simlab.EnsureImage(ctx, simlab.CacheDir(), func(s string) { fmt.Fprintln(stdout, "crosscloud-sim: "+s) })
	if err != nil {
		fmt.Fprintf(stderr, "crosscloud-sim: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "crosscloud-sim: gateway image %s\n", img.Dir)
	return 0
}
