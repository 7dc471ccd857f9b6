// Package attrdiag is the one translation from the pure packages' errors
// (*attrerr.Error, see internal/attrerr) to Terraform diagnostics, shared by
// every resource and data source so that a rule broken deep in addrplan,
// ipsec or cloudinit is reported the same way everywhere: on the attribute
// the user has to change, with the message the package wrote.
package attrdiag

import (
	"errors"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// Map returns the schema path for an error's path; ok=false sends the error
// to the fallback attribute.
type Map func(attrerr.Path) (at path.Path, ok bool)

// Under is the Map for a package whose paths are relative to an input that
// sits at base in the schema (path.Empty() when they are already the
// schema's own, as addrplan's dotted attribute names are).
func Under(base path.Path) Map {
	return func(p attrerr.Path) (path.Path, bool) {
		if len(p) == 0 {
			return path.Path{}, false
		}
		return Join(base, p), true
	}
}

// At is the Map that puts every error on one attribute, for a caller that
// knows better than the package where the value came from (a list element
// parsed on its own).
func At(at path.Path) Map {
	return func(attrerr.Path) (path.Path, bool) { return at, true }
}

// Join appends an attrerr path to a schema path.
func Join(base path.Path, p attrerr.Path) path.Path {
	for _, s := range p {
		if s.Name == "" {
			base = base.AtListIndex(s.Index)
		} else {
			base = base.AtName(s.Name)
		}
	}
	return base
}

// Add reports err under summary: every *attrerr.Error in it (an errors.Join
// is taken apart, one diagnostic each) on base plus its path, anything else
// on fallback with its full text. A nil err adds nothing.
func Add(diags *diag.Diagnostics, base, fallback path.Path, summary string, err error) {
	AddMapped(diags, Under(base), fallback, summary, err)
}

// AddMapped is Add with the schema path chosen by at. The empty fallback
// path reports errors without an attribute on the configuration as a whole.
func AddMapped(diags *diag.Diagnostics, at Map, fallback path.Path, summary string, err error) {
	for _, e := range attrerr.Split(err) {
		var ae *attrerr.Error
		if errors.As(e, &ae) {
			if p, ok := at(ae.Path); ok {
				diags.AddAttributeError(p, summary, Detail(p, ae))
				continue
			}
		}
		if len(fallback.Steps()) == 0 {
			diags.AddError(summary, e.Error())
		} else {
			diags.AddAttributeError(fallback, summary, e.Error())
		}
	}
}

// Detail is the text of a diagnostic for e on the schema path p. For an
// attribute nested in an object, Terraform (1.11) underlines only the
// enclosing block, so the text starts with the attribute's full path (and
// a message that already starts with it is not told twice); a top-level
// attribute or list element is shown by Terraform itself, so the text is
// the message alone.
func Detail(p path.Path, e *attrerr.Error) string {
	if !nested(p) {
		return e.Detail()
	}
	s := p.String()
	return s + ": " + strings.TrimPrefix(e.Detail(), s+" ")
}

// nested reports whether p names an attribute inside an object attribute.
func nested(p path.Path) bool {
	names := 0
	for _, s := range p.Steps() {
		if _, ok := s.(path.PathStepAttributeName); ok {
			names++
		}
	}
	return names > 1
}

// Incomplete is the error for an argument still unknown when Terraform has
// promised that every argument is known: in a data source's Read or an
// ephemeral resource's Open. It is the provider's bug, not the user's, so
// it says so. typeName is the data source or ephemeral resource; when is
// the point at which the value should have been known ("at read time").
func Incomplete(typeName, when string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Incomplete configuration",
		"Some arguments of "+typeName+" are still unknown "+when+"; this is a bug in the provider, please report it.")
}
