package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/harness"
)

const testReleaseVersion = "9.8.7"

// agents records the User-Agent of every request, by cloud.
type agents struct {
	mu     sync.Mutex
	byPath map[string][]string // "hcloud" or "azure" -> User-Agents
}

func (a *agents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cloud, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	a.mu.Lock()
	a.byPath[cloud] = append(a.byPath[cloud], r.Method+" "+r.URL.Path+" UA="+r.Header.Get("User-Agent"))
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case cloud == "hcloud" && strings.HasSuffix(r.URL.Path, "/networks/42"):
		fmt.Fprint(w, `{"network":{"id":42,"name":"net","ip_range":"10.0.0.0/12","subnets":[{"type":"cloud","ip_range":"10.0.1.0/24","network_zone":"eu-central","gateway":"10.0.0.1"}],"routes":[],"servers":[],"load_balancers":[],"labels":{},"protection":{"delete":false},"created":"2024-01-01T00:00:00Z"}}`)
	case cloud == "hcloud" && strings.HasSuffix(r.URL.Path, "/locations"):
		_ = json.NewEncoder(w).Encode(schema.LocationListResponse{Locations: []schema.Location{{ID: 3, Name: "hel1", NetworkZone: "eu-central"}}})
	case cloud == "hcloud" && strings.HasSuffix(r.URL.Path, "/server_types"):
		// The plan checks the default server type is orderable there.
		_ = json.NewEncoder(w).Encode(schema.ServerTypeListResponse{ServerTypes: []schema.ServerType{{ID: 1, Name: "cpx22",
			Architecture: "x86", Locations: []schema.ServerTypeLocation{{ID: 3, Name: "hel1", Available: true}}}}})
	case cloud == "hcloud" && strings.HasSuffix(r.URL.Path, "/images"):
		_ = json.NewEncoder(w).Encode(schema.ImageListResponse{Images: []schema.Image{{ID: 1, Name: new("debian-12"), Type: "system", Architecture: "x86", Status: "available"}}})
	case cloud == "hcloud":
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"not_found","message":"not found"}}`)
	case strings.Contains(r.URL.Path, "/virtualNetworks/vnet"):
		fmt.Fprint(w, `{"id":"`+r.URL.Path[len("/azure"):]+`","name":"vnet","location":"westeurope","properties":{"provisioningState":"Succeeded","addressSpace":{"addressPrefixes":["10.1.0.0/16"]},"subnets":[]}}`)
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"ResourceNotFound","message":"not found"}}`)
	}
}

// A released provider names itself and its version to both clouds, so their
// API logs and support can tell crosscloud's requests apart (and which
// release made them). The provider is built with the release's ldflags and
// planned by the real CLI (terraform, or tofu in the OpenTofu pass) against
// loopback stand-ins for both APIs; the plan's live checks read the Hetzner
// network and the Azure VNet.
func TestAccReleaseBuildSendsItsVersionToBothClouds(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("TF_ACC not set: builds the provider and runs the terraform CLI")
	}
	ctx := context.Background()
	dir := t.TempDir()
	build := exec.CommandContext(ctx, "go", "build", "-ldflags", releaseLdflags(t, testReleaseVersion),
		"-o", filepath.Join(dir, harness.ProviderBinary), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	rec := &agents{byPath: map[string][]string{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()

	ws, err := harness.NewWorkspace(t.TempDir(), harness.Binaries{Dir: dir, Provider: filepath.Join(dir, harness.ProviderBinary)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Remove()
	const sub = "00000000-0000-0000-0000-000000000001"
	ws.Env = append(ws.Env, "HCLOUD_TOKEN=test-token", "HCLOUD_ENDPOINT="+srv.URL+"/hcloud/v1",
		"ARM_SUBSCRIPTION_ID="+sub, "ARM_ACCESS_TOKEN=test-token", "ARM_RESOURCE_MANAGER_ENDPOINT="+srv.URL+"/azure")
	if err := ws.WriteConfig(`terraform {
  required_providers {
    crosscloud = { source = "crosscloud-tf/crosscloud" }
  }
}
provider "crosscloud" {}
resource "crosscloud_ipsec_link" "ua" {
  name = "ua-check"
  hetzner = {
    network_id     = 42
    gateway_subnet = "10.0.1.0/24"
    location       = "hel1"
  }
  azure = {
    resource_group_name   = "rg"
    location              = "westeurope"
    virtual_network_id    = "/subscriptions/` + sub + `/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet"
    gateway_subnet_prefix = "10.1.255.0/27"
  }
}
`); err != nil {
		t.Fatal(err)
	}
	res := ws.Run(ctx, "plan")

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for cloud, want := range map[string]string{
		// hcloud-go: "<application>/<version> hcloud-go/<its version>".
		"hcloud": "terraform-provider-crosscloud/" + testReleaseVersion + " ",
		// azcore: "<ApplicationID> azsdk-go-<module>/<version> (<go>; <os>)".
		"azure": "crosscloud/" + testReleaseVersion + " ",
	} {
		reqs := rec.byPath[cloud]
		if len(reqs) == 0 {
			t.Errorf("the plan made no %s request, so nothing was checked; %s output:\n%s\n%s", cloud, ws.CLI.Command(), res.Stdout, res.Stderr)
		}
		for _, r := range reqs {
			if _, ua, _ := strings.Cut(r, " UA="); !strings.HasPrefix(ua, want) {
				t.Errorf("%s request %s: User-Agent does not start with %q", cloud, r, want)
			}
		}
	}
	if t.Failed() {
		return
	}
	if err := res.Err(); err != nil {
		t.Errorf("plan against the stand-in APIs failed (the User-Agents were right): %v", err)
	}
}

// The README and the registry docs name the OpenTofu version the OpenTofu
// pass of make test runs, the one pinned in tools/tofu/go.mod; bumping the
// pin without the statement (or the reverse) fails here.
func TestDocsStateTheTestedOpenTofu(t *testing.T) {
	mod, err := os.ReadFile("tools/tofu/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^require github\.com/opentofu/opentofu v(\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatal("tools/tofu/go.mod has no `require github.com/opentofu/opentofu vX.Y.Z` line")
	}
	want := "OpenTofu " + string(m[1])
	for _, f := range []string{"README.md", "templates/index.md.tmpl", "docs/index.md"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not state the tested %s", f, want)
		}
	}
}
