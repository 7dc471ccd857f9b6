package ownership

import (
	"errors"
	"strings"
	"testing"
)

func TestOwned(t *testing.T) {
	tests := []struct {
		name  string
		marks Marks
		link  string
		owned bool
	}{
		{"both marks, this link", Of("hel1-weu"), "hel1-weu", true},
		{"no marks at all", Marks{}, "hel1-weu", false},
		{"another link's object", Of("fsn1-neu"), "hel1-weu", false},
		{"link mark without the managed-by marker", Marks{Link: "hel1-weu"}, "hel1-weu", false},
		{"link mark with another tool's marker", Marks{ManagedBy: "someone-else", Link: "hel1-weu"}, "hel1-weu", false},
		{"marker without a link mark", Marks{ManagedBy: ManagedBy}, "hel1-weu", false},
		{"a caller without a link owns nothing", Marks{ManagedBy: ManagedBy}, "", false},
		{"link marks compare exactly", Of("Hel1-weu"), "hel1-weu", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Owned(tt.marks, tt.link); got != tt.owned {
				t.Fatalf("Owned(%+v, %q) = %v, want %v", tt.marks, tt.link, got, tt.owned)
			}
			err := Check(Object{Kind: "Hetzner firewall", Name: "x"}, tt.marks, tt.link)
			if (err == nil) != tt.owned {
				t.Fatalf("Check = %v, want refused=%v", err, !tt.owned)
			}
		})
	}
}

func TestOwner(t *testing.T) {
	tests := []struct {
		marks Marks
		want  string
	}{
		{Of("a"), "a"},
		{Marks{Link: "a"}, ""},
		{Marks{ManagedBy: "other-tool", Link: "a"}, ""},
		{Marks{ManagedBy: ManagedBy}, ""},
	}
	for _, tt := range tests {
		if got := tt.marks.Owner(); got != tt.want {
			t.Errorf("%+v.Owner() = %q, want %q", tt.marks, got, tt.want)
		}
	}
}

// The message names the object and says what is wrong and what to do; an
// object of another link names that link, one crosscloud did not create
// says so.
func TestErrorSaysWhatAndWhatToDo(t *testing.T) {
	fw := Object{Kind: "Hetzner firewall", Name: "hel1-weu-gw-fw", ID: "42", Marks: "the labels l=hel1-weu and m=" + ManagedBy}
	pip := Object{Kind: "Azure public IP", Name: "hel1-weu-vgw-pip", ID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/hel1-weu-vgw-pip"}
	tests := []struct {
		name         string
		obj          Object
		marks        Marks
		want         Error
		says, absent []string
	}{
		{"someone else's firewall", fw, Marks{}, Error{Kind: fw.Kind, Name: fw.Name, ID: "42", Link: "hel1-weu", Marks: fw.Marks},
			[]string{`Hetzner firewall "hel1-weu-gw-fw" (ID 42)`, `not created by crosscloud link "hel1-weu"`,
				"it lacks the labels l=hel1-weu and m=" + ManagedBy, "Rename the link, or delete or rename that Hetzner firewall"},
			[]string{"belongs to", "import"}},
		{"a copied link tag is not ownership", pip, Marks{Link: "hel1-weu"}, Error{Kind: pip.Kind, Name: pip.Name, ID: pip.ID, Link: "hel1-weu"},
			[]string{`Azure public IP "hel1-weu-vgw-pip" (ID /subscriptions/s/`, "not created by crosscloud", "delete or rename that Azure public IP"},
			[]string{"belongs to", "lacks"}},
		{"another link's public IP", pip, Of("other"), Error{Kind: pip.Kind, Name: pip.Name, ID: pip.ID, Link: "hel1-weu", Owner: "other"},
			[]string{`Azure public IP "hel1-weu-vgw-pip"`, `belongs to crosscloud link "other", not to link "hel1-weu"`,
				`Rename link "hel1-weu", or destroy link "other" first`, "terraform import"},
			[]string{"not created by"}},
		{"no ID known", Object{Kind: "Hetzner server", Name: "s"}, Marks{}, Error{Kind: "Hetzner server", Name: "s", Link: "l"},
			[]string{`Hetzner server "s" already exists`}, []string{"(ID"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.obj, tt.marks, tt.want.Link)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check = %v, want an *Error", err)
			}
			if *e != tt.want {
				t.Errorf("error = %+v, want %+v", *e, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(err.Error(), s) {
					t.Errorf("message %q should not say %q", err, s)
				}
			}
		})
	}
}
