package ipsec

import (
	"fmt"
	"time"
)

// Azure's dpdTimeoutSeconds range (docs/facts/ipsec.md, "Custom policy"); the default is 45 s.
const (
	MinDPDTimeout     = 9
	MaxDPDTimeout     = 3600
	DefaultDPDTimeout = 45
)

// ValidateDPDTimeout checks dpd_timeout_seconds against Azure's range before
// the connection PUT would reject it.
func ValidateDPDTimeout(seconds int64) error {
	if seconds < MinDPDTimeout || seconds > MaxDPDTimeout {
		return fmt.Errorf("dpd_timeout_seconds: %d is outside Azure's range %d..%d; choose a value in it "+
			"(Azure's default %d, recommended 30 to 45)", seconds, MinDPDTimeout, MaxDPDTimeout, DefaultDPDTimeout)
	}
	return nil
}

// Bounds of the strongSwan dpd_delay that DPDDelay returns.
const (
	minDPDDelay = 3 * time.Second
	maxDPDDelay = 30 * time.Second
)

// DPDDelay is the strongSwan dpd_delay for an Azure DPD timeout.
//
// Azure declares the peer dead when it has heard nothing for the timeout. With
// IKEv2, strongSwan's dpd_delay is how long the SA may be idle before it sends
// a liveness check (dpd_timeout applies to IKEv1 only), and every check is an
// IKE exchange Azure sees. Sending one every timeout/3 puts at least two
// checks in any timeout window, so one lost packet does not get the tunnel torn
// down, and the Hetzner side notices a dead Azure gateway at a similar pace.
// The result is clamped to at least 3 s (what Azure's minimum timeout of 9 s
// gives; out-of-range inputs never make probing faster than that) and at most
// 30 s (strongSwan's own default: long timeouts need no slower probing, and a
// faster restart after a real failure is worth one tiny packet per 30 s).
// Call ValidateDPDTimeout first; DPDDelay does not reject bad input.
func DPDDelay(timeoutSeconds int64) time.Duration {
	d := time.Duration(timeoutSeconds/3) * time.Second
	return min(max(d, minDPDDelay), maxDPDDelay)
}
