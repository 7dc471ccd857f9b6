package ipseclink

import (
	"bytes"
	"testing"
)

// The fingerprint recognises its key and only its key, and a fresh salt
// makes two fingerprints of one key unrelated (no shared digest across
// links or rotations back to an old key).
func TestKeyMAC(t *testing.T) {
	a, err := newKeyMAC("writeOnlyKeyA0123456789")
	if err != nil {
		t.Fatal(err)
	}
	if !a.matches("writeOnlyKeyA0123456789") {
		t.Error("the fingerprint does not match its own key")
	}
	for _, other := range []string{"writeOnlyKeyA012345678", "writeOnlyKeyA01234567890", "", "WriteOnlyKeyA0123456789"} {
		if a.matches(other) {
			t.Errorf("the fingerprint matches %q", other)
		}
	}
	b, err := newKeyMAC("writeOnlyKeyA0123456789")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Salt, b.Salt) || bytes.Equal(a.MAC, b.MAC) {
		t.Error("two fingerprints of one key share salt or digest")
	}
	if bytes.Contains(a.MAC, []byte("writeOnlyKeyA")) || bytes.Contains(a.Salt, []byte("writeOnlyKeyA")) {
		t.Error("the fingerprint carries the key")
	}
}
