package labsync

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestOneOwnerPerPrefix: while one emulator owns a prefix, a second claim
// is refused with the owner's pid and the way out, instead of sweeping the
// first one's lab; once released, the prefix can be claimed again.
func TestOneOwnerPerPrefix(t *testing.T) {
	prefix := fmt.Sprintf("co%d-", os.Getpid()%100000)
	t.Cleanup(func() { os.Remove(ownerPath(prefix)) })
	first, err := claim(prefix)
	if err != nil {
		t.Fatal(err)
	}
	_, err = claim(prefix)
	if err == nil {
		t.Fatal("a second claim on a held prefix succeeded")
	}
	if !strings.Contains(err.Error(), strconv.Itoa(os.Getpid())) || !strings.Contains(err.Error(), "-lab-prefix") {
		t.Errorf("refusal %q names neither the owner's pid nor -lab-prefix", err)
	}
	first.release()
	again, err := claim(prefix)
	if err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	again.release()
}
