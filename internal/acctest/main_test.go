package acctest

import (
	"context"
	"fmt"
	"log"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/acctest/accenv"
)

// TestMain runs the sweepers with -sweep (make sweep) and the tests
// otherwise.
func TestMain(m *testing.M) { resource.TestMain(m) }

// The sweepers delete tf-acc-test-* objects on each cloud the environment
// names. They refuse without CROSSCLOUD_ACC_REAL=1: they delete, so they
// need the same explicit consent as a run. The region argument of -sweep is
// not used (neither cloud's listing is regional).
func init() {
	resource.AddTestSweepers("crosscloud_hcloud", &resource.Sweeper{Name: "crosscloud_hcloud", F: func(string) error {
		if err := consent(); err != nil {
			return err
		}
		if m := accenv.MissingHCloud(accenv.OSEnv); len(m) > 0 {
			log.Printf("[INFO] sweep: skipping Hetzner Cloud: %v", m)
			return nil
		}
		hc, err := accenv.HCloud(accenv.OSEnv)
		if err != nil {
			return err
		}
		return accenv.SweepHetzner(context.Background(), hc, log.Printf)
	}})
	resource.AddTestSweepers("crosscloud_azure", &resource.Sweeper{Name: "crosscloud_azure", F: func(string) error {
		if err := consent(); err != nil {
			return err
		}
		if m := accenv.MissingAzure(accenv.OSEnv); len(m) > 0 {
			log.Printf("[INFO] sweep: skipping Azure: %v", m)
			return nil
		}
		az, err := accenv.Azure(accenv.OSEnv)
		if err != nil {
			return err
		}
		return accenv.SweepAzure(context.Background(), az, log.Printf)
	}})
}

func consent() error {
	if !accenv.Real(accenv.OSEnv) {
		return fmt.Errorf("sweep deletes every %s* object on the clouds the environment names: set %s=1 to confirm", accenv.Prefix, accenv.RealVar)
	}
	return nil
}
