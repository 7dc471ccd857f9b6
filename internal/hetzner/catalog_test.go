package hetzner

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// A hand-made catalogue: what Judge decides from it is pure logic.
func testCatalogue(image *hcloud.Image) *Catalogue {
	loc := func(n string) *hcloud.Location { return &hcloud.Location{Name: n} }
	at := func(n string, available bool, unavailableAfter *time.Time) hcloud.ServerTypeLocation {
		l := hcloud.ServerTypeLocation{Location: loc(n), Available: available}
		if unavailableAfter != nil {
			l.Deprecation = &hcloud.DeprecationInfo{Announced: unavailableAfter.AddDate(0, -3, 0), UnavailableAfter: *unavailableAfter}
		}
		return l
	}
	past := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	future := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return &Catalogue{
		Locations: []*hcloud.Location{loc("nbg1"), loc("ash")},
		ServerTypes: []*hcloud.ServerType{
			{Name: "cx23", Architecture: hcloud.ArchitectureX86, Locations: []hcloud.ServerTypeLocation{at("nbg1", true, nil)}},
			{Name: "cpx22", Architecture: hcloud.ArchitectureX86, Locations: []hcloud.ServerTypeLocation{at("nbg1", true, nil), at("ash", false, nil)}},
			{Name: "cpx11", Architecture: hcloud.ArchitectureX86, Locations: []hcloud.ServerTypeLocation{at("nbg1", false, &past), at("ash", false, &past)}},
			{Name: "cpx12", Architecture: hcloud.ArchitectureX86, Locations: []hcloud.ServerTypeLocation{at("nbg1", true, &future), at("ash", true, nil)}},
			{Name: "cax11", Architecture: hcloud.ArchitectureARM, Locations: []hcloud.ServerTypeLocation{at("nbg1", true, nil)}},
		},
		Image:  image,
		Images: []string{"debian-12", "ubuntu-24.04"},
	}
}

func TestJudge(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	debian := &hcloud.Image{Name: "debian-12"}
	oldImage := &hcloud.Image{Name: "ubuntu-20.04", DeprecatableResource: hcloud.DeprecatableResource{
		Deprecation: &hcloud.DeprecationInfo{UnavailableAfter: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}}}
	soonImage := &hcloud.Image{Name: "debian-11", DeprecatableResource: hcloud.DeprecatableResource{
		Deprecation: &hcloud.DeprecationInfo{UnavailableAfter: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}}}
	tests := []struct {
		name           string
		loc, typ       string
		image          *hcloud.Image
		attr           string   // "" = orderable
		want           []string // phrases of the problem or of the warning
		warnings       int
		offeredInError bool
	}{
		{name: "orderable", loc: "nbg1", typ: "cx23", image: debian},
		{name: "unknown location", loc: "mars1", typ: "cx23", image: debian, attr: "location",
			want: []string{`"mars1" is not a Hetzner location`, "ash, nbg1"}},
		{name: "removed type", loc: "nbg1", typ: "cx22", image: debian, attr: "server_type",
			want: []string{`no server type "cx22"`, "offered in nbg1 now: x86: cpx22, cx23; arm: cax11"}},
		{name: "not offered in the location", loc: "ash", typ: "cx23", image: debian, attr: "server_type",
			want: []string{"cx23 is not offered in ash", "offered in ash now: x86: cpx12"}},
		{name: "deprecated past its date", loc: "ash", typ: "cpx11", image: debian, attr: "server_type",
			want: []string{"cpx11 is deprecated in ash and can no longer be ordered", "2025-12-31"}},
		{name: "out of capacity", loc: "ash", typ: "cpx22", image: debian, attr: "server_type",
			want: []string{"currently not available in ash", "available = false"}},
		{name: "deprecated later: a warning", loc: "nbg1", typ: "cpx12", image: debian, warnings: 1,
			want: []string{"only until 2030-01-01"}},
		{name: "no such image for the architecture", loc: "nbg1", typ: "cax11", image: nil, attr: "image",
			want: []string{`no image "windows-95" for arm`, "debian-12, ubuntu-24.04"}},
		{name: "image past its date", loc: "nbg1", typ: "cx23", image: oldImage, attr: "image",
			want: []string{"ubuntu-20.04 is deprecated and can no longer be used", "2026-06-01"}},
		{name: "image deprecated later: a warning", loc: "nbg1", typ: "cx23", image: soonImage, warnings: 1,
			want: []string{"debian-11 is deprecated", "until 2027-06-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "windows-95"
			if tt.image != nil {
				name = tt.image.Name
			}
			warnings, err := testCatalogue(tt.image).Judge(tt.loc, tt.typ, name, now)
			text := strings.Join(warnings, "\n")
			if tt.attr == "" {
				if err != nil || len(warnings) != tt.warnings {
					t.Fatalf("Judge = %v, %q; want orderable with %d warnings", err, warnings, tt.warnings)
				}
			} else {
				var op *OrderProblem
				if !errors.As(err, &op) || op.Attribute != tt.attr {
					t.Fatalf("Judge = %v, want a problem on %s", err, tt.attr)
				}
				text = err.Error()
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q lacks %q", text, w)
				}
			}
		})
	}
}

// Against the emulator's catalogue, read through hcloud-go as on the real
// API: the link's defaults are orderable in every location.
func TestCheckOrderableAgainstTheAPI(t *testing.T) {
	e := newEmu(t, 0.0001)
	for _, loc := range []string{"fsn1", "nbg1", "hel1", "ash", "hil", "sin"} {
		if w, err := CheckOrderable(tctx(t), e.c, loc, "cpx22", "debian-12"); err != nil || len(w) != 0 {
			t.Errorf("cpx22 / debian-12 in %s: %v %q", loc, err, w)
		}
	}
	_, err := CheckOrderable(tctx(t), e.c, "ash", "cx22", "debian-12")
	var op *OrderProblem
	if !errors.As(err, &op) || op.Attribute != "server_type" || !strings.Contains(err.Error(), "cpx22") || strings.Contains(err.Error(), " cx23") {
		t.Fatalf("cx22 in ash: %v; want a server_type problem offering cpx22, not the EU-only cx23", err)
	}
	_, err = CheckOrderable(tctx(t), e.c, "nbg1", "cax11", "windows-95")
	if !errors.As(err, &op) || op.Attribute != "image" || !strings.Contains(err.Error(), "debian-13") {
		t.Fatalf("unknown image: %v", err)
	}
}
