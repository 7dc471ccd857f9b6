package fwop_test

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/fwop"
)

func block(create string) timeouts.Value {
	return timeouts.Value{Object: types.ObjectValueMust(
		map[string]attr.Type{"create": types.StringType},
		map[string]attr.Value{"create": types.StringValue(create)})}
}

func TestBound(t *testing.T) {
	create := fwop.Timeout{Of: timeouts.Value.Create, Default: 7 * time.Minute}
	for _, tc := range []struct {
		name string
		v    timeouts.Value
		want time.Duration
	}{
		{"unset entry takes the default", timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{"create": types.StringType})}, 7 * time.Minute},
		{"set entry wins", block("3m"), 3 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now()
			ctx, cancel, diags := create.Bound(context.Background(), tc.v)
			defer cancel()
			if diags.HasError() {
				t.Fatalf("diagnostics: %v", diags)
			}
			dl, ok := ctx.Deadline()
			if !ok {
				t.Fatal("no deadline")
			}
			if got := dl.Sub(before); got < tc.want || got > tc.want+time.Minute {
				t.Errorf("deadline %v after start, want %v", got, tc.want)
			}
		})
	}
}

func TestBoundBadEntry(t *testing.T) {
	parent := context.Background()
	ctx, cancel, diags := fwop.Timeout{Of: timeouts.Value.Create, Default: time.Minute}.Bound(parent, block("soon"))
	cancel()
	if !diags.HasError() {
		t.Fatal("want an error for a timeout that does not parse")
	}
	if ctx != parent {
		t.Error("on error Bound must return the caller's context unchanged")
	}
}
