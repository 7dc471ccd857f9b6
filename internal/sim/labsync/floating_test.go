package labsync

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// TestLabFollowsFloatingIPActions: when the Hetzner API assigns a Floating
// IP, or moves it to another server, the lab routes it to that server's
// namespace; a failover agent that calls the API therefore moves real
// traffic.
func TestLabFollowsFloatingIPActions(t *testing.T) {
	ctx, ls := startLabTest(t, "f", 5*time.Minute)
	// The lab builds once a VPN gateway and a Hetzner network exist.
	ls.createGateway(t, ctx, false)

	hc := ls.hcloud()
	createHetznerNetwork(t, ctx, hc)
	server := func(name, location string) *hcloud.Server {
		res, _, err := hc.Server.Create(ctx, hcloud.ServerCreateOpts{Name: name, ServerType: &hcloud.ServerType{Name: "cpx22"},
			Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: location}})
		must(t, err, "server "+name)
		must(t, hc.Action.WaitFor(ctx, append(res.NextActions, res.Action)...), "server "+name)
		return res.Server
	}
	a, b := server("gw-a", "nbg1"), server("gw-b", "fsn1")

	fres, _, err := hc.FloatingIP.Create(ctx, hcloud.FloatingIPCreateOpts{Type: hcloud.FloatingIPTypeIPv4, Server: a, Name: new("vip")})
	must(t, err, "Floating IP")
	must(t, hc.Action.WaitFor(ctx, fres.Action), "Floating IP assign")
	fip := netip.MustParseAddr(fres.FloatingIP.IP.String())
	holder := func() string {
		if l := ls.plane.Lab(); l != nil {
			return l.FloatingIPHolder(fip)
		}
		return ""
	}
	eventually(t, time.Minute, "the lab routing "+fip.String()+" to gw-a", func() bool { return holder() == "gw-a" })

	// The move, made as a failover agent on gw-b makes it: from the
	// server's own namespace, through the API endpoint the lab serves there,
	// with the token read from stdin (never on a command line).
	// The server joins the lab in steps; until its public interface is up,
	// curl cannot connect (exit 7, nothing sent), so only that is retried.
	var out []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		ns, ok := ls.plane.Lab().ServerNS("gw-b")
		if !ok {
			t.Fatal("no namespace for gw-b")
		}
		cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "curl", "-sS", "--fail-with-body", "--max-time", "10",
			"--config", "-", "-X", "POST", "-H", "Content-Type: application/json",
			"-d", fmt.Sprintf(`{"server":%d}`, b.ID), fmt.Sprintf("%s/floating_ips/%d/actions/assign", AgentEndpoint, fres.FloatingIP.ID))
		cmd.Stdin = strings.NewReader(fmt.Sprintf("header = \"Authorization: Bearer %s\"\n", ls.env["HCLOUD_TOKEN"]))
		out, err = cmd.Output()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 7 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	must(t, err, "assign from gw-b's namespace: "+string(out))
	var moved struct {
		Action struct {
			ID int64 `json:"id"`
		} `json:"action"`
	}
	must(t, json.Unmarshal(out, &moved), "the assign answer "+string(out))
	act, _, err := hc.Action.GetByID(ctx, moved.Action.ID)
	must(t, err, "the agent's action")
	must(t, hc.Action.WaitFor(ctx, act), "move")
	eventually(t, time.Minute, "the lab routing "+fip.String()+" to gw-b", func() bool { return holder() == "gw-b" })

	act, _, err = hc.FloatingIP.Unassign(ctx, fres.FloatingIP)
	must(t, err, "unassign")
	must(t, hc.Action.WaitFor(ctx, act), "unassign")
	eventually(t, time.Minute, "the lab dropping "+fip.String(), func() bool { return holder() == "" })
}
