package clients

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hetznercloud/hcloud-go/v2/hcloud"
)

func diagText(d diag.Diagnostics) string {
	var b strings.Builder
	for _, x := range d {
		b.WriteString(x.Summary() + "\n" + x.Detail() + "\n")
	}
	return b.String()
}

// notConfigured is a Clients whose accessor must refuse, and what its one
// error diagnostic must mention.
type notConfigured struct {
	name   string
	c      *Clients
	expect []string
}

func TestHCloudNotConfigured(t *testing.T) {
	testNotConfigured(t, "HCloud()", func(c *Clients) (bool, diag.Diagnostics) { got, d := c.HCloud(); return got != nil, d },
		[]notConfigured{
			{"nil clients", nil, []string{"hcloud.token", "HCLOUD_TOKEN"}},
			{"zero clients", &Clients{}, []string{"hcloud.token", "HCLOUD_TOKEN"}},
			{"with reason", New(Options{HCloudUnavailable: "block unknown until apply"}),
				[]string{"block unknown until apply", "hcloud.token", "HCLOUD_TOKEN"}},
		})
}

func TestAzureNotConfigured(t *testing.T) {
	testNotConfigured(t, "Azure()", func(c *Clients) (bool, diag.Diagnostics) { got, d := c.Azure(); return got != nil, d },
		[]notConfigured{
			{"nil clients", nil, []string{"azure.subscription_id", "ARM_SUBSCRIPTION_ID", "use_cli", "use_msi", "use_oidc", "client_secret", "access_token"}},
			{"with reason", New(Options{AzureUnavailable: "no credential is chosen"}),
				[]string{"no credential is chosen", "azure.subscription_id", "ARM_SUBSCRIPTION_ID"}},
		})
}

// testNotConfigured calls accessor (named name; it reports whether it
// returned a client) on each case: no client, exactly one error, and every
// expected word in it.
func testNotConfigured(t *testing.T, name string, accessor func(*Clients) (bool, diag.Diagnostics), tests []notConfigured) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := accessor(tt.c)
			if got {
				t.Fatalf("%s returned a client for an unconfigured provider", name)
			}
			if len(d) != 1 || !d.HasError() {
				t.Fatalf("want exactly one error diagnostic, got %d: %s", len(d), diagText(d))
			}
			text := diagText(d)
			for _, want := range tt.expect {
				if !strings.Contains(text, want) {
					t.Errorf("diagnostic does not mention %q:\n%s", want, text)
				}
			}
		})
	}
}

// errWanted fails t unless err is as a table case wants: containing want,
// or nil when want is empty. It reports whether the case wanted (and got)
// an error, so that a case can stop there, or go on checking the error.
func errWanted(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want one containing %q", err, want)
	}
	return true
}

func TestConfiguredAccessors(t *testing.T) {
	h := hcloud.NewClient(hcloud.WithToken("x"))
	a := &Azure{SubscriptionID: "sub"}
	c := New(Options{HCloud: h, Azure: a})
	if got, d := c.HCloud(); got != h || d.HasError() {
		t.Errorf("HCloud() = %v, %s; want the configured client", got, diagText(d))
	}
	if got, d := c.Azure(); got != a || d.HasError() {
		t.Errorf("Azure() = %v, %s; want the configured access", got, diagText(d))
	}
}

func TestFromProviderData(t *testing.T) {
	c := New(Options{})
	tests := []struct {
		name    string
		data    any
		want    *Clients
		wantErr bool
	}{
		{"nil before configure", nil, nil, false},
		{"clients", c, c, false},
		{"wrong type", "not clients", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, d := FromProviderData(tt.data)
			if got != tt.want {
				t.Errorf("got %p, want %p", got, tt.want)
			}
			if d.HasError() != tt.wantErr {
				t.Errorf("error = %v, want %v: %s", d.HasError(), tt.wantErr, diagText(d))
			}
			if tt.wantErr && !strings.Contains(diagText(d), "string") {
				t.Errorf("diagnostic should name the unexpected type: %s", diagText(d))
			}
		})
	}
}
