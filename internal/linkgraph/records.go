package linkgraph

import (
	"fmt"
	"slices"
)

// Done is the node of RecordGraph that waits for every step no other step
// waits for: the end of a create.
const Done = "done"

// Check refuses a declaration the runner could not run: a duplicate name,
// a dependency that is not declared, or a cycle (which would deadlock).
func Check(steps []Step) error {
	seen := map[string]bool{}
	for _, s := range steps {
		if seen[s.Name] {
			return fmt.Errorf("linkgraph: step %q declared twice", s.Name)
		}
		seen[s.Name] = true
	}
	for _, s := range steps {
		for _, d := range s.Deps {
			if !seen[d] {
				return fmt.Errorf("linkgraph: step %q depends on %q, which is not declared", s.Name, d)
			}
		}
	}
	state := map[string]int{} // 1 visiting, 2 done
	deps := map[string][]string{}
	for _, s := range steps {
		deps[s.Name] = s.Deps
	}
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("linkgraph: step %q depends on itself through its dependencies", n)
		case 2:
			return nil
		}
		state[n] = 1
		for _, d := range deps[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	for _, s := range steps {
		if err := visit(s.Name); err != nil {
			return err
		}
	}
	return nil
}

// RecordGraph turns the step graph into the graph of emulator records the
// bench weighs: each record name with the records it must wait for. A
// step's first stage waits for the last records of its dependencies (a
// dependency without records passes its own dependencies through); each
// later stage waits for the one before; Done waits for the steps nothing
// waits for. Dependencies implied by another dependency are dropped, so the
// critical path names only the operations that really wait for each other.
// Two steps leaving records of one name share a node (their dependencies
// are merged). steps must pass Check.
func RecordGraph(steps []Step) map[string][]string {
	g := map[string][]string{}
	add := func(node string, deps []string) {
		cur := g[node]
		for _, d := range deps {
			if !slices.Contains(cur, d) {
				cur = append(cur, d)
			}
		}
		g[node] = cur
	}
	tails := map[string][]string{}
	var tailsOf func(name string) []string
	byName := map[string]Step{}
	for _, s := range steps {
		byName[s.Name] = s
	}
	tailsOf = func(name string) []string {
		if t, ok := tails[name]; ok {
			return t
		}
		s := byName[name]
		var t []string
		if len(s.Records) > 0 {
			t = s.Records[len(s.Records)-1]
		} else {
			for _, d := range s.Deps {
				for _, n := range tailsOf(d) {
					if !slices.Contains(t, n) {
						t = append(t, n)
					}
				}
			}
		}
		tails[name] = t
		return t
	}
	waitedFor := map[string]bool{}
	for _, s := range steps {
		for _, d := range s.Deps {
			waitedFor[d] = true
		}
		var before []string
		for _, d := range s.Deps {
			before = append(before, tailsOf(d)...)
		}
		for _, stage := range s.Records {
			for _, r := range stage {
				add(r, before)
			}
			before = stage
		}
	}
	var ends []string
	for _, s := range steps {
		if !waitedFor[s.Name] {
			ends = append(ends, tailsOf(s.Name)...)
		}
	}
	add(Done, ends)
	for n, deps := range g {
		g[n] = reduce(g, deps)
	}
	return g
}

// reduce drops from deps every node another member of deps already waits
// for, directly or not.
func reduce(g map[string][]string, deps []string) []string {
	var out []string
	for _, d := range deps {
		implied := false
		for _, e := range deps {
			if e != d && reaches(g, e, d) {
				implied = true
				break
			}
		}
		if !implied {
			out = append(out, d)
		}
	}
	return out
}

// reaches reports whether from waits for to, directly or not.
func reaches(g map[string][]string, from, to string) bool {
	for _, d := range g[from] {
		if d == to || reaches(g, d, to) {
			return true
		}
	}
	return false
}
