package attrdiag

import (
	"errors"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// one is what a test reads back from a diagnostic.
type one struct{ at, detail string }

func read(diags diag.Diagnostics) []one {
	var out []one
	for _, d := range diags {
		at := "(none)"
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			at = wp.Path().String()
		}
		out = append(out, one{at, d.Detail()})
	}
	return out
}

func TestAdd(t *testing.T) {
	var diags diag.Diagnostics
	err := errors.Join(
		attrerr.New(attrerr.Dotted("hetzner.gateway_ip"), "hetzner.gateway_ip 10.0.0.1 is the network's first IP"),
		attrerr.New(attrerr.At("destination"), "not a prefix"),
		attrerr.New(attrerr.At("local_prefixes").Index(2), "overlaps"),
		errors.New("plain"),
		attrerr.New(nil, "no path"),
	)
	Add(&diags, path.Empty(), path.Root("fallback"), "S", err)
	want := []one{
		// Nested: the path first, not repeated when the message starts with it.
		{"hetzner.gateway_ip", "hetzner.gateway_ip: 10.0.0.1 is the network's first IP"},
		// Top level and list elements: Terraform names them, the message alone.
		{"destination", "not a prefix"},
		{"local_prefixes[2]", "overlaps"},
		{"fallback", "plain"},
		{"fallback", "no path"},
	}
	got := read(diags)
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("diagnostic %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, d := range diags {
		if d.Summary() != "S" || d.Severity() != diag.SeverityError {
			t.Errorf("diagnostic %v: want summary S, severity error", d)
		}
	}
}

func TestAddUnderBaseAndWithoutFallback(t *testing.T) {
	var diags diag.Diagnostics
	base := path.Root("ipsec_policy")
	Add(&diags, base, path.Empty(), "S", errors.Join(attrerr.New(attrerr.At("dh_group"), "weak"), errors.New("plain")))
	got := read(diags)
	if len(got) != 2 || got[0] != (one{"ipsec_policy.dh_group", "ipsec_policy.dh_group: weak"}) || got[1] != (one{"(none)", "plain"}) {
		t.Errorf("got %+v", got)
	}
	diags = nil
	Add(&diags, base, base, "S", nil)
	if diags.HasError() {
		t.Errorf("a nil error added %v", diags)
	}
}

func TestAddMapped(t *testing.T) {
	var diags diag.Diagnostics
	refuse := func(p attrerr.Path) (path.Path, bool) {
		if p.String() == "known" {
			return path.Root("known_attr"), true
		}
		return path.Path{}, false
	}
	AddMapped(&diags, refuse, path.Root("fb"), "S", errors.Join(attrerr.New(attrerr.At("known"), "m1"), attrerr.New(attrerr.At("other"), "m2")))
	got := read(diags)
	if len(got) != 2 || got[0] != (one{"known_attr", "m1"}) || got[1] != (one{"fb", "other: m2"}) {
		t.Errorf("got %+v", got)
	}
}

// TestIncomplete pins the text users paste into a bug report.
func TestIncomplete(t *testing.T) {
	d := Incomplete("crosscloud_x", "at read time")
	if d.Severity() != diag.SeverityError || d.Summary() != "Incomplete configuration" ||
		d.Detail() != "Some arguments of crosscloud_x are still unknown at read time; this is a bug in the provider, please report it." {
		t.Errorf("got %v %q: %q", d.Severity(), d.Summary(), d.Detail())
	}
}
