package fwtest

import (
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// TestErrorsByPath pins the form the packages' tests match on: errors
// only, in order, with the attribute path or <none>.
func TestErrorsByPath(t *testing.T) {
	var diags diag.Diagnostics
	diags.AddAttributeError(path.Root("providers").AtListIndex(2).AtName("name"), "S", "duplicate")
	diags.AddWarning("W", "not an error")
	diags.AddError("S", "on no attribute")
	got := ErrorsByPath(diags)
	want := []string{"providers[2].name: duplicate", "<none>: on no attribute"}
	if !slices.Equal(got, want) {
		t.Errorf("ErrorsByPath = %q, want %q", got, want)
	}
	ErrorPrefixes(t, diags, []string{"providers[2].name: dup", "<none>: on"})
}
