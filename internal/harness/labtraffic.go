package harness

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/lab"
)

// LabHosts reads GET /_sim/lab/hosts: the namespaces of an emulator started
// with -lab (404 from an API-only emulator).
func (s *Sim) LabHosts(ctx context.Context) ([]lab.Host, error) {
	var hs []lab.Host
	err := s.getJSON(ctx, "/_sim/lab/hosts", &hs)
	return hs, err
}

// FindProbe returns the lab's probe host of cloud ("hcloud" or "azure")
// inside subnet.
func FindProbe(hs []lab.Host, cloud, subnet string) (lab.Host, bool) {
	p := netip.MustParsePrefix(subnet)
	for _, h := range hs {
		if ip, err := netip.ParseAddr(h.IP); err == nil && h.Role == "probe" && h.Cloud == cloud && p.Contains(ip) {
			return h, true
		}
	}
	return lab.Host{}, false
}

// Traffic sends one small TCP exchange through the lab every interval, each
// on a new connection, and keeps the send time of every exchange that came
// back. A new connection per exchange, rather than one long stream, is what
// makes an outage visible at the interval's resolution: one connection
// would hide it behind TCP's retransmission back-off and report the
// back-off instead.
type Traffic struct {
	mu     sync.Mutex
	ok     []time.Time
	failed int
	cancel context.CancelFunc
	done   sync.WaitGroup
	ln     net.Listener
}

// StartTraffic listens on to:port inside namespace far (echoing 8 bytes per
// connection) and probes it from namespace from every interval, each
// exchange bounded by timeout.
func StartTraffic(ctx context.Context, from, far, to string, port int, interval, timeout time.Duration) (*Traffic, error) {
	t := &Traffic{}
	err := lab.InNetNS(far, func() (err error) {
		t.ln, err = net.Listen("tcp4", fmt.Sprintf("%s:%d", to, port))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listening in %s: %w", far, err)
	}
	go func() {
		for {
			c, err := t.ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(timeout))
				var b [8]byte
				if _, err := io.ReadFull(c, b[:]); err == nil {
					_, _ = c.Write(b[:])
				}
			}()
		}
	}()
	ctx, t.cancel = context.WithCancel(ctx)
	addr := fmt.Sprintf("%s:%d", to, port)
	t.done.Add(1)
	go func() {
		defer t.done.Done()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for seq := uint64(0); ; seq++ {
			t.done.Add(1)
			go func(seq uint64) {
				defer t.done.Done()
				sent := time.Now()
				err := lab.InNetNS(from, func() error { return exchange(ctx, addr, seq, timeout) })
				t.mu.Lock()
				defer t.mu.Unlock()
				if err == nil {
					t.ok = append(t.ok, sent)
				} else if ctx.Err() == nil {
					t.failed++
				}
			}(seq)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return t, nil
}

// exchange sends seq and reads it back on one new connection.
func exchange(ctx context.Context, addr string, seq uint64, timeout time.Duration) error {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp4", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	var out, in [8]byte
	binary.BigEndian.PutUint64(out[:], seq)
	if _, err := c.Write(out[:]); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, in[:]); err != nil {
		return err
	}
	if in != out {
		return errors.New("echo differs from what was sent")
	}
	return nil
}

// Delivered is the send times of the exchanges that came back so far, in
// order, and how many did not.
func (t *Traffic) Delivered() (ok []time.Time, failed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ok = slices.Clone(t.ok)
	slices.SortFunc(ok, time.Time.Compare)
	return ok, t.failed
}

// Stop ends probing and listening and waits for exchanges in flight.
func (t *Traffic) Stop() {
	t.cancel()
	_ = t.ln.Close()
	t.done.Wait()
}

// LongestGap is the longest time between two consecutive delivered
// exchanges (send times) in ok that ends after from: the longest stretch
// around and after from in which nothing got through. It also returns
// where that gap started.
func LongestGap(ok []time.Time, from time.Time) (time.Duration, time.Time) {
	var gap time.Duration
	var at time.Time
	for i := 1; i < len(ok); i++ {
		if ok[i].Before(from) {
			continue
		}
		if d := ok[i].Sub(ok[i-1]); d > gap {
			gap, at = d, ok[i-1]
		}
	}
	return gap, at
}
