package sim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// GET /_sim/operations is how the harness and the bench learn what work the
// clouds ran and how long each piece made clients wait: the frame must
// merge both clouds' operations, oldest first, and keep what each reported.
func TestOperationsEndpoint(t *testing.T) {
	s := startFake(t, testOptions())
	if _, body := do(t, s, "GET", "/_sim/operations", false); body != `{"operations":[]}` {
		t.Errorf("no work yet = %s, want {\"operations\":[]}", body)
	}
	before := time.Now()
	for _, p := range []string{"/hcloud/v1/things?name=net", "/azure/things?name=vnet", "/hcloud/v1/things?name=server"} {
		if status, body := do(t, s, "POST", p, true); status != 201 {
			t.Fatalf("POST %s = %d %s", p, status, body)
		}
	}

	status, body := do(t, s, "GET", "/_sim/operations", false) // no token needed, like /_sim/state
	if status != 200 {
		t.Fatalf("GET /_sim/operations = %d %s", status, body)
	}
	var got OperationsResponse
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	var order []string
	for i, op := range got.Operations {
		order = append(order, op.Cloud+":"+op.Kind+":"+op.Target)
		if op.Start.Before(before) || op.End.Sub(op.Start) != time.Second || !op.Running || op.Failed {
			t.Errorf("operation %d = %+v, want what the cloud reported: started after %v, 1s long, running, not failed", i, op, before)
		}
		if i > 0 && op.Start.Before(got.Operations[i-1].Start) {
			t.Errorf("operation %d starts before operation %d: want oldest first", i, i-1)
		}
	}
	if want := "hcloud:create:thing/net azure:create:thing/vnet hcloud:create:thing/server"; strings.Join(order, " ") != want {
		t.Errorf("operations = %v, want both clouds in request order %q", order, want)
	}
	if _, again := do(t, s, "GET", "/_sim/operations", false); again != body {
		t.Errorf("two reads of an unchanged emulator differ:\n%s\n%s", body, again)
	}
	if status, _ := do(t, s, "POST", "/_sim/operations", false); status != 405 {
		t.Errorf("POST /_sim/operations = %d, want 405: the endpoint is read-only", status)
	}
}
