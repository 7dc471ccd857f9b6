package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLabServesTheCloudAPIToGateways: a gateway reaches the API the lab is
// given on APIAddr over its public interface, the way a failover agent on a
// real gateway reaches api.hetzner.cloud, and the request arrives as sent
// (path and bearer token); a lab built without an API serves nothing there.
func TestLabServesTheCloudAPIToGateways(t *testing.T) {
	ctx := labContext(t, 60*time.Second)
	got := make(chan string, 1)
	topo := originTopology(testPrefix("a"))
	topo.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Authorization")
		fmt.Fprint(w, `{"floating_ips":[]}`)
	})
	l, err := Build(ctx, topo)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	defer l.Close(context.Background())
	ns, ok := l.ServerNS("gw")
	if !ok {
		t.Fatal("no namespace for the gateway server")
	}
	status, body, err := getFrom(ns, "/v1/floating_ips", "Bearer agent-token")
	if err != nil {
		t.Fatalf("GET from the gateway: %v", err)
	}
	if status != http.StatusOK || body != `{"floating_ips":[]}` {
		t.Fatalf("GET from the gateway: %d %q", status, body)
	}
	if req := <-got; req != "GET /v1/floating_ips Bearer agent-token" {
		t.Fatalf("the API received %q", req)
	}

	bare, err := Build(ctx, originTopology(testPrefix("b")))
	if err != nil {
		t.Fatalf("Build without API: %v", err)
	}
	defer bare.Close(context.Background())
	ns, _ = bare.ServerNS("gw")
	if _, _, err := getFrom(ns, "/v1/floating_ips", ""); err == nil {
		t.Fatal("a lab built without an API answered on APIAddr")
	}
}

// getFrom sends one HTTP/1.0 GET to APIAddr from inside ns.
func getFrom(ns, path, auth string) (int, string, error) {
	var conn net.Conn
	err := InNetNS(ns, func() (err error) {
		conn, err = net.DialTimeout("tcp4", APIAddr+":80", 3*time.Second)
		return err
	})
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET " + path + " HTTP/1.0\r\nHost: " + APIAddr + "\r\n"
	if auth != "" {
		req += "Authorization: " + auth + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return 0, "", err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}
