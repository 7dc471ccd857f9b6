package harness

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// SchemaTiming is one cold GetProviderSchema call, the way terraform makes
// it at the start of every command: a fresh provider process, go-plugin's
// handshake, then one RPC.
type SchemaTiming struct {
	// Startup is process start until the go-plugin handshake line.
	Startup time.Duration
	// RPC is the GetProviderSchema round trip alone: the provider building
	// every resource's and data source's schema and serialising it.
	RPC time.Duration
	// Bytes is the size of the serialised response.
	Bytes int
}

// MeasureSchema starts the provider binary as terraform would (go-plugin
// handshake, protocol 6, without TLS since no client certificate is
// offered), calls tfplugin6.Provider/GetProviderSchema once and stops it.
func MeasureSchema(ctx context.Context, provider string) (SchemaTiming, error) {
	var t SchemaTiming
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, provider)
	cmd.Env = append(os.Environ(),
		"TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
		"PLUGIN_PROTOCOL_VERSIONS=6")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return t, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return t, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return t, fmt.Errorf("reading the provider's go-plugin handshake: %w", err)
	}
	t.Startup = time.Since(start)
	// CORE-VERSION|APP-VERSION|NETWORK|ADDR|PROTOCOL|CERT
	f := strings.Split(strings.TrimSpace(line), "|")
	if len(f) < 5 || f[1] != "6" || f[4] != "grpc" {
		return t, fmt.Errorf("unexpected go-plugin handshake %q (want protocol 6 over grpc)", line)
	}
	target := f[3]
	if f[2] == "unix" {
		target = "unix://" + target
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return t, err
	}
	defer conn.Close()
	// terraform-plugin-go keeps its generated client internal, and the
	// harness needs the round trip, not the decoded schema: an empty
	// request is GetProviderSchema.Request's encoding, and Empty keeps the
	// whole answer as unknown fields, so proto.Size is its wire size.
	req, resp := &emptypb.Empty{}, &emptypb.Empty{}
	rpcStart := time.Now()
	if err := conn.Invoke(ctx, "/tfplugin6.Provider/GetProviderSchema", req, resp); err != nil {
		return t, fmt.Errorf("GetProviderSchema: %w", err)
	}
	t.RPC = time.Since(rpcStart)
	t.Bytes = proto.Size(resp)
	return t, nil
}
