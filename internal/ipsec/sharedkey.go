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

// sharedKeyPunctuation is the punctuation Azure accepts that survives a
// shell, a YAML scalar and an HCL string unquoted: Azure's rule excludes
// space, '-' and '~'; quotes, backslash, '$' and '`' are left out too, so a
// key pasted into a CI variable or an Ansible vars file cannot change
// meaning on the way.
const sharedKeyPunctuation = "!#%&()*+,./:;<=>?@[]^_{|}"

// Bounds of a generated key's length: below 16 characters the key is
// weaker than the policy's ciphers deserve (16 alphanumerics are about 95
// bits); above 128 Azure refuses it.
const (
	MinGeneratedSharedKeyLength = 16
	MaxGeneratedSharedKeyLength = MaxSharedKeyLength
)

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
// no PSK is ever hard-coded: GeneratedSharedKeyLength alphanumerics.
func GenerateSharedKey() (string, error) {
	return NewSharedKey(GeneratedSharedKeyLength, false)
}

// NewSharedKey returns a random key of length characters that Azure and
// strongSwan both accept, from the alphanumerics plus, with punctuation,
// sharedKeyPunctuation. Characters come from crypto/rand with rejection
// sampling (rand.Int), so each is uniform over the alphabet.
func NewSharedKey(length int, punctuation bool) (string, error) {
	if length < MinGeneratedSharedKeyLength || length > MaxGeneratedSharedKeyLength {
		return "", fmt.Errorf("length: is %d; a generated key has %d to %d characters (Azure accepts at most %d, "+
			"and fewer than %d are weaker than the tunnel's ciphers)", length, MinGeneratedSharedKeyLength,
			MaxGeneratedSharedKeyLength, MaxSharedKeyLength, MinGeneratedSharedKeyLength)
	}
	alphabet := sharedKeyAlphabet
	if punctuation {
		alphabet += sharedKeyPunctuation
	}
	size := big.NewInt(int64(len(alphabet)))
	b := make([]byte, length)
	for i := range b {
		n, err := rand.Int(rand.Reader, size)
		if err != nil {
			return "", fmt.Errorf("shared_key: generating a random key: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b), nil
}
