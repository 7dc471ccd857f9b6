package strongswanconfig

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
)

// TestSchema pins what users and the registry docs rely on: a valid
// schema, a description on every attribute (tfplugindocs renders them), and
// every value that carries the shared key marked sensitive.
func TestSchema(t *testing.T) {
	ctx := context.Background()
	var resp datasource.SchemaResponse
	NewDataSource().Schema(ctx, datasource.SchemaRequest{}, &resp)
	if d := resp.Schema.ValidateImplementation(ctx); d.HasError() {
		t.Fatalf("schema: %v", d)
	}
	sensitive := map[string]bool{"shared_key": true, "swanctl_conf": true, "cloud_init": true}
	required := map[string]bool{"connection_name": true, "local_address": true, "remote_address": true,
		"local_prefixes": true, "remote_prefixes": true, "shared_key": true}
	for name, a := range resp.Schema.Attributes {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("%s has no description", name)
		}
		if a.IsSensitive() != sensitive[name] {
			t.Errorf("%s: sensitive = %v, want %v", name, a.IsSensitive(), sensitive[name])
		}
		if a.IsRequired() != required[name] {
			t.Errorf("%s: required = %v, want %v", name, a.IsRequired(), required[name])
		}
		if n, ok := a.(schema.SingleNestedAttribute); ok {
			for sub, sa := range n.Attributes {
				if sa.GetMarkdownDescription() == "" {
					t.Errorf("%s.%s has no description", name, sub)
				}
			}
		}
	}
	for _, out := range []string{"id", "swanctl_conf", "swanctl_conf_path", "cloud_init", "ike_proposal", "esp_proposal"} {
		if a, ok := resp.Schema.Attributes[out]; !ok || !a.IsComputed() || a.IsOptional() {
			t.Errorf("output %s must exist and be computed only", out)
		}
	}
}
