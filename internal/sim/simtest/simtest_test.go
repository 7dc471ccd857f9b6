package simtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resources/armresources"
)

func TestHelpersCreateWhatStateShows(t *testing.T) {
	t.Parallel()
	sim := Start(t)
	rgID := sim.CreateResourceGroup(t, "rg-net", "westeurope")
	vnetID := sim.CreateVNet(t, "rg-net", "vnet", "westeurope", []string{"10.1.0.0/16"},
		map[string]string{"vms": "10.1.1.0/24", "db": "10.1.2.0/24"})
	network := sim.CreateHCloudNetwork(t, "hel1", "10.0.0.0/12", "10.0.1.0/24")

	if !strings.HasSuffix(rgID, "/resourceGroups/rg-net") || !strings.HasPrefix(vnetID, rgID+"/providers/Microsoft.Network/virtualNetworks/vnet") {
		t.Errorf("IDs %q, %q do not look like ARM IDs in the subscription", rgID, vnetID)
	}
	if len(network.Subnets) != 1 || network.Subnets[0].IPRange.String() != "10.0.1.0/24" {
		t.Errorf("Hetzner network subnets = %+v, want one 10.0.1.0/24", network.Subnets)
	}

	got := map[string]string{}
	for _, r := range sim.State(t) {
		got[r.Cloud+" "+r.Name] = r.ID
	}
	for key, id := range map[string]string{
		"azure rg-net": rgID,
		"azure vnet":   vnetID,
		"azure vms":    vnetID + "/subnets/vms",
		"azure db":     vnetID + "/subnets/db",
		"hcloud hel1":  strconv.FormatInt(network.ID, 10),
	} {
		if !strings.EqualFold(got[key], id) {
			t.Errorf("state %q has ID %q, want %q (state: %v)", key, got[key], id, got)
		}
	}
	if n := len(sim.Find(t, "hcloud", "network")); n != 1 {
		t.Errorf("Find(hcloud, network) = %d resources, want 1", n)
	}

	st := sim.Stats(t)
	if st.RequestsByCloud["azure"] < 3 || st.RequestsByCloud["hcloud"] < 1 || st.MutationsTotal < 3 {
		t.Errorf("stats %+v: want at least 3 azure and 1 hcloud requests, 3 mutations", st)
	}
}

func TestInstancesAreIsolated(t *testing.T) {
	t.Parallel()
	a, b := Start(t), Start(t)
	if a.Env()["HCLOUD_TOKEN"] == b.Env()["HCLOUD_TOKEN"] || a.URL() == b.URL() {
		t.Fatal("two instances share a token or an address")
	}
	a.CreateHCloudNetwork(t, "only-in-a", "10.0.0.0/16")
	if n := len(b.Find(t, "hcloud", "network")); n != 0 {
		t.Errorf("instance b sees %d networks created in a", n)
	}
	// a's token is no good at b.
	c, err := armresources.NewResourceGroupsClient(b.SubscriptionID(), a.Credential(), b.ARMClientOptions())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Get(context.Background(), "rg", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized {
		t.Errorf("b with a's token: %v, want 401", err)
	}
}

func TestProviderConfig(t *testing.T) {
	t.Parallel()
	sim := Start(t)
	cfg := sim.ProviderConfig()
	for _, k := range []string{"HCLOUD_TOKEN", "HCLOUD_ENDPOINT", "HCLOUD_POLL_INTERVAL", "ARM_SUBSCRIPTION_ID",
		"ARM_TENANT_ID", "ARM_ACCESS_TOKEN", "ARM_RESOURCE_MANAGER_ENDPOINT"} {
		if !strings.Contains(cfg, `"`+sim.Env()[k]+`"`) {
			t.Errorf("provider block lacks %s:\n%s", k, cfg)
		}
	}
	if sim.Env()["HCLOUD_POLL_INTERVAL"] != "10ms" {
		t.Errorf("poll interval at the default time scale = %q, want 10ms", sim.Env()["HCLOUD_POLL_INTERVAL"])
	}
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform not installed; HCL syntax not checked")
	}
	// terraform fmt parses the block: a syntax error fails it.
	cmd := exec.Command(tf, "fmt", "-")
	cmd.Stdin = strings.NewReader(cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil || string(out) != cfg {
		t.Errorf("terraform fmt: %v %s\nformatted:\n%s\nwant unchanged:\n%s", err, stderr.String(), out, cfg)
	}
}

// TestRealCloudGETsKeepMemoryFlat is the sim package's memory check with
// the real clouds behind the frame (2500 GETs each; Hetzner's unscaled rate
// limit allows 3600 per hour).
func TestRealCloudGETsKeepMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 5000 requests")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sim := Start(t)
	sim.CreateResourceGroup(t, "rg", "westeurope")
	env := sim.Env()
	client := &http.Client{Transport: &http.Transport{}}
	reqs := []*http.Request{}
	for _, u := range []string{
		env["HCLOUD_ENDPOINT"] + "/locations",
		env["ARM_RESOURCE_MANAGER_ENDPOINT"] + "/subscriptions/" + env["ARM_SUBSCRIPTION_ID"] + "/resourcegroups/rg?api-version=2021-04-01",
	} {
		r, _ := http.NewRequest(http.MethodGet, u, nil)
		r.Header.Set("Authorization", "Bearer "+env["HCLOUD_TOKEN"])
		reqs = append(reqs, r)
	}
	get := func(r *http.Request) {
		resp, err := client.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", r.URL, resp.StatusCode)
		}
	}
	for _, r := range reqs { // warm up
		get(r)
	}
	before := heapAfterGC()
	for range 2500 {
		for _, r := range reqs {
			get(r)
		}
	}
	after := heapAfterGC()
	t.Logf("heap %d -> %d bytes over 5000 GETs", before, after)
	if after > before+8<<20 {
		t.Errorf("heap grew by %d bytes over 5000 GETs, want < 8 MiB", after-before)
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSkipInRealMode: in real mode an emulator-only test is skipped, with
// the reason, before any emulator starts.
func TestSkipInRealMode(t *testing.T) {
	t.Setenv(RealModeVar, "1")
	var started bool
	ok := t.Run("emulator-only", func(t *testing.T) {
		defer func() {
			if !t.Skipped() {
				t.Errorf("not skipped in real mode")
			}
		}()
		Start(t)
		started = true
	})
	if !ok || started {
		t.Fatalf("Start went on in real mode (ok=%v started=%v)", ok, started)
	}
}
