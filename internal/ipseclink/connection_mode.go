package ipseclink

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/azure"
)

// defaultConnectionMode is ResponderOnly: the Hetzner gateway initiates,
// with exactly its own traffic selectors, and nothing rests on what is not
// documented.
//
//   - In Default mode Azure also initiates, and a route-based gateway then
//     proposes 0.0.0.0/0 === 0.0.0.0/0. The Hetzner side narrows that to its
//     two networks (RFC 7296 §2.9; the lab shows it: lab.TestLabWhoInitiates),
//     but whether Azure accepts a narrowed answer is not documented, and one
//     field report saw a phase-2 mismatch over exactly these selectors
//     (ministryofjustice/modernisation-platform#2923). Both sides
//     initiating also means duplicate SAs.
//   - A peer's narrow selectors are accepted "consistent among all connection
//     modes" (VPN FAQ), which is what ResponderOnly relies on alone.
//   - The Hetzner gateway never gives up (keyingtries = 0, dpd_action and
//     close_action restart it), so Azure never needs to start the tunnel; the
//     cost is time-to-tunnel after the Azure connection appears: up to the
//     peer's next IKE_SA_INIT retransmit (about a minute at most with
//     strongSwan's defaults) instead of at once.
const defaultConnectionMode = "ResponderOnly"

func connectionModeAttribute() schema.StringAttribute {
	return schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(defaultConnectionMode),
		Validators: []validator.String{stringvalidator.OneOf("ResponderOnly", "Default", "InitiatorOnly")},
		MarkdownDescription: "Who starts IKE on the Azure side. `ResponderOnly` (default): Azure only answers; the Hetzner gateway, " +
			"which retries forever, initiates with exactly its traffic selectors, which Azure accepts in every mode. `Default`: Azure " +
			"also initiates, proposing `0.0.0.0/0` selectors as a route-based gateway does; the Hetzner side narrows them, but whether " +
			"Azure accepts the narrowed answer is not documented. `InitiatorOnly`: Azure initiates and does not answer. Azure sets the " +
			"mode when the connection is created, so a change re-creates the connection (the tunnel drops for a minute), not the gateway."}
}

// connectionModeOf is the mode an observed connection runs ("" = Default).
func connectionModeOf(c *azure.Connection) string {
	if c == nil || c.Mode == "" {
		return "Default"
	}
	return c.Mode
}
