package main

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// goreleaserConfig is the part of .goreleaser.yml these tests read.
type goreleaserConfig struct {
	Builds []struct {
		Goos    []string        `yaml:"goos"`
		Goarch  []string        `yaml:"goarch"`
		Ldflags []string        `yaml:"ldflags"`
		Ignore  []ignoredTarget `yaml:"ignore"`
	} `yaml:"builds"`
}

// ignoredTarget is one entry of a build's ignore list; an empty field matches any.
type ignoredTarget struct {
	Goos   string `yaml:"goos"`
	Goarch string `yaml:"goarch"`
}

func readGoreleaser(t *testing.T) goreleaserConfig {
	t.Helper()
	b, err := os.ReadFile(".goreleaser.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg goreleaserConfig
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf(".goreleaser.yml: %v", err)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf(".goreleaser.yml: want one build, got %d", len(cfg.Builds))
	}
	return cfg
}

// releaseLdflags returns the linker flags .goreleaser.yml gives its build,
// with {{ .Version }} filled in: the test must build the provider the way a
// release does, or it would not notice a renamed or dropped -X flag.
func releaseLdflags(t *testing.T, version string) string {
	t.Helper()
	cfg := readGoreleaser(t)
	if len(cfg.Builds[0].Ldflags) == 0 {
		t.Fatal(".goreleaser.yml: the build has no ldflags, so releases would say version \"dev\"")
	}
	flags := strings.Join(cfg.Builds[0].Ldflags, " ")
	for _, v := range []string{"{{.Version}}", "{{ .Version }}"} {
		flags = strings.ReplaceAll(flags, v, version)
	}
	if strings.Contains(flags, "{{") {
		t.Fatalf("ldflags %q use a template field this test does not fill in", flags)
	}
	return flags
}

// Every platform the release builds must be one the Go toolchain in use
// can build, and the set must hold what the registries expect. Go 1.26
// removed windows/arm (golang/go#71671): goreleaser releases that still
// listed it failed with "unsupported GOOS/GOARCH pair windows/arm" (newer
// ones skip it silently). This checks the matrix without compiling it;
// TestReleaseSnapshot builds one target of it end to end.
func TestGoreleaserTargetsAreBuildable(t *testing.T) {
	b := readGoreleaser(t).Builds[0]
	out, err := exec.Command("go", "tool", "dist", "list").Output()
	if err != nil {
		t.Fatalf("go tool dist list: %v", err)
	}
	supported := strings.Fields(string(out))
	var targets []string
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			if slices.ContainsFunc(b.Ignore, func(i ignoredTarget) bool {
				return (i.Goos == "" || i.Goos == goos) && (i.Goarch == "" || i.Goarch == goarch)
			}) {
				continue
			}
			target := goos + "/" + goarch
			targets = append(targets, target)
			if !slices.Contains(supported, target) {
				t.Errorf(".goreleaser.yml builds %s, which %s cannot build: add it to ignore", target, runtime.Version())
			}
		}
	}
	// "Recommended provider binary operating systems and architectures"
	// (Terraform's publishing docs); linux/amd64 is the one HCP Terraform runs.
	for _, want := range []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "linux/arm", "linux/386", "windows/amd64", "freebsd/amd64"} {
		if !slices.Contains(targets, want) {
			t.Errorf(".goreleaser.yml does not build %s; targets: %v", want, targets)
		}
	}
}

// TestReleaseSnapshot runs the real goreleaser (GORELEASER, which .ci/run
// sets to the pinned build) over .goreleaser.yml as it is, narrowed to the
// host platform so CI compiles the provider once rather than for all 13
// platforms, and checks what the registries read: a zip holding exactly
// terraform-provider-crosscloud_v<version> (and LICENSE), and a SHA256SUMS whose lines
// match the zip and the registry manifest (shipped as _manifest.json).
// It takes about a minute with a warm build cache.
func TestReleaseSnapshot(t *testing.T) {
	gr := os.Getenv("GORELEASER")
	if gr == "" {
		t.Skip("GORELEASER is not set (.ci/run sets it to tools/tool.sh goreleaser)")
	}
	raw, err := os.ReadFile(".goreleaser.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	dist := filepath.Join(t.TempDir(), "dist")
	host := runtime.GOOS + "_" + runtime.GOARCH
	root := doc.Content[0]
	setKey(root, "dist", &yaml.Node{Kind: yaml.ScalarNode, Value: dist})
	build := mapValue(t, root, "builds").Content[0]
	// goreleaser builds `targets` instead of the goos x goarch matrix.
	setKey(build, "targets", &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: host}}})
	narrowed, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "goreleaser.yml")
	if err := os.WriteFile(cfg, narrowed, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gr, "release", "--snapshot", "--clean", "--skip=sign,publish", "--config", cfg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser release --snapshot: %v\n%s", err, out)
	}

	var meta struct {
		Version string `json:"version"`
	}
	if b, err := os.ReadFile(filepath.Join(dist, "metadata.json")); err != nil || json.Unmarshal(b, &meta) != nil || meta.Version == "" {
		t.Fatalf("dist/metadata.json: %v %s", err, b)
	}
	prefix := "terraform-provider-crosscloud_" + meta.Version
	sums := readSums(t, filepath.Join(dist, prefix+"_SHA256SUMS"))
	zipName := prefix + "_" + host + ".zip"
	if got, want := sums[zipName], fileSHA256(t, filepath.Join(dist, zipName)); got != want {
		t.Errorf("SHA256SUMS has %q for %s, want %s; lines: %v", got, zipName, want, sums)
	}
	if got, want := sums[prefix+"_manifest.json"], fileSHA256(t, "terraform-registry-manifest.json"); got != want {
		t.Errorf("SHA256SUMS has %q for the manifest, want the hash of terraform-registry-manifest.json %s", got, want)
	}
	if len(sums) != 2 {
		t.Errorf("SHA256SUMS lists %d files, want the zip and the manifest: %v", len(sums), sums)
	}
	z, err := zip.OpenReader(filepath.Join(dist, zipName))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	// The registries run the binary named terraform-provider-<name>_v<version>;
	// LICENSE goes with it because the MPL asks for its text to accompany the
	// program.
	slices.Sort(names)
	if want := []string{"LICENSE", "terraform-provider-crosscloud_v" + meta.Version}; !slices.Equal(names, want) {
		t.Errorf("%s holds %v; want exactly %v", zipName, names, want)
	}
}

func mapValue(t *testing.T, m *yaml.Node, key string) *yaml.Node {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	t.Fatalf(".goreleaser.yml has no %q", key)
	return nil
}

func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}

func readSums(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("%s: line %q is not \"<sha256>  <file>\"", path, line)
		}
		sums[f[1]] = f[0]
	}
	return sums
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
