// Command telltale is an outbound telemetry inspection proxy: it records,
// tamper-evidently, what a license server sends to its vendor.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile := cpuProfile(os.Getenv("TELLTALE_CPUPROFILE"))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	stopProfile()
	os.Exit(code)
}

// cpuProfile writes a CPU profile of the whole run to path when it is not
// empty (TELLTALE_CPUPROFILE: telltale-bench -cpuprofile sets it for
// serve, docs/bench/results.md reads the profiles). It returns the stop.
func cpuProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "telltale: TELLTALE_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
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
