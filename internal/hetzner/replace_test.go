package hetzner

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-log/tflogtest"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/hcloudsim"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simenv"
)

// logged returns a context whose tflog output lands in the buffer.
func logged(t *testing.T) (context.Context, *bytes.Buffer) {
	var buf bytes.Buffer
	return tflogtest.RootLogger(tctx(t), &buf), &buf
}

// retriesLogged counts the retry lines for one code.
func retriesLogged(t *testing.T, buf *bytes.Buffer, code string) int {
	t.Helper()
	entries, err := tflogtest.MultilineJSONDecode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e["@message"] == "Hetzner API: retrying" && e["code"] == code {
			n++
		}
	}
	return n
}

// A replacement whose server cannot be ordered (a removed type, a type out
// of capacity in the location) is refused before the old server is deleted:
// the link keeps its working gateway.
func TestReplaceServerChecksBeforeDeleting(t *testing.T) {
	g := newGateway(t, "cx23")
	g.e.sim.SetAvailable("cx33", "nbg1", false)
	for _, tc := range []struct{ typ, attr, msg string }{
		{"cx22", "server_type", `no server type "cx22"`},
		{"cpx11", "server_type", "deprecated in nbg1 and can no longer be ordered"},
		{"cx33", "server_type", "currently not available in nbg1"},
	} {
		before := g.e.mutations()
		spec := g.spec
		spec.ServerType = tc.typ
		_, err := ReplaceServer(tctx(t), g.e.c, g.srv.ID, spec)
		var op *OrderProblem
		if !errors.As(err, &op) || op.Attribute != tc.attr || !strings.Contains(err.Error(), tc.msg) ||
			!strings.Contains(err.Error(), "nothing was deleted") {
			t.Fatalf("%s: ReplaceServer = %v, want an OrderProblem on %s saying %q", tc.typ, err, tc.attr, tc.msg)
		}
		if d := g.e.mutations() - before; d != 0 {
			t.Fatalf("%s: a refused replacement made %d API mutations", tc.typ, d)
		}
		if srv, err := GetServer(tctx(t), g.e.c, g.srv.ID); err != nil || srv == nil {
			t.Fatalf("%s: the old gateway server is gone (%v)", tc.typ, err)
		}
	}
}

// resource_unavailable and placement_error on the create are retried with
// backoff, each retry logged with its code, and the replacement gets the
// old private IP once Hetzner has released it (ip_not_available retried).
func TestReplaceServerRetriesCapacity(t *testing.T) {
	g := newGateway(t, "cx23")
	if err := g.e.sim.FailServerCreates("resource_unavailable", 2); err != nil {
		t.Fatal(err)
	}
	if err := g.e.sim.FailServerCreates("placement_error", 1); err != nil {
		t.Fatal(err)
	}
	ctx, logs := logged(t)
	srv, err := ReplaceServer(ctx, g.e.c, g.srv.ID, g.spec)
	if err != nil {
		t.Fatalf("ReplaceServer under capacity faults: %v", err)
	}
	if srv.ID == g.srv.ID {
		t.Fatal("the old server was kept")
	}
	if got := ServerPrivateIPs(srv, g.spec.NetworkID); len(got) != 1 || got[0] != g.spec.PrivateIP {
		t.Fatalf("replacement holds %v, want %s", got, g.spec.PrivateIP)
	}
	if srv.PublicNet.IPv4.ID != g.spec.PrimaryIPID {
		t.Fatalf("replacement has primary IP %d, want %d", srv.PublicNet.IPv4.ID, g.spec.PrimaryIPID)
	}
	if n := retriesLogged(t, logs, "resource_unavailable"); n != 2 {
		t.Errorf("%d resource_unavailable retries logged, want 2:\n%s", n, logs)
	}
	if n := retriesLogged(t, logs, "placement_error"); n != 1 {
		t.Errorf("%d placement_error retries logged, want 1", n)
	}
}

// The replacement pins the old server's private IP, which Hetzner releases
// only a while after the delete: the attach retries ip_not_available until
// it is free instead of failing with the link half replaced.
func TestReplaceServerWaitsForReleasedIP(t *testing.T) {
	g := newGateway(t, "cx23")
	// At this scale the emulator releases the IP 600-900 ms after the
	// delete, and the create takes 100-300 ms: the first attach is early.
	g.e.setScale(0.01)
	ctx, logs := logged(t)
	srv, err := ReplaceServer(ctx, g.e.c, g.srv.ID, g.spec)
	if err != nil {
		t.Fatalf("ReplaceServer: %v", err)
	}
	if got := ServerPrivateIPs(srv, g.spec.NetworkID); len(got) != 1 || got[0] != g.spec.PrivateIP {
		t.Fatalf("replacement holds %v, want %s", got, g.spec.PrivateIP)
	}
	if n := retriesLogged(t, logs, "ip_not_available"); n == 0 {
		t.Errorf("the pinned private IP was free at once; the emulator's release delay was not exercised")
	}
}

// When capacity does not come back within the budget, the error says that
// the link has no gateway server now and what the next apply does; the
// addresses survive for it.
func TestReplaceServerFailingCreateSaysNoGateway(t *testing.T) {
	defer func(b time.Duration) { capacityBudget = b }(capacityBudget)
	capacityBudget = 300 * time.Millisecond
	g := newGateway(t, "cx23")
	if err := g.e.sim.FailServerCreates("resource_unavailable", 1000); err != nil {
		t.Fatal(err)
	}
	_, err := ReplaceServer(tctx(t), g.e.c, g.srv.ID, g.spec)
	var ng *NoGatewayError
	if !errors.As(err, &ng) || !hcloud.IsError(err, hcloud.ErrorCodeResourceUnavailable) {
		t.Fatalf("ReplaceServer = %v, want a NoGatewayError wrapping resource_unavailable", err)
	}
	for _, want := range []string{"no gateway server right now", "next `terraform apply` creates the server again", "10.0.1.5", "after 300ms of retries"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if ip, err := GetPrimaryIP(tctx(t), g.e.c, g.spec.PrimaryIPID); err != nil || ip == nil {
		t.Fatalf("the primary IP did not survive: %v", err)
	}
}

// The first attach right after add_subnet meets no_subnet_available while
// the subnet propagates; the attach retries it instead of failing.
func TestFirstAttachRightAfterAddSubnet(t *testing.T) {
	e := newEmu(t, 0.001) // the subnet needs 90-150 ms after add_subnet
	ctx, logs := logged(t)
	n := e.network(t, "net", "10.0.0.0/12")
	spec := ServerSpec{Name: "gw", ServerType: "cpx22", Image: "debian-12", Location: "ash", Labels: Labels("l")}
	if _, err := EnsureServer(ctx, e.c, spec); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureSubnet(ctx, e.c, n.ID, "us-east", mustPrefix("10.0.1.0/24")); err != nil {
		t.Fatal(err)
	}
	spec.NetworkID, spec.PrivateIP = n.ID, mustAddr("10.0.1.1")
	srv, err := EnsureServer(ctx, e.c, spec)
	if err != nil {
		t.Fatalf("attach right after add_subnet: %v", err)
	}
	if got := ServerPrivateIPs(srv, n.ID); len(got) != 1 || got[0] != spec.PrivateIP {
		t.Fatalf("server holds %v", got)
	}
	if retriesLogged(t, logs, "no_subnet_available") == 0 {
		t.Fatal("no no_subnet_available retry: the subnet was usable at once, the delay was not exercised")
	}
}

// A private IP held by another member (here a load balancer) is not a
// propagation delay: the default gateway IP skips it, and pinning it fails
// at once with the holder named.
func TestLoadBalancerIPIsTaken(t *testing.T) {
	e := newEmu(t, 0.0001)
	n := e.network(t, "net", "10.0.0.0/12", "10.0.1.0/24")
	lb, _, err := e.c.LoadBalancer.Create(tctx(t), hcloud.LoadBalancerCreateOpts{Name: "lb", LoadBalancerType: &hcloud.LoadBalancerType{Name: "lb11"},
		Location: &hcloud.Location{Name: "nbg1"}, Network: n, PublicInterface: new(false)})
	if err != nil || lb.LoadBalancer == nil {
		t.Fatal(err)
	}
	used, err := UsedPrivateIPs(tctx(t), e.c, n.ID)
	if err != nil || len(used) != 1 || used[0] != mustAddr("10.0.1.1") {
		t.Fatalf("UsedPrivateIPs = %v, %v; want the load balancer's 10.0.1.1", used, err)
	}
	start := time.Now()
	_, err = EnsureServer(tctx(t), e.c, ServerSpec{Name: "gw", ServerType: "cx23", Image: "debian-12", Location: "nbg1",
		NetworkID: n.ID, PrivateIP: mustAddr("10.0.1.1"), Labels: Labels("l")})
	if err == nil || !strings.Contains(err.Error(), "held by load_balancer") || !strings.Contains(err.Error(), "hetzner.gateway_ip") {
		t.Fatalf("pinning the load balancer's IP = %v, want an error naming the holder and the attribute", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("took %s: a taken IP must fail at once, not wait out the propagation budget", time.Since(start))
	}
}

// The primary IP is created without assignee_type, which is optional and
// belongs with an assignee_id (hcloud-go v2.39.0).
func TestPrimaryIPCreateOmitsAssigneeType(t *testing.T) {
	env := &simenv.Env{Clock: &simenv.Clock{Scale: 0.0001}, Token: "t", Stats: &simenv.Stats{}}
	sim := hcloudsim.New(env)
	var body string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/primary_ips") {
			var b bytes.Buffer
			_, _ = b.ReadFrom(r.Body)
			body = b.String()
			r.Body = readCloser{bytes.NewReader(b.Bytes())}
		}
		http.StripPrefix("/hcloud/v1", sim).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c := hcloud.NewClient(hcloud.WithEndpoint(ts.URL+"/hcloud/v1"), hcloud.WithToken("t"),
		hcloud.WithPollOpts(hcloud.PollOpts{BackoffFunc: hcloud.ConstantBackoff(time.Millisecond)}))
	ip, err := EnsurePrimaryIP(tctx(t), c, PrimaryIPSpec{Name: "l-gw-ipv4", Location: "ash", Labels: Labels("l")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "assignee_type") {
		t.Fatalf("create request %s carries assignee_type", body)
	}
	if ip.AssigneeType != "unassigned" {
		t.Fatalf("a new primary IP reads assignee_type %q, want unassigned", ip.AssigneeType)
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }
