package labsync

import (
	"context"
	"net/netip"
	"slices"
	"time"

	"github.com/strongswan/govici/vici"
)

// In the Default and InitiatorOnly connection modes the lab's Azure side
// initiates itself as soon as a connection is loaded (lab.AzureConfig), as
// a real gateway does. In ResponderOnly mode only the peer initiates: the
// provider's Hetzner gateway retries forever (keyingtries = 0), so a real
// tunnel forms at the peer's next IKE_SA_INIT retransmit or keying attempt
// after Azure's side exists, which can be a minute or more later. The plane
// compresses that wait, as the emulator's time scale compresses others, by
// asking the Hetzner gateway's charon to try again now. The negotiation
// itself is untouched: mismatched policies still fail.

// nudge makes the Hetzner gateway's charon (vici socket sock, inside its
// machine) (re)negotiate every connection it has to the Azure gateway peer:
// SAs that are not up are dropped and each child is initiated again. It
// runs in the background; Close waits for it. A gateway still booting has
// no socket yet, and then initiates on its own when strongSwan starts.
func (p *Plane) nudge(ctx context.Context, ns, sock string, peer netip.Addr) {
	p.nudges.Add(1)
	go func() {
		defer p.nudges.Done()
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := reinitiate(ctx, sock, peer); err != nil {
			p.log.Debug("re-initiating from the Hetzner gateway", "ns", ns, "peer", peer, "err", err)
		}
	}()
}

func reinitiate(ctx context.Context, sock string, peer netip.Addr) error {
	s, err := vici.NewSession(vici.WithSocketPath(sock))
	if err != nil {
		return err
	}
	defer s.Close()
	up := false
	var stale []string
	for m, err := range s.CallStreaming(ctx, "list-sas", "list-sa", noblock()) {
		if err != nil {
			return err
		}
		for _, name := range m.Keys() {
			sa, ok := m.Get(name).(*vici.Message)
			if !ok || str(sa, "remote-host") != peer.String() {
				continue
			}
			installed := false
			if children, ok := sa.Get("child-sas").(*vici.Message); ok {
				for _, k := range children.Keys() {
					if ch, ok := children.Get(k).(*vici.Message); ok && str(ch, "state") == "INSTALLED" {
						installed = true
					}
				}
			}
			if str(sa, "state") == "ESTABLISHED" && installed {
				up = true
			} else {
				stale = append(stale, str(sa, "uniqueid"))
			}
		}
	}
	if up {
		return nil
	}
	for _, id := range stale {
		m := vici.NewMessage()
		_ = m.Set("ike-id", id)
		_ = m.Set("force", "yes")
		_ = m.Set("timeout", "500")
		_, _ = s.Call(ctx, "terminate", m)
	}
	type target struct{ ike, child string }
	var targets []target
	for m, err := range s.CallStreaming(ctx, "list-conns", "list-conn", nil) {
		if err != nil {
			return err
		}
		for _, name := range m.Keys() {
			conn, ok := m.Get(name).(*vici.Message)
			if !ok {
				continue
			}
			remotes, _ := conn.Get("remote_addrs").([]string)
			children, ok := conn.Get("children").(*vici.Message)
			if !ok || !slices.Contains(remotes, peer.String()) {
				continue
			}
			for _, child := range children.Keys() {
				targets = append(targets, target{name, child})
			}
		}
	}
	var last error
	for _, t := range targets {
		m := vici.NewMessage()
		_ = m.Set("ike", t.ike)
		_ = m.Set("child", t.child)
		_ = m.Set("timeout", "15000")
		if _, err := s.Call(ctx, "initiate", m); err != nil {
			last = err
		}
	}
	return last
}

// str reads a string field of a vici message ("" when absent).
func str(m *vici.Message, key string) string {
	v, _ := m.Get(key).(string)
	return v
}

func noblock() *vici.Message {
	m := vici.NewMessage()
	_ = m.Set("noblock", "yes")
	return m
}
