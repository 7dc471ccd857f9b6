package hetzner

import (
	"fmt"
	"maps"
)

// Ownership labels. Every Hetzner object a link creates carries both, so a
// re-run (after a crash, a lost state or a retried POST) finds and adopts
// its own objects by name instead of creating a second one, and never takes
// over an object someone else created under the same name.
const (
	// LabelLink names the crosscloud_ipsec_link that owns the object.
	LabelLink = "crosscloud.dev/link"
	// LabelManagedBy marks objects created by this provider.
	LabelManagedBy = "crosscloud.dev/managed-by"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "terraform-provider-crosscloud"
)

// Labels returns the ownership labels for link, for callers that build a
// spec; add further labels to the returned map as needed.
func Labels(link string) map[string]string {
	return map[string]string{LabelLink: link, LabelManagedBy: ManagedBy}
}

// Owned reports whether an object's labels carry the ownership marks that
// want (a spec's labels) asks for: the same LabelLink value and
// LabelManagedBy = ManagedBy. A spec without a LabelLink never owns
// anything, so a caller that forgot the labels cannot adopt a stranger's
// object.
func Owned(want, got map[string]string) bool {
	link, ok := want[LabelLink]
	if !ok || link == "" {
		return false
	}
	return got[LabelLink] == link && got[LabelManagedBy] == ManagedBy
}

// ForeignError reports that an object with the name an ensure step wants
// exists but is not ours. It is not retried: the user has to rename or
// delete that object, or label it to hand it over.
type ForeignError struct {
	Kind, Name string
	ID         int64
	Link       string
	Labels     map[string]string
}

// Error says what was found, why it is refused and what to do.
func (e *ForeignError) Error() string {
	return fmt.Sprintf("a Hetzner %s named %q already exists (id %d) and is not managed by link %q "+
		"(it lacks the labels %s=%s and %s=%s). Rename or delete that %s, or choose another link name; "+
		"crosscloud never takes over objects it did not create",
		e.Kind, e.Name, e.ID, e.Link, LabelLink, e.Link, LabelManagedBy, ManagedBy, e.Kind)
}

// adopt decides what an ensure step does with an object found by name:
// adopt it when it carries our marks, refuse it otherwise.
func adopt(kind, name string, id int64, want, got map[string]string) error {
	if Owned(want, got) {
		return nil
	}
	return &ForeignError{Kind: kind, Name: name, ID: id, Link: want[LabelLink], Labels: maps.Clone(got)}
}
