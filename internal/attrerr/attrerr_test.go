package attrerr

import (
	"errors"
	"fmt"
	"testing"
)

func TestPathString(t *testing.T) {
	for _, tt := range []struct {
		p    Path
		want string
	}{
		{nil, ""},
		{At("destination"), "destination"},
		{Dotted("hetzner.gateway_ip"), "hetzner.gateway_ip"},
		{At("hetzner", "local_prefixes").Index(1), "hetzner.local_prefixes[1]"},
		{At("RemotePrefixes").Index(0), "RemotePrefixes[0]"},
		{At("ipsec_policy").Name("pfs_group"), "ipsec_policy.pfs_group"},
	} {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// Index and Name must not write into a shared backing array: two paths
// grown from one base stay distinct.
func TestPathGrowsWithoutAliasing(t *testing.T) {
	base := make(Path, 1, 4)
	base[0] = Step{Name: "l"}
	a, b := base.Index(0), base.Index(1)
	if a.String() != "l[0]" || b.String() != "l[1]" {
		t.Errorf("got %s and %s, want l[0] and l[1]", a, b)
	}
}

func TestErrorText(t *testing.T) {
	// The shape every pure package's errors had before they shared this
	// type: the attribute path, ": ", the message.
	if got := New(At("ipsec_policy", "pfs_group"), "bad").Error(); got != "ipsec_policy.pfs_group: bad" {
		t.Errorf("Error() = %q", got)
	}
	cause := errors.New("404")
	e := &Error{Path: At("vnet_id"), Message: "reading", Err: cause}
	if e.Error() != "vnet_id: reading: 404" || e.Detail() != "reading: 404" || !errors.Is(e, cause) {
		t.Errorf("Error() = %q, Detail() = %q, Is(cause) = %v", e.Error(), e.Detail(), errors.Is(e, cause))
	}
	if got := (&Error{Path: At("x"), Err: cause}).Error(); got != "x: 404" {
		t.Errorf("without a message: %q", got)
	}
	if got := (&Error{Message: "no path"}).Error(); got != "no path" {
		t.Errorf("without a path: %q", got)
	}
}

func TestJoinAndSplit(t *testing.T) {
	if Join(nil) != nil || Split(nil) != nil {
		t.Fatal("no problems must be a nil error and an empty list")
	}
	a, b, c := New(At("a"), "1"), New(At("b"), "2"), errors.New("plain")
	err := errors.Join(Join([]*Error{a, b}), c)
	got := Split(err)
	if len(got) != 3 || got[0] != error(a) || got[1] != error(b) || got[2] != c {
		t.Fatalf("Split = %v", got)
	}
	var e *Error
	if !errors.As(fmt.Errorf("wrapped: %w", err), &e) || e != a {
		t.Errorf("errors.As does not find the first problem through a wrap: %v", e)
	}
}
