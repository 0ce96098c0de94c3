// Package cputime reads the CPU time this process has used, so that a
// benchmark can report CPU per operation beside wall time: a proxy's
// cost per exchange is CPU, and wall time on a shared machine mostly
// measures the other processes.
package cputime

import (
	"testing"
	"time"
)

// Meter is the process's CPU time at its start.
type Meter struct{ start time.Duration }

// Start reads the process's CPU time now.
func Start() Meter { return Meter{start: Used()} }

// Report adds the CPU time used since m per operation, as the metric
// "cpu-µs/op".
func (m Meter) Report(b *testing.B, ops int) {
	if used := Used(); used > 0 && ops > 0 {
		b.ReportMetric(float64(used-m.start)/float64(ops)/float64(time.Microsecond), "cpu-µs/op")
	}
}

// ReportPer adds the CPU time used since m per unit, as metric name
// (milliseconds per unit, such as "cpu-ms/MiB").
func (m Meter) ReportPer(b *testing.B, units float64, name string) {
	if used := Used(); used > 0 && units > 0 {
		b.ReportMetric(float64(used-m.start)/units/float64(time.Millisecond), name)
	}
}
