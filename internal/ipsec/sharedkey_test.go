package ipsec

import (
	"strings"
	"testing"
)

func TestValidateSharedKey(t *testing.T) {
	printable := "!\"#$%&'()*+,./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}"
	tests := []struct {
		name, key string
		wantErr   string // substring; "" means valid
	}{
		{"one char", "a", ""},
		{"all allowed punctuation", printable, ""},
		{"128 chars", strings.Repeat("k", 128), ""},
		{"empty", "", "0 characters"},
		{"129 chars", strings.Repeat("k", 129), "129 characters"},
		{"space", "secretABC def", "a space at byte 10"},
		{"hyphen", "secretABC-def", "a hyphen (-) at byte 10"},
		{"tilde", "secretABC~def", "a tilde (~) at byte 10"},
		{"tab", "secretABC\tdef", "not printable ASCII at byte 10"},
		{"DEL", "secretABC\x7fdef", "not printable ASCII"},
		{"non-ASCII", "secretABCédef", "not printable ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSharedKey(tt.key)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateSharedKey() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateSharedKey() = nil, want error containing %q", tt.wantErr)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "shared_key: ") || !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error %q: want prefix shared_key and %q", msg, tt.wantErr)
			}
			if strings.Contains(msg, "secretABC") {
				t.Errorf("error %q leaks the key", msg)
			}
		})
	}
}

func TestGenerateSharedKey(t *testing.T) {
	seen := map[string]bool{}
	chars := map[rune]int{}
	for range 200 {
		k, err := GenerateSharedKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != 64 {
			t.Fatalf("len = %d, want 64", len(k))
		}
		if err := ValidateSharedKey(k); err != nil {
			t.Fatalf("generated key is not valid for Azure: %v", err)
		}
		if seen[k] {
			t.Fatalf("key %q generated twice", k)
		}
		seen[k] = true
		for _, c := range k {
			chars[c]++
		}
	}
	// 12,800 draws over 62 symbols: every symbol appears (the chance one is
	// missing is about 1e-86), and only alphanumerics appear.
	if len(chars) != 62 {
		t.Errorf("saw %d distinct characters, want all 62 alphanumerics", len(chars))
	}
	for c := range chars {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			t.Errorf("unexpected character %q", c)
		}
	}
}

func TestNewSharedKey(t *testing.T) {
	for _, n := range []int{MinGeneratedSharedKeyLength, 40, MaxGeneratedSharedKeyLength} {
		chars := map[byte]bool{}
		for range 100 {
			k, err := NewSharedKey(n, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(k) != n {
				t.Fatalf("len = %d, want %d", len(k), n)
			}
			if err := ValidateSharedKey(k); err != nil {
				t.Fatalf("generated key is not valid for Azure: %v", err)
			}
			for i := range len(k) {
				chars[k[i]] = true
			}
		}
		for c := range chars {
			if strings.ContainsRune("\"'\\$`", rune(c)) {
				t.Errorf("length %d: generated %q, which changes meaning in a shell or YAML", n, c)
			}
		}
		// 100 keys of >= 16 characters over 87 symbols: some punctuation
		// shows up (missing all 25 has a chance below 1e-50).
		punct := 0
		for c := range chars {
			if strings.IndexByte(sharedKeyPunctuation, c) >= 0 {
				punct++
			}
		}
		if punct == 0 {
			t.Errorf("length %d: punctuation requested, none generated", n)
		}
	}
	for _, n := range []int{0, MinGeneratedSharedKeyLength - 1, MaxGeneratedSharedKeyLength + 1} {
		if _, err := NewSharedKey(n, false); err == nil || !strings.HasPrefix(err.Error(), "length: ") {
			t.Errorf("NewSharedKey(%d) = %v, want a length error", n, err)
		}
	}
}
