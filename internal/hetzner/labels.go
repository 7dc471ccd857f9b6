package hetzner

import (
	"fmt"
	"strconv"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ownership"
)

// Ownership labels. Every Hetzner object a link creates carries both, so a
// re-run (after a crash, a lost state or a retried POST) finds and adopts
// its own objects by name instead of creating a second one, and never takes
// over an object someone else created under the same name. The rule that
// reads them is internal/ownership's, shared with the Azure adapter.
const (
	// LabelLink names the crosscloud_ipsec_link that owns the object.
	LabelLink = "crosscloud.dev/link"
	// LabelManagedBy marks objects created by this provider.
	LabelManagedBy = "crosscloud.dev/managed-by"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = ownership.ManagedBy
)

// Labels returns the ownership labels for link, for callers that build a
// spec; add further labels to the returned map as needed.
func Labels(link string) map[string]string {
	return map[string]string{LabelLink: link, LabelManagedBy: ManagedBy}
}

// marks reads the ownership marks from an object's labels.
func marks(labels map[string]string) ownership.Marks {
	return ownership.Marks{ManagedBy: labels[LabelManagedBy], Link: labels[LabelLink]}
}

// Owned reports whether an object's labels make it the object of the link
// that want (a spec's labels) names in LabelLink, by ownership.Owned. A
// spec without a LabelLink never owns anything, so a caller that forgot
// the labels cannot adopt a stranger's object.
func Owned(want, got map[string]string) bool {
	return ownership.Owned(marks(got), want[LabelLink])
}

// adopt decides what an ensure step does with an object found by name:
// adopt it when it carries our marks, refuse it (*ownership.Error)
// otherwise.
func adopt(kind, name string, id int64, want, got map[string]string) error {
	link := want[LabelLink]
	return ownership.Check(ownership.Object{
		Kind: "Hetzner " + kind, Name: name, ID: strconv.FormatInt(id, 10),
		Marks: fmt.Sprintf("the labels %s=%s and %s=%s", LabelLink, link, LabelManagedBy, ManagedBy),
	}, marks(got), link)
}
