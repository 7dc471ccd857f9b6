// Package cli holds what the crosscloud commands' main functions share.
package cli

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Main is a command's main: it calls run with the command line, a context
// that SIGINT and SIGTERM cancel (so a run stops its emulators and
// terraform processes instead of leaving them behind) and the process's
// output, and exits with the code run returns. run takes no globals, so the
// commands' tests call it directly.
func Main(run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
