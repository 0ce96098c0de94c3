// Command telltale-bench measures Telltale against a direct connection,
// bare goproxy MITM and mitmdump on this machine, and writes the results as
// Markdown and JSON. Run it from the repository root:
//
//	go run ./cmd/telltale-bench -duration 10s -o bench-results
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/telltale/telltale/bench"
)

func main() {
	if ran, err := bench.FloorFromEnv(); ran {
		if err != nil {
			fmt.Fprintln(os.Stderr, "goproxy floor:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "telltale-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	duration := flag.Duration("duration", 10*time.Second, "how long each workload runs in each mode")
	out := flag.String("o", "bench-results", "write results.md and results.json here")
	modes := flag.String("modes", "direct,goproxy,telltale,mitmdump", "modes to measure")
	only := flag.String("workloads", "", "comma-separated workload names (default: all but the 100 MiB one)")
	big := flag.Bool("big", false, "also run 64 clients x 100 MiB uploads (the memory target)")
	prebuilt := flag.String("telltale", "", "measure this telltale binary instead of building ./cmd/telltale (to compare two builds)")
	profiles := flag.String("cpuprofile", "", "write a CPU profile of each telltale process to this directory (WORKLOAD-MODE.pprof)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	work, err := os.MkdirTemp("", "telltale-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bin := *prebuilt
	if bin == "" {
		bin = filepath.Join(work, "telltale")
		fmt.Fprintln(os.Stderr, "building telltale…")
		if b, err := exec.Command("go", "build", "-o", bin, "./cmd/telltale").CombinedOutput(); err != nil {
			return fmt.Errorf("build telltale (run from the repository root): %v\n%s", err, b)
		}
	}
	if *profiles != "" {
		if err := os.MkdirAll(*profiles, 0o755); err != nil {
			return err
		}
		if *profiles, err = filepath.Abs(*profiles); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ws := bench.DefaultWorkloads(*duration)
	if *big {
		ws = append(ws, bench.BigUploads())
	}
	ws = filterWorkloads(ws, *only)
	started := time.Now()
	save := func(res []bench.Result) {
		if err := write(*out, bench.Report{Time: started, Machine: bench.Machine(), Results: res}, io.Discard); err != nil {
			fmt.Fprintln(os.Stderr, "telltale-bench: save results:", err)
		}
	}
	res, err := bench.Run(ctx, bench.Config{TelltaleBin: bin, Self: self, WorkDir: work,
		Modes: strings.Split(*modes, ","), Workloads: ws, Log: os.Stderr, OnResult: save, ProfileDir: *profiles})
	if err != nil {
		return err
	}
	return write(*out, bench.Report{Time: started, Machine: bench.Machine(), Results: res}, os.Stdout)
}

func filterWorkloads(ws []bench.Workload, only string) []bench.Workload {
	if only == "" {
		return ws
	}
	var out []bench.Workload
	for _, w := range append(ws, bench.BigUploads()) {
		for _, n := range strings.Split(only, ",") {
			if w.Name == n {
				out = append(out, w)
			}
		}
	}
	return out
}

func write(dir string, r bench.Report, show io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	md, err := os.Create(filepath.Join(dir, "results.md"))
	if err != nil {
		return err
	}
	defer md.Close()
	r.WriteMarkdown(md)
	r.WriteMarkdown(show)
	js, err := os.Create(filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	defer js.Close()
	return r.WriteJSON(js)
}
