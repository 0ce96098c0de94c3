package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"
)

// Report is a run's results with the machine it ran on.
type Report struct {
	Time    time.Time `json:"time"`
	Machine string    `json:"machine"`
	Results []Result  `json:"results"`
}

// Machine describes where the run happened.
func Machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteMarkdown writes one table per workload with ratios against direct
// and against bare goproxy.
func (r Report) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "Run %s on %s.\n\n", r.Time.UTC().Format(time.RFC3339), r.Machine)
	byWorkload := map[string][]Result{}
	var order []string
	for _, res := range r.Results {
		if _, ok := byWorkload[res.Workload]; !ok {
			order = append(order, res.Workload)
		}
		byWorkload[res.Workload] = append(byWorkload[res.Workload], res)
	}
	for _, name := range order {
		rs := byWorkload[name]
		direct, floor := find(rs, ModeDirect), find(rs, ModeGoproxy)
		fmt.Fprintf(w, "### %s\n\n", name)
		fmt.Fprintln(w, "| mode | req/s | vs direct | vs goproxy | p50 ms | p99 ms | added p50 ms | proxy CPU s/1k req | peak RSS MiB | store B/capture | errors | unfinished |")
		fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, res := range rs {
			if res.Skipped != "" {
				fmt.Fprintf(w, "| %s | skipped: %s | | | | | | | | | | |\n", res.Mode, res.Skipped)
				continue
			}
			if res.Requests == 0 {
				fmt.Fprintf(w, "| %s | none finished in %.0f s | | | | | | | %s | | %d | %d |\n",
					res.Mode, res.Seconds, num(res.PeakRSSMiB, "%.1f"), res.Errors, res.Unfinished)
				continue
			}
			fmt.Fprintf(w, "| %s | %.0f | %s | %s | %.2f | %.2f | %s | %s | %s | %s | %d | %d |\n",
				res.Mode, res.RPS, ratio(res.RPS, direct), ratio(res.RPS, floor), res.P50ms, res.P99ms,
				added(res, direct), num(res.CPUPer1k, "%.2f"), num(res.PeakRSSMiB, "%.1f"), num(res.StoreBytesPerEx, "%.0f"), res.Errors, res.Unfinished)
		}
		fmt.Fprintln(w)
	}
}

func find(rs []Result, mode string) *Result {
	for i := range rs {
		if rs[i].Mode == mode && rs[i].Skipped == "" {
			return &rs[i]
		}
	}
	return nil
}

func ratio(v float64, base *Result) string {
	if base == nil || base.RPS == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*v/base.RPS)
}

func added(r Result, direct *Result) string {
	if direct == nil || r.Mode == ModeDirect {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.P50ms-direct.P50ms)
}

func num(v float64, f string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(f, v)
}
