package ipseclink_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/sim/simtest"
)

const (
	woKeyA = "writeOnlyKeyA0123456789abcdefXY"
	woKeyB = "writeOnlyKeyB9876543210zyxwvuQR"
)

// azureKey is the connection's shared key as Azure reports it.
func (s site) azureKey(t *testing.T) string {
	t.Helper()
	k, err := s.armFactory(t).NewVirtualNetworkGatewayConnectionsClient().GetSharedKey(context.Background(), "rg-net", "hel1-weu-conn", nil)
	if err != nil {
		t.Fatalf("GetSharedKey: %v", err)
	}
	return *k.Value
}

// serverUserData is the cloud-init the gateway server was created with.
func (s site) serverUserData(t *testing.T, st *terraform.State) string {
	t.Helper()
	id, _ := strconv.ParseInt(st.RootModule().Resources[addr].Primary.Attributes["hetzner_server_id"], 10, 64)
	ud, ok := s.sim.HCloudSim().UserData(id)
	if !ok {
		t.Fatalf("server %d has no user data in the emulator", id)
	}
	return ud
}

// keyOnBothSides checks that Azure's connection and the gateway server's
// cloud-init (its swanctl secret) carry want, and not the key unwanted.
func (s site) keyOnBothSides(t *testing.T, want, unwanted string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		if got := s.azureKey(t); got != want {
			return fmt.Errorf("Azure's connection key is %q, want %q", got, want)
		}
		// swanctl.conf carries the key as hex (see cloudinit.SwanctlConf).
		ud := s.serverUserData(t, st)
		if !strings.Contains(ud, hex.EncodeToString([]byte(want))) {
			return fmt.Errorf("the gateway server's cloud-init does not carry the key %q", want)
		}
		if unwanted != "" && strings.Contains(ud, hex.EncodeToString([]byte(unwanted))) {
			return fmt.Errorf("the gateway server's cloud-init still carries the old key")
		}
		return nil
	}
}

func woConfig(key string, version int) string {
	return fmt.Sprintf("  shared_key_wo = %q\n  shared_key_wo_version = %d\n", key, version)
}

// The life of a write-only key: migrating to it from shared_key in place
// (the same key does not even rebuild the server), a key changed behind
// Terraform's back found at refresh and written back (the no-change step
// fails if the fingerprint is missing, the drift step if it is ignored), and a version bump
// rotating Azure's key and the gateway's in place. The key is never in
// state.
func TestAccLinkWriteOnlyKey(t *testing.T) {
	s := newSite(t)
	var server, connID, gwID string
	noKeyInState := []statecheck.StateCheck{
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("shared_key"), knownvalue.Null()),
		statecheck.ExpectKnownValue(addr, tfjsonpath.New("shared_key_wo"), knownvalue.Null()),
	}
	inPlace := resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}}
	s.run(t, []resource.TestStep{{
		Config: s.config(fmt.Sprintf("  shared_key = %q\n", woKeyA)),
		Check: resource.ComposeTestCheckFunc(remember(&server, "hetzner_server_id"),
			remember(&connID, "azure_connection_id"), remember(&gwID, "azure_gateway_id")),
	}, {
		// Migration: the same key, now write-only.
		Config:            s.config(woConfig(woKeyA, 1)),
		ConfigPlanChecks:  inPlace,
		ConfigStateChecks: append(healthy(), noKeyInState...),
		Check: resource.ComposeTestCheckFunc(s.keyOnBothSides(t, woKeyA, ""),
			resource.TestCheckResourceAttrPtr(addr, "hetzner_server_id", &server)),
	}, {
		// Nothing changed: no diff, although state holds no key.
		Config:   s.config(woConfig(woKeyA, 1)),
		PlanOnly: true,
	}, {
		PreConfig: func() {
			ctx := context.Background()
			p, err := s.armFactory(t).NewVirtualNetworkGatewayConnectionsClient().BeginSetSharedKey(ctx, "rg-net", "hel1-weu-conn",
				armnetwork.ConnectionSharedKey{Value: new("someoneElsesKey")}, nil)
			if err == nil {
				_, err = p.PollUntilDone(ctx, simtest.PollOptions())
			}
			if err != nil {
				t.Fatal(err)
			}
		},
		Config:            s.config(woConfig(woKeyA, 1)),
		ConfigPlanChecks:  inPlace,
		ConfigStateChecks: append(healthy(), noKeyInState...),
		Check:             s.keyOnBothSides(t, woKeyA, ""),
	}, {
		// Rotation.
		Config:            s.config(woConfig(woKeyB, 2)),
		ConfigPlanChecks:  inPlace,
		ConfigStateChecks: append(healthy(), noKeyInState...),
		Check: resource.ComposeTestCheckFunc(s.keyOnBothSides(t, woKeyB, woKeyA),
			resource.TestCheckResourceAttrPtr(addr, "azure_connection_id", &connID),
			resource.TestCheckResourceAttrPtr(addr, "azure_gateway_id", &gwID)),
	}})
}

// shared_key and shared_key_wo exclude each other, and a version needs the
// key: refused at plan, on the attribute, before any API call.
func TestAccLinkWriteOnlyKeyConflicts(t *testing.T) {
	s := newSite(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config:      s.config(fmt.Sprintf("  shared_key = %q\n", woKeyB) + woConfig(woKeyA, 1)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*shared_key_wo`),
		}, {
			Config:      s.config("  shared_key_wo_version = 1\n"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid Attribute Combination.*shared_key_wo`),
		}, {
			Config:      s.config(woConfig("has-a-dash-so-azure-refuses-it", 1)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid shared key.*shared_key_wo`),
		}},
	})
	if left := s.leftovers(t); len(left) > 0 {
		t.Errorf("refused configurations created %v", left)
	}
}

// The pattern the docs recommend, under the terraform CLI with TF_LOG=trace:
// a key from ephemeral "crosscloud_shared_key" fed to shared_key_wo. The key
// Azure ends up with (read from the emulator, so the test knows what to look
// for) is in neither the state file, nor a saved plan's JSON, nor any CLI
// output, nor the trace log; in plain or in the hex form swanctl uses.
func TestAccLinkWriteOnlyKeyStaysOutOfStatePlanAndLogs(t *testing.T) {
	s := newSite(t)
	cfg := cliProvider + `
ephemeral "crosscloud_shared_key" "psk" {}
` + s.hcl(linkHCL{args: `  shared_key_wo         = ephemeral.crosscloud_shared_key.psk.value
  shared_key_wo_version = 1`})
	c := s.startCLI(t, cfg)
	c.run("apply", "-auto-approve", "-input=false")
	key := s.azureKey(t)
	if len(key) < 32 {
		t.Fatalf("Azure's key %q is not the ephemeral resource's (64 characters by default)", key)
	}
	if plan := c.run("plan", "-input=false"); !strings.Contains(plan, "No changes.") {
		t.Errorf("a fresh ephemeral value must not make a diff (write-only values are not compared):\n%s", plan)
	}
	// A saved plan with a change in it: the version bump.
	c.write(strings.Replace(cfg, "shared_key_wo_version = 1", "shared_key_wo_version = 2", 1))
	c.run("plan", "-input=false", "-out=tfplan")
	planJSON := c.run("show", "-json", "tfplan")
	if !strings.Contains(planJSON, `"shared_key_wo_version":2`) {
		t.Fatalf("the plan JSON does not show the version bump: the check below would be vacuous")
	}
	c.run("show", "-json")
	state, err := os.ReadFile(filepath.Join(c.ws.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := s.secrets()
	delete(secrets, "shared_key")
	secrets["the link's key"], secrets["the link's key in hex"] = key, hex.EncodeToString([]byte(key))
	checkNoSecrets(t, "the state file", string(state), secrets)
	checkNoSecrets(t, "the plan JSON", planJSON, secrets)

	c.destroyWithoutSecrets(s, secrets)
}
