package ipseclink

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/linkgraph"
)

// Every declared step has something to run and nothing runs that is not
// declared: the declaration is the graph converge runs.
func TestStepsHaveRuns(t *testing.T) {
	var declared []string
	for _, s := range linkgraph.Steps {
		declared = append(declared, s.Name)
	}
	slices.Sort(declared)
	if got := slices.Sorted(maps.Keys(stepRuns)); !slices.Equal(got, declared) {
		t.Errorf("stepRuns has %v, linkgraph.Steps declares %v", got, declared)
	}
}

// The runner refuses a step without a run function (rather than hang its
// dependents), starts a step only after its dependencies, and returns the
// first error after cancelling the steps still waiting.
func TestRunStepsOrderAndErrors(t *testing.T) {
	steps := []linkgraph.Step{{Name: "a"}, {Name: "b", Deps: []string{"a"}}, {Name: "c", Deps: []string{"b"}}}
	r := &linkRun{}
	if err := runSteps(context.Background(), steps, map[string]stepFunc{"a": nil}, r); err == nil || !strings.Contains(err.Error(), `"a" is declared but has no run`) {
		t.Errorf("a missing run function: err = %v", err)
	}
	var order []string
	rec := func(n string) stepFunc {
		return func(context.Context, *linkRun) error { order = append(order, n); return nil }
	}
	if err := runSteps(context.Background(), steps, map[string]stepFunc{"a": rec("a"), "b": rec("b"), "c": rec("c")}, r); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []string{"a", "b", "c"}) {
		t.Errorf("order = %v, want a, b, c", order)
	}
	boom := errors.New("boom")
	ran := false
	err := runSteps(context.Background(), steps, map[string]stepFunc{
		"a": func(context.Context, *linkRun) error { return boom },
		"b": rec("b"), "c": func(context.Context, *linkRun) error { ran = true; return nil },
	}, r)
	if !errors.Is(err, boom) || ran {
		t.Errorf("err = %v, c ran = %v; want boom and c never started", err, ran)
	}
	cyclic := []linkgraph.Step{{Name: "a", Deps: []string{"b"}}, {Name: "b", Deps: []string{"a"}}}
	if err := runSteps(context.Background(), cyclic, map[string]stepFunc{"a": rec("a"), "b": rec("b")}, r); err == nil {
		t.Error("a cyclic declaration must be refused, not deadlock")
	}
}
