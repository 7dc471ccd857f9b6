// Package accenv is what a real-account acceptance run needs besides the
// tests themselves: the preflight check of the environment, clients built
// exactly as the provider builds them, the run label every object carries,
// and the sweeper that removes what runs left behind. It reads the same
// variables the provider reads (internal/provider/config.go), so a run
// accepted here is a run the provider can authenticate.
package accenv

import (
	"crypto/rand"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hetznercloud/hcloud-go/v2/hcloud"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/clients"
)

// Environment variables of a real run (besides the provider's own).
const (
	// RealVar must be "1": the explicit "yes, create billed objects" switch.
	RealVar = "CROSSCLOUD_ACC_REAL"
	// RunVar is the run label; random when unset.
	RunVar = "CROSSCLOUD_ACC_RUN"
	// GatewayVar names an existing Azure VPN gateway to reuse (cheap mode).
	GatewayVar = "CROSSCLOUD_ACC_AZURE_GATEWAY_ID"
	// Prefix starts every object name a run creates: terraform-plugin-testing's
	// acctest.ResourcePrefix, so the sweeper's rule is the ecosystem's.
	Prefix = "tf-acc-test-"
	// RunTag is the Azure tag / Hetzner label carrying the run label on the
	// fixtures a run creates itself (the link's own objects carry the link
	// name, which contains the run label, in crosscloud.dev/link and
	// crosscloud-link).
	RunTag = "tf-acc-run"
)

// LookupEnv has the signature of os.LookupEnv.
type LookupEnv func(string) (string, bool)

func get(env LookupEnv, k string) string { v, _ := env(k); return strings.TrimSpace(v) }

// Real reports whether CROSSCLOUD_ACC_REAL=1.
func Real(env LookupEnv) bool { return get(env, RealVar) == "1" }

// HCloudConfig is the provider's hcloud settings from the environment.
func HCloudConfig(env LookupEnv) clients.HCloudConfig {
	c := clients.HCloudConfig{Token: get(env, "HCLOUD_TOKEN"), Endpoint: get(env, "HCLOUD_ENDPOINT")}
	c.PollInterval, _ = time.ParseDuration(get(env, "HCLOUD_POLL_INTERVAL"))
	return c
}

// AzureConfig is the provider's azure settings from the environment, with
// the same variables and boolean parsing as internal/provider.
func AzureConfig(env LookupEnv) clients.AzureConfig {
	b := func(k string) bool { v, _ := strconv.ParseBool(get(env, k)); return v }
	c := clients.AzureConfig{
		SubscriptionID: get(env, "ARM_SUBSCRIPTION_ID"), TenantID: get(env, "ARM_TENANT_ID"),
		ClientID: get(env, "ARM_CLIENT_ID"), ClientSecret: get(env, "ARM_CLIENT_SECRET"),
		UseCLI: b("ARM_USE_CLI"), UseMSI: b("ARM_USE_MSI"), UseOIDC: b("ARM_USE_OIDC"),
		OIDCToken: get(env, "ARM_OIDC_TOKEN"), Environment: strings.ToLower(get(env, "ARM_ENVIRONMENT")),
		ResourceManagerEndpoint: get(env, "ARM_RESOURCE_MANAGER_ENDPOINT"), AccessToken: get(env, "ARM_ACCESS_TOKEN"),
	}
	c.PollInterval, _ = time.ParseDuration(get(env, "ARM_POLL_INTERVAL"))
	return c
}

// Missing lists what must be set before a real run may start, one line per
// problem, each naming the variable; empty means the run may start.
func Missing(env LookupEnv) []string {
	var out []string
	if v := get(env, RealVar); v != "1" {
		out = append(out, fmt.Sprintf("%s=1 (is %q): the explicit consent to create billed objects on both clouds", RealVar, v))
	}
	out = append(out, MissingHCloud(env)...)
	return append(out, MissingAzure(env)...)
}

// MissingHCloud names what the Hetzner side lacks.
func MissingHCloud(env LookupEnv) []string {
	if get(env, "HCLOUD_TOKEN") == "" {
		return []string{"HCLOUD_TOKEN: a read/write API token of a Hetzner Cloud project used only for tests"}
	}
	return nil
}

// MissingAzure names what the Azure side lacks: the subscription, the
// tenant, and exactly one credential the provider accepts, complete.
func MissingAzure(env LookupEnv) []string {
	var out []string
	c := AzureConfig(env)
	if c.SubscriptionID == "" {
		out = append(out, "ARM_SUBSCRIPTION_ID: the subscription the run creates its resource group in")
	}
	if c.TenantID == "" {
		out = append(out, "ARM_TENANT_ID: the Entra ID tenant of that subscription")
	}
	kind, cerr := clients.ChooseCredential(c)
	switch {
	case cerr != nil:
		out = append(out, cerr.Detail)
	case kind == clients.CredentialNone:
		out = append(out, "an Azure credential, one of: ARM_CLIENT_ID + ARM_CLIENT_SECRET (service principal), "+
			"ARM_USE_OIDC=true + ARM_CLIENT_ID + ARM_OIDC_TOKEN (workload identity federation, e.g. GitHub Actions), "+
			"ARM_ACCESS_TOKEN (a bearer token), ARM_USE_MSI=true or ARM_USE_CLI=true")
	}
	return out
}

// HCloud is a Hetzner client built as the provider builds it.
func HCloud(env LookupEnv) (*hcloud.Client, error) {
	return clients.NewHCloud(HCloudConfig(env), "acctest")
}

// Azure is an ARM client set built as the provider builds it.
func Azure(env LookupEnv) (*clients.Azure, error) {
	return clients.NewAzure(AzureConfig(env), "acctest")
}

var labelRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,19}$`)

// RunLabel is CROSSCLOUD_ACC_RUN, or a random 8-character label. It must be
// short lower-case letters, digits and dashes: it goes into Hetzner names
// and labels and Azure names, whose common alphabet that is.
func RunLabel(env LookupEnv) (string, error) {
	if v := get(env, RunVar); v != "" {
		if !labelRE.MatchString(v) {
			return "", fmt.Errorf("%s=%q: use 1-20 lower-case letters, digits and dashes, starting with a letter or digit", RunVar, v)
		}
		return v, nil
	}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// OSEnv is os.LookupEnv.
var OSEnv LookupEnv = os.LookupEnv
