// Package ownership is the one rule by which crosscloud decides whether an
// object it finds under a name it wants is its own, for both clouds, and the
// one error it reports when it is not.
//
// Every step of a link looks its objects up by name before it creates them,
// so that a re-run (after a crash, a lost state file or a retried request)
// adopts what an earlier run made instead of making a second one. Looking up
// by name also finds objects that merely share the name, and adopting one of
// those would let the link rewrite it and `terraform destroy` delete it. So
// an object is the link's only if it carries both marks:
//
//   - the managed-by marker (ManagedBy), which keeps us off objects that
//     another tool or a person made and that happen to carry a colliding
//     name or even a copied link tag;
//   - the link mark naming this link, which keeps two links (two workspaces,
//     two projects sharing a subscription) off each other's objects.
//
// The package is pure: the adapters read the marks from Hetzner labels or
// Azure tags and hand them in as Marks; it imports nothing from the project,
// the SDKs or Terraform.
package ownership

import (
	"fmt"
	"strings"
)

// ManagedBy is the value of the managed-by mark (a Hetzner label, an Azure
// tag) on every object crosscloud creates.
const ManagedBy = "terraform-provider-crosscloud"

// Marks are an object's two ownership marks as found on it; a missing mark
// is "".
type Marks struct {
	// ManagedBy is the value of the managed-by mark.
	ManagedBy string
	// Link is the value of the link mark: the link that created the object.
	Link string
}

// Of returns the marks crosscloud gives every object of link.
func Of(link string) Marks { return Marks{ManagedBy: ManagedBy, Link: link} }

// Owner is the crosscloud link that owns an object with these marks: the
// link they name when the managed-by marker is there too, else "" (an
// object crosscloud did not create, whatever its link mark says).
func (m Marks) Owner() string {
	if m.ManagedBy != ManagedBy {
		return ""
	}
	return m.Link
}

// Owned reports whether link may adopt or change an object with marks m. An
// empty link owns nothing, so a caller that lost the link's name cannot
// take over an unmarked object.
func Owned(m Marks, link string) bool { return link != "" && m.Owner() == link }

// Object is the object found under the name a link wants.
type Object struct {
	// Kind names the cloud and the type, as a user reads it: "Hetzner
	// firewall", "Azure public IP".
	Kind string
	// Name is the object's name; ID the cloud's ID for it.
	Name, ID string
	// Marks says how this cloud marks an object as a link's, for the
	// message ("the labels a=b and c=d"); "" leaves it out.
	Marks string
}

// Check returns nil when link may adopt the object, and otherwise an
// *Error that says whose it is and what to do.
func Check(obj Object, m Marks, link string) error {
	if Owned(m, link) {
		return nil
	}
	return &Error{Kind: obj.Kind, Name: obj.Name, ID: obj.ID, Link: link, Owner: m.Owner(), Marks: obj.Marks}
}

// Error says that an object with the name a link wants exists and is not
// that link's. It is permanent: retrying cannot help, the user has to
// change the link's name or remove the object.
type Error struct {
	Kind, Name, ID string
	// Link is the link that wants the object.
	Link string
	// Owner is the crosscloud link the object belongs to; "" when
	// crosscloud did not create it.
	Owner string
	// Marks, when set, says how the cloud marks a link's objects.
	Marks string
}

// Error says what was found, whose it is, and what to do about it.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", e.Kind, e.Name)
	if e.ID != "" {
		fmt.Fprintf(&b, " (ID %s)", e.ID)
	}
	if e.Owner != "" {
		fmt.Fprintf(&b, " already exists and belongs to crosscloud link %q, not to link %q. "+
			"Rename link %q, or destroy link %q first (if its Terraform state is lost, "+
			"`terraform import` it by <hetzner_network_id>:<azure_connection_id>, then destroy it); "+
			"crosscloud never takes over another link's objects",
			e.Owner, e.Link, e.Link, e.Owner)
		return b.String()
	}
	fmt.Fprintf(&b, " already exists and was not created by crosscloud link %q", e.Link)
	if e.Marks != "" {
		fmt.Fprintf(&b, " (it lacks %s)", e.Marks)
	}
	fmt.Fprintf(&b, ". Rename the link, or delete or rename that %s; crosscloud never takes over objects it did not create", e.Kind)
	return b.String()
}
