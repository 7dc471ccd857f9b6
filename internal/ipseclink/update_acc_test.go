package ipseclink_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// withLocalPrefixes is the original topology announcing prefixes to Azure.
func (s site) withLocalPrefixes(prefixes ...string) string {
	q := make([]string, len(prefixes))
	for i, p := range prefixes {
		q[i] = fmt.Sprintf("%q", p)
	}
	return strings.Replace(s.config(""), `location         = "hel1"`,
		`location         = "hel1"`+"\n    local_prefixes   = ["+strings.Join(q, ", ")+"]", 1)
}

// A changed local_prefixes updates the local network gateway in place and
// converges in one apply, although ARM's operation URL for that update
// answers 404.
func TestAccLinkLocalPrefixesChangeInPlace(t *testing.T) {
	s := newSite(t)
	lngPrefixes := func(want ...string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			got, err := s.armFactory(t).NewLocalNetworkGatewaysClient().Get(context.Background(), "rg-net", "hel1-weu-lng", nil)
			if err != nil {
				return err
			}
			var have []string
			for _, p := range got.Properties.LocalNetworkAddressSpace.AddressPrefixes {
				have = append(have, *p)
			}
			if !slices.Equal(have, want) || *got.Properties.ProvisioningState != "Succeeded" {
				return fmt.Errorf("local network gateway announces %v (%s), want %v", have, *got.Properties.ProvisioningState, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		CheckDestroy:             s.checkDestroyed(t),
		Steps: []resource.TestStep{{
			Config:            s.withLocalPrefixes("10.0.1.0/24"),
			ConfigStateChecks: healthy(),
			Check:             lngPrefixes("10.0.1.0/24"),
		}, {
			Config: s.withLocalPrefixes("10.0.1.0/24", "10.0.2.0/24"),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
			}},
			ConfigStateChecks: healthy(),
			Check:             lngPrefixes("10.0.1.0/24", "10.0.2.0/24"),
		}},
	})
}
