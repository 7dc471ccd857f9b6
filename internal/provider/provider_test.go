package provider

import (
	"context"
	"testing"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwtest"
)

func TestSchemaIsValid(t *testing.T) {
	ctx := context.Background()
	fwtest.ProviderSchema(t, New("test")())

	// The protocol server is what Terraform and tfplugindocs see.
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	got, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range got.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Errorf("GetProviderSchema: %s: %s", d.Summary, d.Detail)
		}
	}
	if got.Provider == nil || len(got.Provider.Block.Attributes) != 2 {
		t.Fatalf("provider schema should have the hcloud and azure attributes, got %+v", got.Provider)
	}
}

// TestSchemaAttributes pins the user-facing contract: attribute names, that
// everything is optional (no account needed for data sources) and that every
// secret is Sensitive so Terraform hides it in plans and output.
func TestSchemaAttributes(t *testing.T) {
	s := fwtest.ProviderSchema(t, New("test")())
	want := map[string]map[string]bool{ // block -> attribute -> sensitive
		"hcloud": {"token": true, "endpoint": false, "poll_interval": false},
		"azure": {"subscription_id": false, "tenant_id": false, "client_id": false, "client_secret": true,
			"use_cli": false, "use_msi": false, "use_oidc": false, "oidc_token": true, "environment": false,
			"resource_manager_endpoint": false, "access_token": true, "poll_interval": false},
	}
	for block, attrs := range want {
		b, ok := s.Attributes[block].(schema.SingleNestedAttribute)
		if !ok {
			t.Fatalf("%s is not a SingleNestedAttribute", block)
		}
		if !b.IsOptional() || b.IsRequired() {
			t.Errorf("%s must be optional", block)
		}
		if len(b.Attributes) != len(attrs) {
			t.Errorf("%s has %d attributes, want %d", block, len(b.Attributes), len(attrs))
		}
		for name, sensitive := range attrs {
			a, ok := b.Attributes[name]
			if !ok {
				t.Errorf("%s.%s is missing", block, name)
				continue
			}
			if !a.IsOptional() {
				t.Errorf("%s.%s must be optional", block, name)
			}
			if a.IsSensitive() != sensitive {
				t.Errorf("%s.%s sensitive = %v, want %v", block, name, a.IsSensitive(), sensitive)
			}
			if a.GetMarkdownDescription() == "" {
				t.Errorf("%s.%s has no description (docs are generated from it)", block, name)
			}
		}
	}
}

func TestMetadata(t *testing.T) {
	var resp fwprovider.MetadataResponse
	New("1.2.3")().Metadata(context.Background(), fwprovider.MetadataRequest{}, &resp)
	if resp.TypeName != "crosscloud" || resp.Version != "1.2.3" {
		t.Errorf("metadata = %+v", resp)
	}
}
