package ipseclink

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Changing the default server type must not replace existing gateways: an
// unset server_type keeps the value in state; set, it wins; on create the
// default stands.
func TestKeepStateWhenUnset(t *testing.T) {
	tests := []struct {
		name                string
		config, state, plan types.String
		want                string
	}{
		{"unset keeps the state", types.StringNull(), types.StringValue("cx22"), types.StringValue(defaultServerType), "cx22"},
		{"set wins", types.StringValue("cx23"), types.StringValue("cx22"), types.StringValue("cx23"), "cx23"},
		{"create takes the default", types.StringNull(), types.StringNull(), types.StringValue(defaultServerType), defaultServerType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &planmodifier.StringResponse{PlanValue: tt.plan}
			keepStateWhenUnset{}.PlanModifyString(context.Background(), planmodifier.StringRequest{
				ConfigValue: tt.config, StateValue: tt.state, PlanValue: tt.plan}, resp)
			if resp.PlanValue.ValueString() != tt.want {
				t.Fatalf("planned %s, want %s", resp.PlanValue, tt.want)
			}
		})
	}
}

func TestZoneOf(t *testing.T) {
	for loc, want := range map[string]string{"ash": "us-east", "hil": "us-west", "sin": "ap-southeast", "hel1": "eu-central", "mars1": ""} {
		if got := zoneOf(&hetznerSpec{Location: loc}); got != want {
			t.Errorf("zoneOf(%s) = %q, want %q", loc, got, want)
		}
	}
	if got := zoneOf(&hetznerSpec{Location: "ash", Zone: "eu-central"}); got != "eu-central" {
		t.Errorf("a set network_zone must win (the plan check reports the mismatch), got %q", got)
	}
}
