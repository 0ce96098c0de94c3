// Command telltale is an outbound telemetry inspection proxy: it records,
// tamper-evidently, what a license server sends to its vendor.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitCode maps an error to the documented exit codes: 0 ok, 1 runtime
// failure, 2 bad usage or configuration.
func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case isUsage(err):
		return 2
	}
	return 1
}

func printErr(w interface{ Write([]byte) (int, error) }, err error) {
	fmt.Fprintf(w, "telltale: %v\n", err)
}
