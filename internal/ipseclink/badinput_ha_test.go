package ipseclink_test

// haBadCases are the invalid high_availability configurations: each is
// refused at plan, on its attribute, before anything is built.
func haBadCases() []badCase {
	ha := func(body string) hclBody {
		return hclBody{"high_availability": "{\n      hcloud_token_wo = \"t0ken\"\n      " + body + "\n    }"}
	}
	return []badCase{
		{name: "ha_standby_location_other_zone", hetzner: ha(`standby_location = "ash"`),
			want: []string{"Standby location outside the network zone",
				"hetzner.high_availability.standby_location: ash is in network zone us-east, but the gateway subnet is in eu-central", "Choose a location in eu-central"}},
		{name: "ha_api_endpoint_not_a_url", hetzner: ha(`api_endpoint = "api.hetzner.cloud"`),
			want: []string{"Invalid API endpoint", `hetzner.high_availability.api_endpoint: "api.hetzner.cloud" is not an http(s) base URL`}},
		{name: "ha_without_token", hetzner: hclBody{"high_availability": `{ standby_location = "fsn1" }`},
			want: []string{"Incorrect attribute value type", `attribute "hcloud_token_wo" is required`}},
		{name: "ha_with_reused_gateway", hetzner: ha(""), azure: hclBody{"virtual_network_gateway_id": `"` + missingID + `virtualNetworkGateways/other"`},
			want: []string{"High availability needs a gateway of the link's own", "hetzner.high_availability: the link builds an active-active Azure gateway",
				"Leave azure.virtual_network_gateway_id unset"}},
	}
}
