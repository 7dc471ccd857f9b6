package hcloudsim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud/schema"
)

// The read-only catalogue. Names, cities and network zones are Hetzner's;
// IDs and sizes are the emulator's own and need not match production.
var locations = []schema.Location{
	{ID: 1, Name: "fsn1", Description: "Falkenstein DC Park 1", Country: "DE", City: "Falkenstein", Latitude: 50.47612, Longitude: 12.370071, NetworkZone: "eu-central"},
	{ID: 2, Name: "nbg1", Description: "Nuremberg DC Park 1", Country: "DE", City: "Nuremberg", Latitude: 49.452102, Longitude: 11.076665, NetworkZone: "eu-central"},
	{ID: 3, Name: "hel1", Description: "Helsinki DC Park 1", Country: "FI", City: "Helsinki", Latitude: 60.169855, Longitude: 24.938379, NetworkZone: "eu-central"},
	{ID: 4, Name: "ash", Description: "Ashburn, VA", Country: "US", City: "Ashburn, VA", Latitude: 39.045821, Longitude: -77.487073, NetworkZone: "us-east"},
	{ID: 5, Name: "hil", Description: "Hillsboro, OR", Country: "US", City: "Hillsboro, OR", Latitude: 45.54222, Longitude: -122.951924, NetworkZone: "us-west"},
	{ID: 6, Name: "sin", Description: "Singapore", Country: "SG", City: "Singapore", Latitude: 1.283333, Longitude: 103.833333, NetworkZone: "ap-southeast"},
}

var networkZones = []string{"eu-central", "us-east", "us-west", "ap-southeast"}

var (
	euLocations  = []string{"fsn1", "nbg1", "hel1"}
	allLocations = []string{"fsn1", "nbg1", "hel1", "ash", "hil", "sin"}
)

// serverTypeSpec is one server type of today's catalogue. Sources for the
// catalogue as a whole (docs/facts/hetzner.md, "Server types"):
//   - the CX gen-2 (cx22...cx52) and CPX gen-1 (cpx11...cpx51) types were
//     deprecated on 2025-10-16 and could not be ordered after 2025-12-31
//     (Hetzner changelog 2025-10-16-server-types-deprecated, quoted in
//     ansible-collections/hetzner.hcloud#718 and hetznercloud/cli#1211);
//   - cx22 and cx32 have since been removed from the API: "serverType is not
//     valid" (testflows/TestFlows-GitHub-Hetzner-Runners#96, 2026-01),
//     "Server Type not found: cx32" (Dakera-AI/dakera-deploy#187, 2026-06);
//   - cpx31 is still listed, deprecated per location: "Server Type "cpx31" is
//     unavailable in "fsn1" and can no longer be ordered" followed by
//     "unsupported location for server type (invalid_input)"
//     (Dakera-AI/dakera-deploy#185);
//   - the successors cx23/33/43/53 are offered in the EU locations only
//     (cx23 elsewhere: "unsupported location for server type", TestFlows#96),
//     cpx12/22/32/42/52/62 in every location (hetznercloud/terraform-provider-hcloud#1233
//     moved Hetzner's own e2e default to cpx22);
//   - per-location availability and deprecation live in
//     server_type.locations[] since hcloud-go v2.25 / v2.38 (changelog
//     2025-09-24-per-location-server-types, 2026-04-01-datacenter-deprecations).
//
// Cores, memory and disk are the emulator's own approximations.
type serverTypeSpec struct {
	id        int64
	name      string
	cores     int
	memory    float32
	disk      int
	arch      string
	cpu       string
	locations []string
	// deprecated marks a type deprecated in every location it is listed in,
	// with the announcement and unavailable_after dates below.
	deprecated bool
}

// The deprecation of the CPX gen-1 types (changelog 2025-10-16; "will no
// longer be available for order as of 2025-12-31", hcloud-talos/terraform-hcloud-talos#316).
var (
	gen1Announced   = time.Date(2025, 10, 16, 0, 0, 0, 0, time.UTC)
	gen1Unavailable = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
)

var serverTypeSpecs = []serverTypeSpec{
	{22, "cpx11", 2, 2, 40, "x86", "shared", allLocations, true},
	{23, "cpx21", 3, 4, 80, "x86", "shared", allLocations, true},
	{24, "cpx31", 4, 8, 160, "x86", "shared", allLocations, true},
	{25, "cpx41", 8, 16, 240, "x86", "shared", allLocations, true},
	{26, "cpx51", 16, 32, 360, "x86", "shared", allLocations, true},
	{45, "cax11", 2, 4, 40, "arm", "shared", euLocations, false},
	{93, "cax21", 4, 8, 80, "arm", "shared", euLocations, false},
	{94, "cax31", 8, 16, 160, "arm", "shared", euLocations, false},
	{95, "cax41", 16, 32, 320, "arm", "shared", euLocations, false},
	{96, "ccx13", 2, 8, 80, "x86", "dedicated", allLocations, false},
	{97, "ccx23", 4, 16, 160, "x86", "dedicated", allLocations, false},
	{98, "ccx33", 8, 32, 240, "x86", "dedicated", allLocations, false},
	{114, "cx23", 2, 4, 40, "x86", "shared", euLocations, false},
	{115, "cx33", 4, 8, 80, "x86", "shared", euLocations, false},
	{116, "cx43", 8, 16, 160, "x86", "shared", euLocations, false},
	{117, "cx53", 16, 32, 320, "x86", "shared", euLocations, false},
	{118, "cpx12", 1, 2, 40, "x86", "shared", allLocations, false},
	{119, "cpx22", 2, 4, 80, "x86", "shared", allLocations, false},
	{120, "cpx32", 4, 8, 160, "x86", "shared", allLocations, false},
	{121, "cpx42", 8, 16, 320, "x86", "shared", allLocations, false},
	{122, "cpx52", 12, 24, 480, "x86", "shared", allLocations, false},
	{123, "cpx62", 16, 32, 640, "x86", "shared", allLocations, false},
}

// schema renders the type as GET /server_types shows it. unavailable holds
// the locations where the project cannot order it right now (capacity, see
// Server.SetAvailable); a deprecated type is unavailable everywhere once its
// unavailable_after date has passed.
func (t serverTypeSpec) schema(now time.Time, unavailable func(typ, loc string) bool) schema.ServerType {
	st := schema.ServerType{
		ID: t.id, Name: t.name, Description: strings.ToUpper(t.name), Category: "shared", Cores: t.cores, Memory: t.memory,
		Disk: t.disk, StorageType: "local", CPUType: t.cpu, Architecture: t.arch, Prices: []schema.PricingServerTypePrice{},
	}
	if t.cpu == "dedicated" {
		st.Category = "dedicated"
	}
	for _, name := range t.locations {
		l, _ := locationByName(name)
		tl := schema.ServerTypeLocation{ID: l.ID, Name: l.Name, Available: true, Recommended: true}
		if t.deprecated {
			tl.Deprecation = &schema.DeprecationInfo{Announced: gen1Announced, UnavailableAfter: gen1Unavailable}
			tl.Recommended = false
			tl.Available = now.Before(gen1Unavailable)
		}
		if unavailable != nil && unavailable(t.name, l.Name) {
			tl.Available, tl.Recommended = false, false
		}
		st.Locations = append(st.Locations, tl)
	}
	return st
}

// orderable reports why t cannot be ordered in loc right now: "" when it
// can, "unsupported" when it is not offered there (or no longer, being
// deprecated past its date), "unavailable" when it is offered but out of
// capacity.
func (t serverTypeSpec) orderable(now time.Time, loc string, unavailable func(typ, loc string) bool) string {
	switch {
	case !slices.Contains(t.locations, loc), t.deprecated && !now.Before(gen1Unavailable):
		return "unsupported"
	case unavailable != nil && unavailable(t.name, loc):
		return "unavailable"
	}
	return ""
}

type imageSpec struct {
	id      int64
	name    string
	flavor  string
	version string
	arch    string
}

// imageSpecs are system images, one per name and architecture. debian-13 has
// been offered since 2025 (terraform-provider-hcloud#1233 moved its docs to
// the current Debian and Ubuntu images).
var imageSpecs = []imageSpec{
	{114690387, "debian-12", "debian", "12", "x86"},
	{114690389, "debian-12", "debian", "12", "arm"},
	{310557660, "debian-13", "debian", "13", "x86"},
	{310557661, "debian-13", "debian", "13", "arm"},
	{67794396, "ubuntu-22.04", "ubuntu", "22.04", "x86"},
	{103908070, "ubuntu-22.04", "ubuntu", "22.04", "arm"},
	{161547269, "ubuntu-24.04", "ubuntu", "24.04", "x86"},
	{161547270, "ubuntu-24.04", "ubuntu", "24.04", "arm"},
}

func (i imageSpec) schema() schema.Image {
	name, version := i.name, i.version
	return schema.Image{
		ID: i.id, Status: "available", Type: "system", Name: &name, Description: i.flavor + " " + i.version,
		DiskSize: 5, OSFlavor: i.flavor, OSVersion: &version, Architecture: i.arch, RapidDeploy: true,
		Labels: map[string]string{},
	}
}

func locationByName(name string) (schema.Location, bool) {
	for _, l := range locations {
		if l.Name == name || strconv.FormatInt(l.ID, 10) == name {
			return l, true
		}
	}
	return schema.Location{}, false
}

func serverTypeByRef(r schema.IDOrName) (serverTypeSpec, bool) {
	for _, t := range serverTypeSpecs {
		if (r.ID != 0 && t.id == r.ID) || (r.ID == 0 && t.name == r.Name) {
			return t, true
		}
	}
	return serverTypeSpec{}, false
}

// imageByRef finds an image by ID, or by name for the server type's
// architecture (system image names exist once per architecture).
func imageByRef(r schema.IDOrName, arch string) (imageSpec, bool) {
	for _, i := range imageSpecs {
		if (r.ID != 0 && i.id == r.ID) || (r.ID == 0 && i.name == r.Name && i.arch == arch) {
			return i, true
		}
	}
	return imageSpec{}, false
}

func listLocations(c *call) (int, any, *apiError) {
	name := c.r.URL.Query().Get("name")
	var out []schema.Location
	for _, l := range locations {
		if name == "" || l.Name == name {
			out = append(out, l)
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.Location) int{
		"id":   func(a, b schema.Location) int { return cmp.Compare(a.ID, b.ID) },
		"name": func(a, b schema.Location) int { return cmp.Compare(a.Name, b.Name) },
	}, func(page []schema.Location) any { return schema.LocationListResponse{Locations: page} })
}

func getLocation(c *call, id int64) (int, any, *apiError) {
	for _, l := range locations {
		if l.ID == id {
			return http.StatusOK, schema.LocationGetResponse{Location: l}, nil
		}
	}
	return 0, nil, notFound("location", id)
}

func listServerTypes(c *call) (int, any, *apiError) {
	name := c.r.URL.Query().Get("name")
	var out []schema.ServerType
	for _, t := range serverTypeSpecs {
		if name == "" || t.name == name {
			out = append(out, t.schema(c.now, c.s.unavailable))
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.ServerType) int{
		"id":   func(a, b schema.ServerType) int { return cmp.Compare(a.ID, b.ID) },
		"name": func(a, b schema.ServerType) int { return cmp.Compare(a.Name, b.Name) },
	}, func(page []schema.ServerType) any { return schema.ServerTypeListResponse{ServerTypes: page} })
}

func getServerType(c *call, id int64) (int, any, *apiError) {
	if t, ok := serverTypeByRef(schema.IDOrName{ID: id}); ok {
		return http.StatusOK, schema.ServerTypeGetResponse{ServerType: t.schema(c.now, c.s.unavailable)}, nil
	}
	return 0, nil, notFound("server_type", id)
}

func listImages(c *call) (int, any, *apiError) {
	q := c.r.URL.Query()
	name, archs, types := q.Get("name"), q["architecture"], q["type"]
	var out []schema.Image
	for _, i := range imageSpecs {
		if (name == "" || i.name == name) && (len(archs) == 0 || slices.Contains(archs, i.arch)) &&
			(len(types) == 0 || slices.Contains(types, "system")) {
			out = append(out, i.schema())
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.Image) int{
		"id":   func(a, b schema.Image) int { return cmp.Compare(a.ID, b.ID) },
		"name": func(a, b schema.Image) int { return cmp.Compare(*a.Name, *b.Name) },
	}, func(page []schema.Image) any { return schema.ImageListResponse{Images: page} })
}

func getImage(c *call, id int64) (int, any, *apiError) {
	if i, ok := imageByRef(schema.IDOrName{ID: id}, ""); ok {
		return http.StatusOK, schema.ImageGetResponse{Image: i.schema()}, nil
	}
	return 0, nil, notFound("image", id)
}
