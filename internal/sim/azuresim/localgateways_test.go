package azuresim

import (
	"net/http"
	"slices"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/network/armnetwork/v9"
)

// Updating an existing local network gateway answers 200 with an
// operation URL that 404s, yet the update is applied: the SDK poller fails
// and only a GET of the resource tells when it is done.
func TestLocalGatewayUpdateOperationURLIs404(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.group("rg")
	lngs := f.net.NewLocalNetworkGatewaysClient()
	p, err := lngs.BeginCreateOrUpdate(ctx, "rg", "lng", lngBody("203.0.113.9", "10.0.1.0/24"), nil)
	done(t, p, err) // a create's operation URL works
	p, err = lngs.BeginCreateOrUpdate(ctx, "rg", "lng", lngBody("203.0.113.9", "10.0.1.0/24", "10.0.2.0/24"), nil)
	if err != nil {
		t.Fatalf("update refused: %v", err)
	}
	if _, err := p.PollUntilDone(ctx, poll); err == nil || status(t, err) != http.StatusNotFound {
		t.Fatalf("polling the update: %v, want a 404 from the operation URL", err)
	}
	f.eventually("update applied", func() bool {
		got, err := lngs.Get(ctx, "rg", "lng", nil)
		return err == nil && *got.Properties.ProvisioningState == armnetwork.ProvisioningStateSucceeded &&
			slices.Equal(derefAll(got.Properties.LocalNetworkAddressSpace.AddressPrefixes), []string{"10.0.1.0/24", "10.0.2.0/24"})
	})
}
