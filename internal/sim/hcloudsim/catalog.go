package hcloudsim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"

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

type serverTypeSpec struct {
	id        int64
	name      string
	cores     int
	memory    float32
	disk      int
	arch      string
	cpu       string
	locations []string
}

var serverTypeSpecs = []serverTypeSpec{
	{22, "cpx11", 2, 2, 40, "x86", "shared", allLocations},
	{23, "cpx21", 3, 4, 80, "x86", "shared", allLocations},
	{24, "cpx31", 4, 8, 160, "x86", "shared", allLocations},
	{45, "cax11", 2, 4, 40, "arm", "shared", euLocations},
	{93, "cax21", 4, 8, 80, "arm", "shared", euLocations},
	{104, "cx22", 2, 4, 40, "x86", "shared", euLocations},
	{105, "cx32", 4, 8, 80, "x86", "shared", euLocations},
	{106, "cx42", 8, 16, 160, "x86", "shared", euLocations},
	{96, "ccx13", 2, 8, 80, "x86", "dedicated", allLocations},
}

func (t serverTypeSpec) schema() schema.ServerType {
	st := schema.ServerType{
		ID: t.id, Name: t.name, Description: t.name, Category: "shared", Cores: t.cores, Memory: t.memory,
		Disk: t.disk, StorageType: "local", CPUType: t.cpu, Architecture: t.arch, IncludedTraffic: 21990232555520,
	}
	if t.cpu == "dedicated" {
		st.Category = "dedicated"
	}
	for _, name := range t.locations {
		l, _ := locationByName(name)
		st.Locations = append(st.Locations, schema.ServerTypeLocation{ID: l.ID, Name: l.Name, Available: true, Recommended: true})
	}
	return st
}

type imageSpec struct {
	id      int64
	name    string
	flavor  string
	version string
	arch    string
}

var imageSpecs = []imageSpec{
	{114690387, "debian-12", "debian", "12", "x86"},
	{114690389, "debian-12", "debian", "12", "arm"},
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
	}, func(page []schema.Location, meta schema.MetaResponse) any {
		return struct {
			schema.LocationListResponse
			schema.MetaResponse
		}{schema.LocationListResponse{Locations: page}, meta}
	})
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
			out = append(out, t.schema())
		}
	}
	return listResponse(c, out, map[string]func(a, b schema.ServerType) int{
		"id":   func(a, b schema.ServerType) int { return cmp.Compare(a.ID, b.ID) },
		"name": func(a, b schema.ServerType) int { return cmp.Compare(a.Name, b.Name) },
	}, func(page []schema.ServerType, meta schema.MetaResponse) any {
		return struct {
			schema.ServerTypeListResponse
			schema.MetaResponse
		}{schema.ServerTypeListResponse{ServerTypes: page}, meta}
	})
}

func getServerType(c *call, id int64) (int, any, *apiError) {
	if t, ok := serverTypeByRef(schema.IDOrName{ID: id}); ok {
		return http.StatusOK, schema.ServerTypeGetResponse{ServerType: t.schema()}, nil
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
	}, func(page []schema.Image, meta schema.MetaResponse) any {
		return struct {
			schema.ImageListResponse
			schema.MetaResponse
		}{schema.ImageListResponse{Images: page}, meta}
	})
}

func getImage(c *call, id int64) (int, any, *apiError) {
	if i, ok := imageByRef(schema.IDOrName{ID: id}, ""); ok {
		return http.StatusOK, schema.ImageGetResponse{Image: i.schema()}, nil
	}
	return 0, nil, notFound("image", id)
}
