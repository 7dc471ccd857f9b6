package ipsec

import (
	"strings"
	"testing"
	"time"
)

func TestValidateDPDTimeout(t *testing.T) {
	for _, tt := range []struct {
		v  int64
		ok bool
	}{{8, false}, {9, true}, {45, true}, {3600, true}, {3601, false}, {0, false}, {-45, false}} {
		err := ValidateDPDTimeout(tt.v)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateDPDTimeout(%d) = %v, want ok=%v", tt.v, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "dpd_timeout_seconds") {
			t.Errorf("error %q does not name dpd_timeout_seconds", err)
		}
	}
}

func TestDPDDelay(t *testing.T) {
	for _, tt := range []struct {
		timeout int64
		want    time.Duration
	}{{9, 3 * time.Second}, {10, 3 * time.Second}, {30, 10 * time.Second}, {45, 15 * time.Second},
		{90, 30 * time.Second}, {3600, 30 * time.Second}} {
		if got := DPDDelay(tt.timeout); got != tt.want {
			t.Errorf("DPDDelay(%d) = %v, want %v", tt.timeout, got, tt.want)
		}
	}
	// Over Azure's whole range, at least two liveness checks fit in one timeout.
	for s := int64(MinDPDTimeout); s <= MaxDPDTimeout; s++ {
		d := DPDDelay(s)
		if 2*d > time.Duration(s)*time.Second || d < 3*time.Second || d > 30*time.Second {
			t.Fatalf("DPDDelay(%d) = %v: want 3s..30s and at most half the timeout", s, d)
		}
	}
}
