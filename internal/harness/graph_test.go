package harness

import (
	"slices"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/linkgraph"
)

// The bench's critical path comes from the declaration converge runs: every
// record a declared step leaves is placed, and making any one step slow puts
// its records on the critical path, reached only through its declared
// dependencies.
func TestCriticalPathComesFromTheDeclaration(t *testing.T) {
	var all []Record
	for _, st := range linkgraph.Steps {
		for _, stage := range st.Records {
			for _, r := range stage {
				all = append(all, rec(r, 0, 1))
			}
		}
	}
	if u := Unplaced(all); len(u) != 0 {
		t.Errorf("records of declared steps outside the bench's graph: %v", u)
	}
	for _, st := range linkgraph.Steps {
		if len(st.Records) == 0 || st.Name == linkgraph.Connected {
			continue
		}
		slow := st.Records[0][0]
		recs := slices.Clone(all)
		for i := range recs {
			if recs[i].Step == slow {
				recs[i] = rec(slow, 0, 1000)
			}
		}
		_, path := CriticalPath(recs)
		if !slices.Contains(path, slow) {
			t.Errorf("step %s made slow (%s): critical path %v does not go through it", st.Name, slow, path)
		}
	}
}
