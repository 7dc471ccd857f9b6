// Package attrerr is the one error type the pure packages (addrplan, ipsec,
// cloudinit) and the adapters use to say which input is wrong: a path to
// the input and a message that says what is wrong and what to do.
//
// It is a leaf: it imports nothing from the project or from Terraform, so a
// pure package can return it and stay pure. Turning one into a Terraform
// diagnostic on the right attribute is internal/attrdiag's job, done in one
// place for every resource. Several problems travel as errors.Join of
// *Error values; Split takes them apart again.
package attrerr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Step is one step of a Path: a nested attribute (or field) name, or, when
// Name is empty, the element Index of a list.
type Step struct {
	Name  string
	Index int
}

// Path names an input relative to what the package was given: attribute
// names as the caller spelled them ("hetzner", "gateway_ip"), Go field
// names (cloudinit's "RemotePrefixes") or an adapter's input names, plus
// list indexes. The caller that knows where that input sits in its schema
// maps it there.
type Path []Step

// At returns the path of nested names, e.g. At("hetzner", "gateway_ip").
func At(names ...string) Path {
	p := make(Path, len(names))
	for i, n := range names {
		p[i] = Step{Name: n}
	}
	return p
}

// Dotted splits "hetzner.gateway_ip" into At("hetzner", "gateway_ip"). It
// is for packages whose callers hand them attribute names as text; it knows
// no index syntax.
func Dotted(s string) Path {
	if s == "" {
		return nil
	}
	return At(strings.Split(s, ".")...)
}

// Index returns p followed by the list element i. It never changes p.
func (p Path) Index(i int) Path { return append(p[:len(p):len(p)], Step{Index: i}) }

// Name returns p followed by the nested name n. It never changes p.
func (p Path) Name(n string) Path { return append(p[:len(p):len(p)], Step{Name: n}) }

// String spells p as Terraform does: names joined by '.', indexes in
// brackets ("hetzner.local_prefixes[1]").
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.Name == "":
			b.WriteString("[" + strconv.Itoa(s.Index) + "]")
		case i > 0:
			b.WriteString("." + s.Name)
		default:
			b.WriteString(s.Name)
		}
	}
	return b.String()
}

// Error is one problem with one input.
type Error struct {
	// Path is the input at fault; empty when the problem is not tied to one.
	Path Path
	// Message says what is wrong and what to do about it, without the path.
	Message string
	// Err is the cause, when there is one (an SDK error); its text follows
	// Message and errors.As finds it.
	Err error
}

// New returns an *Error on p with a formatted message.
func New(p Path, format string, args ...any) *Error {
	return &Error{Path: p, Message: fmt.Sprintf(format, args...)}
}

// Detail is the message with the cause, without the path: what a
// diagnostic shows under an attribute Terraform already names.
func (e *Error) Detail() string {
	switch {
	case e.Err == nil:
		return e.Message
	case e.Message == "":
		return e.Err.Error()
	}
	return e.Message + ": " + e.Err.Error()
}

// Error puts the path first, so plain-text logs still point at the culprit.
func (e *Error) Error() string {
	if len(e.Path) == 0 {
		return e.Detail()
	}
	return e.Path.String() + ": " + e.Detail()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Join returns the problems as one error (nil for none), in order.
func Join(errs []*Error) error {
	if len(errs) == 0 {
		return nil
	}
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// Split lists the errors of an errors.Join tree, flattened and in order, so
// each problem becomes its own diagnostic; a single error is a list of one.
func Split(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, Split(e)...)
	}
	return out
}
