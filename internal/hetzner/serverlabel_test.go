package hetzner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// WaitServerLabel returns once the server labels itself (as a booted HA
// gateway does), says so when the budget runs out or the server is gone,
// and reports the caller's cancellation as such, not as a timeout.
func TestWaitServerLabel(t *testing.T) {
	e := newEmu(t, 0.001)
	ctx := tctx(t)
	res, _, err := e.c.Server.Create(ctx, hcloud.ServerCreateOpts{Name: "gw-b", ServerType: &hcloud.ServerType{Name: "cx23"},
		Image: &hcloud.Image{Name: "debian-12"}, Location: &hcloud.Location{Name: "nbg1"}, Labels: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	id := res.Server.ID
	if err := WaitServerLabel(ctx, e.c, id, "ready", "true", 50*time.Millisecond, 5*time.Millisecond); err == nil ||
		!strings.Contains(err.Error(), "has no label ready=true after 50ms") {
		t.Fatalf("before the label: %v, want the budget's error", err)
	}
	go func() {
		time.Sleep(30 * time.Millisecond)
		e.c.Server.Update(context.Background(), &hcloud.Server{ID: id}, hcloud.ServerUpdateOpts{Labels: map[string]string{"k": "v", "ready": "true"}})
	}()
	if err := WaitServerLabel(ctx, e.c, id, "ready", "true", 10*time.Second, 5*time.Millisecond); err != nil {
		t.Fatalf("after the server labelled itself: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := WaitServerLabel(cancelled, e.c, id, "other", "x", time.Minute, time.Millisecond); err != context.Canceled && !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("cancelled: %v, want context.Canceled", err)
	}
	if err := DeleteServer(ctx, e.c, id); err != nil {
		t.Fatal(err)
	}
	if err := WaitServerLabel(ctx, e.c, id, "ready", "true", time.Second, time.Millisecond); err == nil || !strings.Contains(err.Error(), "is gone") {
		t.Fatalf("deleted server: %v, want 'is gone'", err)
	}
}
