package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// TCPResult is what one TCP connection across the lab showed.
type TCPResult struct {
	// SYNMSS is the MSS option of the connection's SYN as it arrived at the
	// far end (0: the SYN had none; -1: no SYN was captured).
	SYNMSS int
	// Echoed says the connection carried Bytes there and back intact.
	Echoed bool
	Bytes  int
}

// TCPProbe connects from namespace from to to:port, where a listener in
// namespace far (the one holding address to) echoes what it gets, sends
// 256 KiB and reads them back. A raw socket in far captures the SYN as it
// arrived, after every router and gateway on the way: that is where a TCP
// MSS clamp shows, or does not.
func TCPProbe(ctx context.Context, from, far, to string, port int) (TCPResult, error) {
	res := TCPResult{SYNMSS: -1}
	var raw int = -1
	var ln net.Listener
	err := InNetNS(far, func() (err error) {
		if raw, err = unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP); err != nil {
			return err
		}
		ln, err = net.Listen("tcp4", fmt.Sprintf("%s:%d", to, port))
		return err
	})
	if raw >= 0 {
		defer unix.Close(raw)
	}
	if err != nil {
		return res, fmt.Errorf("listening in %s: %w", far, err)
	}
	defer ln.Close()
	_ = unix.SetsockoptTimeval(raw, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 0, Usec: 200000})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	captured := make(chan int, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		buf := make([]byte, 65536)
		for {
			select {
			case <-stop:
				captured <- -1
				return
			default:
			}
			n, _, err := unix.Recvfrom(raw, buf, 0)
			if err != nil {
				continue
			}
			if mss, ok := parseSYN(buf[:n], port); ok {
				captured <- mss
				return
			}
		}
	}()
	payload := make([]byte, 256<<10)
	_, _ = rand.Read(payload)
	var got []byte
	err = InNetNS(from, func() error {
		d := net.Dialer{Timeout: 10 * time.Second}
		c, err := d.DialContext(ctx, "tcp4", fmt.Sprintf("%s:%d", to, port))
		if err != nil {
			return err
		}
		defer c.Close()
		deadline := time.Now().Add(20 * time.Second)
		if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
			deadline = dl
		}
		_ = c.SetDeadline(deadline)
		go func() { _, _ = c.Write(payload); _ = c.(*net.TCPConn).CloseWrite() }()
		got, err = io.ReadAll(c)
		return err
	})
	select {
	case res.SYNMSS = <-captured:
	case <-time.After(2 * time.Second):
	}
	res.Echoed, res.Bytes = bytes.Equal(got, payload), len(payload)
	if err != nil {
		return res, fmt.Errorf("TCP from %s to %s:%d: %w", from, to, port, err)
	}
	return res, nil
}

// parseSYN returns the MSS option of an IPv4 TCP SYN (without ACK) to
// port; ok is false for any other packet.
func parseSYN(pkt []byte, port int) (mss int, ok bool) {
	if len(pkt) < 20 || pkt[0]>>4 != 4 {
		return 0, false
	}
	ihl := int(pkt[0]&0x0f) * 4
	if len(pkt) < ihl+20 || pkt[9] != unix.IPPROTO_TCP {
		return 0, false
	}
	tcp := pkt[ihl:]
	if int(binary.BigEndian.Uint16(tcp[2:4])) != port || tcp[13]&0x12 != 0x02 {
		return 0, false
	}
	off := int(tcp[12]>>4) * 4
	if off < 20 || len(tcp) < off {
		return 0, false
	}
	opts := tcp[20:off]
	for i := 0; i < len(opts); {
		switch kind := opts[i]; {
		case kind == 0: // end of options
			return 0, true
		case kind == 1: // no-op
			i++
		case i+1 < len(opts) && opts[i+1] >= 2:
			if kind == 2 && opts[i+1] == 4 && i+4 <= len(opts) {
				return int(binary.BigEndian.Uint16(opts[i+2 : i+4])), true
			}
			i += int(opts[i+1])
		default:
			return 0, true
		}
	}
	return 0, true
}
