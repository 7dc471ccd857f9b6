package harness

import (
	"context"
	"testing"
)

// TestMeasureSchema checks that the harness really reaches the provider's
// GetProviderSchema: the answer must hold the provider's own schema, which
// is several kilobytes (the provider block alone describes both clouds).
func TestMeasureSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider")
	}
	b, err := Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st, err := MeasureSchema(context.Background(), b.Provider)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes < 1000 || st.RPC <= 0 || st.Startup <= 0 {
		t.Fatalf("GetProviderSchema answer: %+v; want a real schema (>1000 bytes) and positive timings", st)
	}
	t.Logf("%+v", st)
}
