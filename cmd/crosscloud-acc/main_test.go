package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestPreflightRefuses: without consent or credentials the suite is never
// started, the exit is non-zero and every missing variable is named.
func TestPreflightRefuses(t *testing.T) {
	full := map[string]string{
		"CROSSCLOUD_ACC_REAL": "1", "HCLOUD_TOKEN": "t",
		"ARM_SUBSCRIPTION_ID": "s", "ARM_TENANT_ID": "x", "ARM_CLIENT_ID": "c", "ARM_CLIENT_SECRET": "p",
	}
	without := func(keys ...string) map[string]string {
		m := map[string]string{}
		for k, v := range full {
			m[k] = v
		}
		for _, k := range keys {
			delete(m, k)
		}
		return m
	}
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"empty", map[string]string{}, []string{"CROSSCLOUD_ACC_REAL=1", "HCLOUD_TOKEN", "ARM_SUBSCRIPTION_ID", "ARM_TENANT_ID", "ARM_CLIENT_SECRET", "ARM_OIDC_TOKEN", "ARM_ACCESS_TOKEN"}},
		{"no consent", without("CROSSCLOUD_ACC_REAL"), []string{"CROSSCLOUD_ACC_REAL=1"}},
		{"no hetzner token", without("HCLOUD_TOKEN"), []string{"HCLOUD_TOKEN"}},
		{"no subscription", without("ARM_SUBSCRIPTION_ID"), []string{"ARM_SUBSCRIPTION_ID"}},
		{"no tenant", without("ARM_TENANT_ID"), []string{"ARM_TENANT_ID"}},
		{"secret without client id", without("ARM_CLIENT_ID"), []string{"ARM_CLIENT_ID"}},
		{"oidc without token", func() map[string]string {
			m := without("ARM_CLIENT_SECRET")
			m["ARM_USE_OIDC"] = "true"
			return m
		}(), []string{"ARM_OIDC_TOKEN"}},
		{"two credentials", func() map[string]string { m := without(); m["ARM_ACCESS_TOKEN"] = "a"; return m }(), []string{"ARM_ACCESS_TOKEN", "ARM_CLIENT_SECRET"}},
		{"bad run label", func() map[string]string { m := without(); m["CROSSCLOUD_ACC_RUN"] = "Bad Label"; return m }(), []string{"CROSSCLOUD_ACC_RUN"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			started := false
			code := run(nil, envOf(c.env), &out, &errb, func([]string, io.Writer, io.Writer) int { started = true; return 0 })
			if code == 0 || started {
				t.Fatalf("exit %d, suite started %v; want a refusal", code, started)
			}
			for _, w := range c.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("refusal does not name %s:\n%s", w, errb.String())
				}
			}
			if strings.Contains(errb.String(), full["ARM_CLIENT_SECRET"]+"\n") || out.Len() > 0 {
				t.Errorf("a refusal prints only what is missing; stdout: %q", out.String())
			}
		})
	}
}

// TestPreflightAccepts: each credential the provider accepts lets the run
// start, and the plan printed first says what it creates, costs and takes.
func TestPreflightAccepts(t *testing.T) {
	base := map[string]string{"CROSSCLOUD_ACC_REAL": "1", "HCLOUD_TOKEN": "t", "ARM_SUBSCRIPTION_ID": "s", "ARM_TENANT_ID": "x"}
	creds := map[string]map[string]string{
		"client secret": {"ARM_CLIENT_ID": "c", "ARM_CLIENT_SECRET": "p"},
		"oidc":          {"ARM_USE_OIDC": "true", "ARM_CLIENT_ID": "c", "ARM_OIDC_TOKEN": "jwt"},
		"access token":  {"ARM_ACCESS_TOKEN": "a"},
	}
	for name, cred := range creds {
		t.Run(name, func(t *testing.T) {
			m := map[string]string{}
			for k, v := range base {
				m[k] = v
			}
			for k, v := range cred {
				m[k] = v
			}
			var out, errb bytes.Buffer
			var got []string
			code := run([]string{"-run", "X"}, envOf(m), &out, &errb, func(a []string, _, _ io.Writer) int { got = a; return 0 })
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if want := "test -count=1 -timeout 180m -v ./internal/acctest/... -run X"; strings.Join(got, " ") != want {
				t.Errorf("go %v, want go %s", got, want)
			}
			for _, w := range []string{"VpnGw1AZ", "cpx22", "per hour", "approximate", "50 minutes", "make sweep"} {
				if !strings.Contains(out.String(), w) {
					t.Errorf("plan does not mention %q:\n%s", w, out.String())
				}
			}
		})
	}
}
