package gatewayroute

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/addrplan"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrdiag"
	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/attrerr"
)

// model is the Terraform state and plan of crosscloud_hcloud_gateway_route.
type model struct {
	ID                   types.String   `tfsdk:"id"`
	NetworkID            types.Int64    `tfsdk:"network_id"`
	Destination          types.String   `tfsdk:"destination"`
	Gateway              types.String   `tfsdk:"gateway"`
	ExpandNetworkIPRange types.Bool     `tfsdk:"expand_network_ip_range"`
	NetworkIPRange       types.String   `tfsdk:"network_ip_range"`
	Timeouts             timeouts.Value `tfsdk:"timeouts"`
}

// route is the model's inputs, parsed and known.
type route struct {
	NetworkID   int64
	Destination netip.Prefix
	Gateway     netip.Addr
	Expand      bool
}

// known reports whether every input is known, i.e. the plan-time checks
// against the live network can run.
func (m model) known() bool {
	return !m.NetworkID.IsUnknown() && !m.Destination.IsUnknown() && !m.Gateway.IsUnknown() && !m.ExpandNetworkIPRange.IsUnknown()
}

// parse converts the model's inputs; errors sit on the attribute at fault.
// Unknown or null values parse as zero values without an error, so callers
// check known() first when they need every input.
func (m model) parse() (route, diag.Diagnostics) {
	var diags diag.Diagnostics
	r := route{NetworkID: m.NetworkID.ValueInt64(), Expand: m.ExpandNetworkIPRange.ValueBool()}
	if s := m.Destination; !s.IsNull() && !s.IsUnknown() {
		p, err := addrplan.ParsePrefix(addrplan.AttrDestination, s.ValueString())
		diags.Append(attrDiag(err)...)
		r.Destination = p
	}
	if s := m.Gateway; !s.IsNull() && !s.IsUnknown() {
		a, err := addrplan.ParseAddr(addrplan.AttrGateway, s.ValueString())
		diags.Append(attrDiag(err)...)
		r.Gateway = a
	}
	return r, diags
}

// resourceID is the Terraform ID and the import syntax:
// "<network_id>/<destination>", e.g. "123/10.1.0.0/16".
func resourceID(networkID int64, dest netip.Prefix) string {
	return strconv.FormatInt(networkID, 10) + "/" + dest.String()
}

// parseImportID reverses resourceID. It splits at the first '/', since the
// destination itself contains one.
func parseImportID(id string) (int64, netip.Prefix, error) {
	const help = `use "<network_id>/<destination>", e.g. "123/10.1.0.0/16"`
	nid, dest, ok := strings.Cut(id, "/")
	if !ok {
		return 0, netip.Prefix{}, fmt.Errorf("import ID %q has no '/'; %s", id, help)
	}
	n, err := strconv.ParseInt(nid, 10, 64)
	if err != nil || n <= 0 {
		return 0, netip.Prefix{}, fmt.Errorf("import ID %q: network ID %q is not a positive integer; %s", id, nid, help)
	}
	p, err := addrplan.ParsePrefix(addrplan.AttrDestination, dest)
	if err != nil {
		return 0, netip.Prefix{}, fmt.Errorf("import ID %q: destination: %s; %s", id, messageOf(err), help)
	}
	return n, p, nil
}

// attrDiag turns an addrplan rule violation into an error diagnostic on the
// attribute it names, so Terraform points at the line to change; other
// errors become plain errors.
func attrDiag(err error) diag.Diagnostics {
	var diags diag.Diagnostics
	attrdiag.AddMapped(&diags, attrPath, path.Empty(), "Invalid gateway route", err)
	return diags
}

// attrPath maps addrplan's attribute names onto this resource's schema. A
// problem with the network's own range is reported on network_id, the
// attribute that chose that network.
func attrPath(attr attrerr.Path) (path.Path, bool) {
	switch a := attr.String(); a {
	case addrplan.AttrDestination, addrplan.AttrGateway:
		return path.Root(a), true
	default:
		return path.Root("network_id"), true
	}
}

func messageOf(err error) string {
	var ne *attrerr.Error
	if errors.As(err, &ne) {
		return ne.Message
	}
	return err.Error()
}
