package ipseclink_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/ipseclink"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/linkgraph"
)

// A fresh create against the emulator runs exactly the declared graph:
// every step of linkgraph.Steps starts and finishes once, none that is not
// declared runs, and each starts only after all its declared dependencies
// finished. If converge and the declaration drift apart (a step added to
// one only, or a dependency converge does not honour), this fails; the
// bench's critical path reads the same declaration (internal/harness).
//
// Not parallel: the tracer hears every converge of the process, and Go
// runs parallel tests only after the serial ones.
func TestAccConvergeRunsTheDeclaredGraph(t *testing.T) {
	s := newSite(t)
	const link = "traced-link"
	var mu sync.Mutex
	var events []string // "start <step>" / "end <step>", in order
	stop := ipseclink.TraceSteps(func(l, step string, finished bool) {
		if l != link {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if finished {
			events = append(events, "end "+step)
		} else {
			events = append(events, "start "+step)
		}
	})
	defer stop()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy:             s.checkDestroyed(t),
		Steps: []resource.TestStep{{
			Config: strings.Replace(s.config(""), `name = "hel1-weu"`, fmt.Sprintf("name = %q", link), 1),
			Check: func(*terraform.State) error {
				mu.Lock()
				defer mu.Unlock()
				return checkTrace(events)
			},
		}},
	})
}

// checkTrace holds a traced converge to linkgraph.Steps.
func checkTrace(events []string) error {
	at := map[string]int{}
	for i, e := range events {
		if _, seen := at[e]; seen {
			return fmt.Errorf("%q happened twice: %v", e, events)
		}
		at[e] = i
	}
	var declared []string
	for _, st := range linkgraph.Steps {
		declared = append(declared, st.Name)
		start, ok := at["start "+st.Name]
		if !ok {
			return fmt.Errorf("declared step %q never started: %v", st.Name, events)
		}
		if _, ok := at["end "+st.Name]; !ok {
			return fmt.Errorf("declared step %q never finished: %v", st.Name, events)
		}
		for _, d := range st.Deps {
			if end := at["end "+d]; end > start {
				return fmt.Errorf("step %q started before its dependency %q finished: %v", st.Name, d, events)
			}
		}
	}
	for e := range at {
		if name := e[strings.Index(e, " ")+1:]; !slices.Contains(declared, name) {
			return fmt.Errorf("step %q ran but is not declared", name)
		}
	}
	return nil
}
