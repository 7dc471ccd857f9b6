// Command crosscloud-acc is the preflight of `make testacc-real`: it refuses
// to start, creating nothing, unless CROSSCLOUD_ACC_REAL=1 and credentials
// for both clouds are set (naming each thing that is missing), prints what
// the run creates, costs and takes, then runs the acceptance suite of
// internal/acctest against the endpoints the environment names.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/crosscloud-tf/terraform-provider-crosscloud/internal/acctest/accenv"
)

func main() {
	os.Exit(run(os.Args[1:], accenv.OSEnv, os.Stdout, os.Stderr, goTest))
}

// suiteArgs is the `go test` the run performs: -count=1 because a cached
// pass says nothing about today's clouds, 180m for two 45-minute gateway
// builds and their deletes with headroom.
var suiteArgs = []string{"test", "-count=1", "-timeout", "180m", "-v", "./internal/acctest/..."}

// goTest runs `go test` with TF_ACC=1 added to the environment.
func goTest(args []string, stdout, stderr io.Writer) int {
	cmd := exec.Command("go", args...)
	cmd.Env = append(os.Environ(), "TF_ACC=1")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintln(stderr, "crosscloud-acc:", err)
		return 1
	}
	return 0
}

func run(args []string, env accenv.LookupEnv, stdout, stderr io.Writer, test func([]string, io.Writer, io.Writer) int) int {
	if missing := accenv.Missing(env); len(missing) > 0 {
		fmt.Fprintln(stderr, "crosscloud-acc: refusing to start a real-account run; nothing was created. Set:")
		for _, m := range missing {
			fmt.Fprintln(stderr, "  - "+m)
		}
		fmt.Fprintln(stderr, "See docs/guides/real-accounts.md.")
		return 2
	}
	if _, err := accenv.RunLabel(env); err != nil {
		fmt.Fprintln(stderr, "crosscloud-acc: "+err.Error())
		return 2
	}
	fmt.Fprintln(stdout, accenv.Plan(env))
	a := append(append([]string{}, suiteArgs...), args...)
	fmt.Fprintln(stdout, "running: TF_ACC=1 go "+strings.Join(a, " "))
	return test(a, stdout, stderr)
}
