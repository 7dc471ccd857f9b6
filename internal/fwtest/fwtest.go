// Package fwtest is test support for the provider's Terraform plugin
// framework code: the checks that every schema, every diagnostic reading
// and every plan-time or example acceptance test of a data source would
// otherwise spell again in each package. Only tests import it.
//
// It must not import internal/provider: the packages whose in-package tests
// use it are registered by the provider, and that would be an import cycle.
// Acceptance tests therefore pass their own provider factories.
package fwtest

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	ephschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// DataSourceSchema returns ds's schema, failing t unless the framework
// accepts it (no diagnostics from Schema, ValidateImplementation clean).
func DataSourceSchema(t *testing.T, ds datasource.DataSource) dsschema.Schema {
	t.Helper()
	var resp datasource.SchemaResponse
	ds.Schema(context.Background(), datasource.SchemaRequest{}, &resp)
	return valid(t, resp.Schema, resp.Diagnostics)
}

// EphemeralSchema is DataSourceSchema for an ephemeral resource.
func EphemeralSchema(t *testing.T, e ephemeral.EphemeralResource) ephschema.Schema {
	t.Helper()
	var resp ephemeral.SchemaResponse
	e.Schema(context.Background(), ephemeral.SchemaRequest{}, &resp)
	return valid(t, resp.Schema, resp.Diagnostics)
}

// ProviderSchema is DataSourceSchema for the provider block.
func ProviderSchema(t *testing.T, p provider.Provider) pschema.Schema {
	t.Helper()
	var resp provider.SchemaResponse
	p.Schema(context.Background(), provider.SchemaRequest{}, &resp)
	return valid(t, resp.Schema, resp.Diagnostics)
}

// valid is the check the three share: what a Schema method reported, then
// the framework's own validation of the schema it built.
func valid[S interface {
	ValidateImplementation(context.Context) diag.Diagnostics
}](t *testing.T, s S, d diag.Diagnostics) S {
	t.Helper()
	if d.HasError() {
		t.Fatalf("schema diagnostics: %v", d)
	}
	if d := s.ValidateImplementation(context.Background()); d.HasError() {
		t.Fatalf("schema implementation: %v", d)
	}
	return s
}

// ErrorsByPath renders the errors among diags as "path: detail" (path
// "<none>" for an error on no attribute), the form tests match on.
func ErrorsByPath(diags diag.Diagnostics) []string {
	var out []string
	for _, d := range diags.Errors() {
		p := "<none>"
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			p = wp.Path().String()
		}
		out = append(out, p+": "+d.Detail())
	}
	return out
}

// ErrorPrefixes fails t unless the errors among diags, as ErrorsByPath
// renders them, are exactly as many as want and each starts with its want
// (the path and the beginning of the message), in order.
func ErrorPrefixes(t *testing.T, diags diag.Diagnostics, want []string) {
	t.Helper()
	got := ErrorsByPath(diags)
	if len(got) != len(want) {
		t.Fatalf("got errors %q, want %q", got, want)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], w)
		}
	}
}

// Factories serve the provider (and any helper provider) to an acceptance
// test, as resource.TestCase.ProtoV6ProviderFactories.
type Factories = map[string]func() (tfprotov6.ProviderServer, error)

// Refusal is a configuration Terraform must refuse at plan time with an
// error matching Want (a regexp; write \s+ between words, because Terraform
// wraps long lines).
type Refusal struct {
	Name, Config, Want string
}

// RefusedAtPlan runs each refusal as its own parallel, plan-only
// acceptance test: a rule broken in the configuration fails the plan,
// before anything is applied.
func RefusedAtPlan(t *testing.T, f Factories, refusals []Refusal) {
	t.Helper()
	for _, r := range refusals {
		t.Run(r.Name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: f,
				Steps: []resource.TestStep{{
					Config:      r.Config,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(r.Want),
				}},
			})
		})
	}
}

// Example applies a registry example file as is (with vars, which may be
// nil) and checks the values of its outputs, so the docs never show a
// configuration that fails or values it does not produce.
func Example(t *testing.T, f Factories, file string, vars config.Variables, outputs map[string]knownvalue.Check) {
	t.Helper()
	example, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var checks []statecheck.StateCheck
	for name, v := range outputs {
		checks = append(checks, statecheck.ExpectKnownOutputValue(name, v))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: f,
		Steps: []resource.TestStep{{
			Config:            string(example),
			ConfigVariables:   vars,
			ConfigStateChecks: checks,
		}},
	})
}
