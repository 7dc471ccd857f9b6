package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// lostState: a converged create, then the state file is gone (a laptop
// wiped, a backend bucket deleted). Even seeds recover with `terraform
// import` of the link's ID, odd ones with a plain re-apply, whose create
// finds every piece by name and adopts it. Either way a plan must then show
// no changes, with no second gateway or server, and destroy must leave
// nothing behind (the harness checks both after it).
func (e *chaosEnv) lostState(ctx context.Context) error {
	conv, _ := e.applyUntilClean(ctx, RunOptions{})
	if !conv {
		return nil
	}
	id, err := e.ws.StateID()
	if err != nil {
		return err
	}
	for _, f := range []string{"terraform.tfstate", "terraform.tfstate.backup"} {
		if err := os.Remove(filepath.Join(e.ws.Dir, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	e.run.Recovery = "reapply"
	if e.run.Seed%2 == 0 {
		e.run.Recovery = "import"
		addr := fmt.Sprintf("crosscloud_ipsec_link.bench[%q]", chaosLink(e.run.Seed))
		r := e.ws.Run(ctx, "import", addr, id)
		e.logf("import %s exit %d %s", addr, r.ExitCode, firstLine(r.Err()))
		if r.ExitCode != 0 {
			e.run.Error = "import after the state was lost failed: " + firstLine(r.Err())
			// The re-apply below still has to clean up by name.
		}
	}
	e.run.Converged, _ = e.applyUntilClean(ctx, RunOptions{})
	e.run.StateLostRecovered = e.run.Converged && e.run.Error == ""
	return nil
}

// multiLink: one link creates a gateway, then MultiLinkReusers more links
// reusing it are added and applied in one `terraform apply` at Terraform's
// default parallelism (10), so their local network gateways and connections
// are written at the same time and the gateway serializes the connection
// writes (409 AnotherOperationInProgress, also inside failed operations).
// The provider must absorb every conflict: the first apply has to succeed.
// The reusing links are removed again before the destroy, so the gateway
// is never deleted under their connections.
func (e *chaosEnv) multiLink(ctx context.Context) error {
	owner := chaosLink(e.run.Seed)
	conv, _ := e.applyUntilClean(ctx, RunOptions{})
	if !conv {
		return nil
	}
	gw, err := e.gatewayOf(ctx, owner)
	if err != nil {
		return err
	}
	base := Link{ResourceGroupName: BenchResourceGroup, VirtualNetworkID: e.vnet}
	links := map[string]Link{owner: base}
	for i := range MultiLinkReusers {
		l := base
		l.GatewaySubnet, l.VirtualNetworkGatewayID = fmt.Sprintf("10.0.%d.0/24", i+2), gw
		links[fmt.Sprintf("%s-r%d", owner, i+1)] = l
	}
	// One more reusing link lives in a second workspace (another team's
	// root module) and is applied at the same moment: its provider process
	// does not share the first one's per-gateway write lock, so the two
	// meet the gateway's own serialization (409s, also inside failed
	// operations) and must wait it out.
	other := base
	other.GatewaySubnet, other.VirtualNetworkGatewayID = fmt.Sprintf("10.0.%d.0/24", MultiLinkReusers+2), gw
	ws2, err := LinkWorkspace(e.b, e.sim, map[string]Link{owner + "-x": other})
	if err != nil {
		return err
	}
	defer ws2.Remove()
	e.run.Links = len(links) + 1
	if err := e.ws.WriteVars(map[string]any{"links": links}); err != nil {
		return err
	}
	var second Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		second = ws2.Run(ctx, "apply", "-auto-approve")
	}()
	all, first := e.applyUntilClean(ctx, RunOptions{})
	<-done
	e.logf("second workspace apply exit %d in %s %s", second.ExitCode, second.Duration.Round(time.Millisecond), firstLine(second.Err()))
	e.run.MultiLinkConverged = all && first && second.ExitCode == 0 && planClean(ctx, ws2)
	if !first || second.ExitCode != 0 {
		e.run.Error = strings.TrimSpace(e.run.Error + "; a reusing link's first apply failed (an error reached the user): " + firstLine(second.Err()))
	}
	for i := 0; i < 4; i++ {
		if d := ws2.Run(ctx, "destroy", "-auto-approve"); d.ExitCode == 0 {
			break
		} else if i == 3 {
			e.run.Error = strings.TrimSpace(e.run.Error + "; second workspace destroy failed: " + firstLine(d.Err()))
		}
	}
	if err := e.ws.WriteVars(map[string]any{"links": map[string]Link{owner: base}}); err != nil {
		return err
	}
	back, _ := e.applyUntilClean(ctx, RunOptions{})
	e.run.Converged = all && back
	return nil
}

// gatewayOf reads link's azure_gateway_id from the bench configuration's
// `links` output.
func (e *chaosEnv) gatewayOf(ctx context.Context, link string) (string, error) {
	outs, err := e.ws.Outputs(ctx)
	if err != nil {
		return "", err
	}
	var links map[string]struct {
		GatewayID string `json:"azure_gateway_id"`
	}
	if err := json.Unmarshal(outs["links"], &links); err != nil {
		return "", fmt.Errorf("reading output links: %w", err)
	}
	if links[link].GatewayID == "" {
		return "", fmt.Errorf("output links has no azure_gateway_id for %s", link)
	}
	return links[link].GatewayID, nil
}

// StateID reads the id of the workspace's only crosscloud_ipsec_link from
// terraform.tfstate (what `terraform import` takes).
func (w *Workspace) StateID() (string, error) {
	b, err := os.ReadFile(filepath.Join(w.Dir, "terraform.tfstate"))
	if err != nil {
		return "", err
	}
	var st struct {
		Resources []struct {
			Type      string `json:"type"`
			Instances []struct {
				Attributes struct {
					ID string `json:"id"`
				} `json:"attributes"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return "", fmt.Errorf("terraform.tfstate: %w", err)
	}
	for _, r := range st.Resources {
		if r.Type == "crosscloud_ipsec_link" && len(r.Instances) == 1 && r.Instances[0].Attributes.ID != "" {
			return r.Instances[0].Attributes.ID, nil
		}
	}
	return "", errors.New("terraform.tfstate holds no crosscloud_ipsec_link with an id")
}
