package ipsec

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// Shared-key length limits: Azure's reset-key API takes keyLength 1..128
// (docs/facts/ipsec.md, "Pitfalls").
const (
	MinSharedKeyLength = 1
	MaxSharedKeyLength = 128
	// GeneratedSharedKeyLength gives about 381 bits of entropy from the
	// 62-character alphabet, far above what a PSK needs, and well inside 128.
	GeneratedSharedKeyLength = 64
)

// sharedKeyAlphabet is alphanumeric only: valid for Azure, and free of
// characters that need quoting in swanctl.conf, YAML, HCL or a shell.
const sharedKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// ValidateSharedKey applies Azure's rule for a connection's pre-shared key:
// "only printable ASCII characters, except space, hyphen (-), or tilde (~)",
// 1..128 characters. Checking it in the plan avoids a failed connection PUT
// after the 45-minute gateway creation. Messages never echo the key; they give
// the position of the first offending character.
func ValidateSharedKey(k string) error {
	if n := len(k); n < MinSharedKeyLength || n > MaxSharedKeyLength {
		return fmt.Errorf("shared_key: is %d characters long; Azure accepts %d to %d, choose a key in that range "+
			"or omit shared_key to have one generated", n, MinSharedKeyLength, MaxSharedKeyLength)
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		var what string
		switch {
		case c == ' ':
			what = "a space"
		case c == '-':
			what = "a hyphen (-)"
		case c == '~':
			what = "a tilde (~)"
		case c < 0x21 || c > 0x7e:
			what = "a character that is not printable ASCII"
		default:
			continue
		}
		return fmt.Errorf("shared_key: contains %s at byte %d; Azure accepts only printable ASCII without space, "+
			"'-' or '~': use letters, digits and other punctuation, or omit shared_key to have one generated",
			what, i+1)
	}
	return nil
}

// GenerateSharedKey returns a fresh random key for users who set none, so that
// no PSK is ever hard-coded. Characters come from crypto/rand with rejection
// sampling (rand.Int), so each is uniform over the alphabet.
func GenerateSharedKey() (string, error) {
	size := big.NewInt(int64(len(sharedKeyAlphabet)))
	b := make([]byte, GeneratedSharedKeyLength)
	for i := range b {
		n, err := rand.Int(rand.Reader, size)
		if err != nil {
			return "", fmt.Errorf("shared_key: generating a random key: %w", err)
		}
		b[i] = sharedKeyAlphabet[n.Int64()]
	}
	return string(b), nil
}
