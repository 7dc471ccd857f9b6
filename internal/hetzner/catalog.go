package hetzner

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

// OrderProblem is why a server cannot be ordered as specified. Attribute is
// the spec field to change: "location", "server_type" or "image".
type OrderProblem struct {
	Attribute string
	Message   string
}

func (p *OrderProblem) Error() string { return p.Message }

// Catalogue is what Hetzner offers, read once: locations, server types with
// their per-location availability and deprecation, and, per architecture,
// the system images.
type Catalogue struct {
	Locations   []*hcloud.Location
	ServerTypes []*hcloud.ServerType
	// Image is the image asked for (nil: none of that name for the
	// architecture); Images the names of the system images for it.
	Image  *hcloud.Image
	Images []string
}

// CheckOrderable checks, with reads only, that a server of serverType with
// image can be ordered in location now: the location exists, the type is
// offered there, available (not out of capacity) and not deprecated past its
// unavailable_after date, and the image exists for the type's architecture
// and is not deprecated past its date. Since 2025-09-24 availability and
// deprecation are per location (server_type.locations[]; hcloud-go v2.25,
// v2.38), and images carry deprecation info since hcloud-go v2.48.
//
// A refusal is an *OrderProblem naming the attribute and listing what is
// offered instead; a deprecation that is not in force yet is a warning. Any
// other error is the API's.
func CheckOrderable(ctx context.Context, c *hcloud.Client, location, serverType, image string) (warnings []string, err error) {
	cat, err := ReadCatalogue(ctx, c, serverType, image)
	if err != nil {
		return nil, err
	}
	return cat.Judge(location, serverType, image, time.Now())
}

// ReadCatalogue reads locations, server types and the image (for the
// architecture of serverType) in a few paged calls.
func ReadCatalogue(ctx context.Context, c *hcloud.Client, serverType, image string) (*Catalogue, error) {
	cat := &Catalogue{}
	err := Retry(ctx, "read the Hetzner catalogue", func(ctx context.Context) error {
		var err error
		if cat.Locations, err = c.Location.All(ctx); err != nil {
			return err
		}
		cat.ServerTypes, err = c.ServerType.All(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the Hetzner catalogue: %w", err)
	}
	arch := hcloud.ArchitectureX86
	if st := cat.serverType(serverType); st != nil {
		arch = st.Architecture
	}
	err = Retry(ctx, "read the Hetzner images", func(ctx context.Context) error {
		var err error
		if cat.Image, _, err = c.Image.GetForArchitecture(ctx, image, arch); err != nil || cat.Image != nil {
			return err
		}
		all, err := c.Image.AllWithOpts(ctx, hcloud.ImageListOpts{Type: []hcloud.ImageType{hcloud.ImageTypeSystem},
			Architecture: []hcloud.Architecture{arch}})
		cat.Images = nil
		for _, img := range all {
			if !slices.Contains(cat.Images, img.Name) && !pastDate(img.IsDeprecated(), img.UnavailableAfter(), time.Now()) {
				cat.Images = append(cat.Images, img.Name)
			}
		}
		slices.Sort(cat.Images)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read the Hetzner images: %w", err)
	}
	return cat, nil
}

func (cat *Catalogue) serverType(name string) *hcloud.ServerType {
	i := slices.IndexFunc(cat.ServerTypes, func(st *hcloud.ServerType) bool { return st.Name == name })
	if i < 0 {
		return nil
	}
	return cat.ServerTypes[i]
}

func pastDate(deprecated bool, after, now time.Time) bool {
	return deprecated && !now.Before(after)
}

// Offered lists the server types that can be ordered in location now,
// grouped by architecture: "x86: cpx12, cpx22; arm: cax11".
func (cat *Catalogue) Offered(location string) string {
	byArch := map[hcloud.Architecture][]string{}
	for _, st := range cat.ServerTypes {
		i := slices.IndexFunc(st.Locations, func(l hcloud.ServerTypeLocation) bool { return l.Location != nil && l.Location.Name == location })
		if i < 0 || !st.Locations[i].Available || st.Locations[i].IsDeprecated() || st.IsDeprecated() {
			continue
		}
		byArch[st.Architecture] = append(byArch[st.Architecture], st.Name)
	}
	var parts []string
	for _, arch := range []hcloud.Architecture{hcloud.ArchitectureX86, hcloud.ArchitectureARM} {
		if names := byArch[arch]; len(names) > 0 {
			slices.Sort(names)
			parts = append(parts, string(arch)+": "+strings.Join(names, ", "))
		}
	}
	if len(parts) == 0 {
		return "none right now"
	}
	return strings.Join(parts, "; ")
}

// Judge applies CheckOrderable's rules to the catalogue at time now.
func (cat *Catalogue) Judge(location, serverType, image string, now time.Time) (warnings []string, err error) {
	var names []string
	for _, l := range cat.Locations {
		names = append(names, l.Name)
	}
	slices.Sort(names)
	if !slices.Contains(names, location) {
		return nil, &OrderProblem{"location", fmt.Sprintf("%q is not a Hetzner location; the locations are %s", location, strings.Join(names, ", "))}
	}
	offered := func() string { return fmt.Sprintf("offered in %s now: %s", location, cat.Offered(location)) }
	st := cat.serverType(serverType)
	if st == nil {
		return nil, &OrderProblem{"server_type", fmt.Sprintf("Hetzner has no server type %q (types that were removed from sale "+
			"disappear from the API, e.g. cx22 and the other CX gen-2 types in 2026); %s", serverType, offered())}
	}
	i := slices.IndexFunc(st.Locations, func(l hcloud.ServerTypeLocation) bool { return l.Location != nil && l.Location.Name == location })
	if i < 0 {
		return nil, &OrderProblem{"server_type", fmt.Sprintf("server type %s is not offered in %s; %s", serverType, location, offered())}
	}
	loc := st.Locations[i]
	// The type-wide deprecation is being phased out in favour of the
	// per-location one (hcloud-go schema/server_type.go); honour both.
	for _, d := range []hcloud.DeprecatableResource{st.DeprecatableResource, loc.DeprecatableResource} {
		if !d.IsDeprecated() {
			continue
		}
		if pastDate(true, d.UnavailableAfter(), now) {
			return nil, &OrderProblem{"server_type", fmt.Sprintf("server type %s is deprecated in %s and can no longer be ordered there "+
				"(unavailable after %s); %s", serverType, location, d.UnavailableAfter().Format(time.DateOnly), offered())}
		}
		warnings = append(warnings, fmt.Sprintf("server type %s is deprecated in %s and can be ordered only until %s; "+
			"a later replacement of the gateway server will fail then. %s", serverType, location, d.UnavailableAfter().Format(time.DateOnly), offered()))
	}
	if !loc.Available {
		return nil, &OrderProblem{"server_type", fmt.Sprintf("server type %s is currently not available in %s (Hetzner reports "+
			"available = false, usually for lack of capacity); %s", serverType, location, offered())}
	}
	switch img := cat.Image; {
	case img == nil:
		return nil, &OrderProblem{"image", fmt.Sprintf("Hetzner has no image %q for %s (the architecture of %s); system images for %s: %s",
			image, st.Architecture, serverType, st.Architecture, strings.Join(cat.Images, ", "))}
	case pastDate(img.IsDeprecated(), img.UnavailableAfter(), now):
		return nil, &OrderProblem{"image", fmt.Sprintf("image %s is deprecated and can no longer be used for new servers (unavailable after %s)",
			image, img.UnavailableAfter().Format(time.DateOnly))}
	case img.IsDeprecated():
		warnings = append(warnings, fmt.Sprintf("image %s is deprecated and can be used for new servers only until %s",
			image, img.UnavailableAfter().Format(time.DateOnly)))
	}
	return warnings, nil
}
