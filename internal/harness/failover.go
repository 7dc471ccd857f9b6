package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// FailoverInterval is how often the failover probe sends; the failover time
// is known to this resolution.
const FailoverInterval = 100 * time.Millisecond

// FailoverGoal is issue 15's goal for a failover: traffic flows again
// within 15 s of the active gateway's death.
const FailoverGoal = 15 * time.Second

// Failover is one measured failover of an HAPair.
type Failover struct {
	// Gap is the longest run without a TCP exchange from the Hetzner probe
	// to the Azure probe getting through, from the kill until traffic
	// flowed via the standby.
	Gap time.Duration
	// GapStart is when that run began, after the kill.
	GapStart time.Duration
	// Killed and Standby name the active gateway that died and the one
	// that took over.
	Killed, Standby string
	// Delivered and Lost count the exchanges of the whole measurement.
	Delivered, Lost int
	// Journal is the standby's keepalived and failover-script journal.
	Journal string
}

// MeasureFailover waits until the pair has elected a gateway that holds
// the Floating IP and the route and carries traffic, then kills that
// gateway's machine as a host failure takes it (SIGKILL to the container's
// init: keepalived sends no farewell advert, the standby must notice the
// silence) and measures how long traffic from the Hetzner probe to the
// Azure probe stops until the standby holds the address and carries it.
// TCP exchanges cross the tunnel every FailoverInterval all along, as in
// the key-rotation bench. An error means there is no valid measurement:
// the pair never carried traffic, or the standby never took over.
func (p *HAPair) MeasureFailover(ctx context.Context, port int) (*Failover, error) {
	hs, err := p.sim.LabHosts(ctx)
	if err != nil {
		return nil, err
	}
	hz, okH := FindProbe(hs, "hcloud", haGatewaySubnet)
	az, okA := FindProbe(hs, "azure", haAzureSubnet)
	if !okH || !okA {
		return nil, fmt.Errorf("the lab has no probe host in %s or %s: %+v", haGatewaySubnet, haAzureSubnet, hs)
	}
	traffic, err := StartTraffic(ctx, hz.Name, az.Name, az.IP, port, FailoverInterval, time.Second)
	if err != nil {
		return nil, fmt.Errorf("starting the traffic probe: %w", err)
	}
	defer traffic.Stop()
	var active, standby HAGateway
	err = poll(ctx, 3*time.Minute, "an elected gateway holding the Floating IP and the route, traffic through the tunnel", func() (bool, error) {
		holder, via := p.holder(ctx), p.routeVia(ctx)
		ok, _ := traffic.Delivered()
		for i, g := range p.Gateways {
			if g.ID == holder && via == g.IP.String() && len(ok) > 0 && time.Since(ok[len(ok)-1]) < time.Second {
				active, standby = g, p.Gateways[1-i]
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		ok, lost := traffic.Delivered()
		return nil, fmt.Errorf("%w (Floating IP on server %d, route %s via %q, %d exchanges got through, %d did not)",
			err, p.holder(ctx), p.Destination, p.routeVia(ctx), len(ok), lost)
	}
	time.Sleep(2 * time.Second)
	killedAt := time.Now()
	if err := p.kill(ctx, active.Name); err != nil {
		return nil, err
	}
	err = poll(ctx, 2*time.Minute, "traffic through the tunnel via "+standby.Name, func() (bool, error) {
		ok, _ := traffic.Delivered()
		return p.holder(ctx) == standby.ID && len(ok) > 0 && ok[len(ok)-1].After(killedAt), nil
	})
	f := &Failover{Killed: active.Name, Standby: standby.Name}
	f.Journal = p.journal(ctx, standby.Name)
	if err != nil {
		return f, err
	}
	time.Sleep(3 * time.Second)
	traffic.Stop()
	ok, lost := traffic.Delivered()
	gap, at := LongestGap(ok, killedAt)
	f.Gap, f.GapStart, f.Delivered, f.Lost = gap, at.Sub(killedAt), len(ok), lost
	if via := p.routeVia(ctx); via != standby.IP.String() {
		return f, fmt.Errorf("traffic flows via %s but the route %s points at %q, want %s", standby.Name, p.Destination, via, standby.IP)
	}
	return f, nil
}

// holder is the ID of the server the Floating IP is assigned to (0: none).
func (p *HAPair) holder(ctx context.Context) int64 {
	f, _, err := p.hc.FloatingIP.GetByID(ctx, p.fipID)
	if err != nil || f == nil || f.Server == nil {
		return 0
	}
	return f.Server.ID
}

// routeVia is the gateway of the network's route to Azure ("" if none).
func (p *HAPair) routeVia(ctx context.Context) string {
	n, _, err := p.hc.Network.GetByID(ctx, p.networkID)
	if err != nil || n == nil {
		return ""
	}
	for _, r := range n.Routes {
		if r.Destination.String() == p.Destination.String() {
			return r.Gateway.String()
		}
	}
	return ""
}

// kill sends SIGKILL to the init of server name's machine: every process of
// the container dies at once, as in a host failure.
func (p *HAPair) kill(ctx context.Context, name string) error {
	pid, err := p.machineInit(ctx, name)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing %s's machine (pid %d): %w", name, pid, err)
	}
	return nil
}

// machineInit finds the container init of server name's machine: the
// process in the server's network namespace that is PID 1 of its own PID
// namespace (the last NSpid entry in /proc/PID/status).
func (p *HAPair) machineInit(ctx context.Context, name string) (int, error) {
	h, ok, err := p.gatewayHost(ctx, name)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("the lab has no namespace for %s", name)
	}
	pids, err := netnsPIDs(ctx, h.Name)
	if err != nil {
		return 0, err
	}
	for _, pid := range pids {
		if nsPID(pid) == 1 {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no running machine in %s (processes %v)", h.Name, pids)
}

// netnsPIDs lists the processes in the lab's network namespace ns.
func netnsPIDs(ctx context.Context, ns string) ([]int, error) {
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", ns).Output()
	if err != nil {
		return nil, fmt.Errorf("listing the processes of %s: %w", ns, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// nsPID is pid's number in its innermost PID namespace (0 if unknown).
func nsPID(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "NSpid:"); ok {
			ids := strings.Fields(rest)
			if len(ids) < 2 {
				return 0 // the host's own PID namespace: not a container
			}
			n, _ := strconv.Atoi(ids[len(ids)-1])
			return n
		}
	}
	return 0
}

// journal is the tail of the keepalived and failover-script journal of
// server name's machine, for the report.
func (p *HAPair) journal(ctx context.Context, name string) string {
	pid, err := p.machineInit(ctx, name)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "nsenter", "-t", strconv.Itoa(pid), "-a", "--",
		"journalctl", "--no-pager", "-n", "60", "-u", "keepalived", "-t", "crosscloud-failover").CombinedOutput()
	if err != nil {
		return string(out) + " (" + err.Error() + ")"
	}
	return string(out)
}
