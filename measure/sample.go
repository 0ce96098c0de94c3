package measure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/telltale/telltale/analysis"
)

// Sample is one license pool as sampled at one time.
type Sample struct {
	Time time.Time `json:"time"`
	// License is the pool's PLD, the feature code the compliance uploads
	// name (XDT_PLT_UD).
	License string `json:"license"`
	Count   int    `json:"count"`  // installed
	InUse   int    `json:"in_use"` // InUseCount
	// Overdraft is the pool's Overdraft property, when the class has it:
	// the licenses it may use beyond Count.
	Overdraft *int `json:"overdraft,omitempty"`
}

// Sampler samples every license pool once.
type Sampler interface {
	Sample(ctx context.Context) ([]Sample, error)
}

// cimPool is one Citrix_GT_License_Pool instance as ConvertTo-Json
// writes it. The property names are those of the class (Citrix,
// "Citrix Licensing WMI"; the administrators' scripts read PLD, Count
// and InUseCount); Overdraft is absent on License Servers whose class
// lacks it.
type cimPool struct {
	PLD        string
	Count      *int
	InUseCount *int
	Overdraft  *int
}

// ParseCIM reads the JSON of `Get-CimInstance ... | Select-Object PLD,
// Count, InUseCount, Overdraft | ConvertTo-Json`, taken at t: an array
// of pools, or one object when there is a single pool (ConvertTo-Json
// unwraps a one-element array), or nothing when there is none.
func ParseCIM(b []byte, t time.Time) ([]Sample, error) {
	b = bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\ufeff")))
	if len(b) == 0 {
		return []Sample{}, nil
	}
	var pools []cimPool
	if b[0] == '{' {
		pools = make([]cimPool, 1)
		if err := json.Unmarshal(b, &pools[0]); err != nil {
			return nil, fmt.Errorf("wmi pools: %w", err)
		}
	} else if err := json.Unmarshal(b, &pools); err != nil {
		return nil, fmt.Errorf("wmi pools: %w", err)
	}
	out := make([]Sample, 0, len(pools))
	for i, p := range pools {
		if strings.TrimSpace(p.PLD) == "" || p.Count == nil || p.InUseCount == nil {
			return nil, fmt.Errorf("wmi pool %d: want PLD, Count and InUseCount, got %+v", i+1, p)
		}
		out = append(out, Sample{Time: t.UTC(), License: strings.TrimSpace(p.PLD), Count: *p.Count, InUse: *p.InUseCount, Overdraft: p.Overdraft})
	}
	return out, nil
}

// Readings are the samples as analysis reads a usage script's rows.
func Readings(ss []Sample) []analysis.Reading {
	out := make([]analysis.Reading, len(ss))
	for i, s := range ss {
		out[i] = analysis.Reading{Time: s.Time, License: s.License, Count: float64(s.Count), InUse: float64(s.InUse)}
	}
	return out
}

// DailyPeaks are the samples' measurements to reconcile: each license's
// peak in use per UTC day (analysis.DailyPeaks).
func DailyPeaks(ss []Sample) []analysis.Measurement {
	return analysis.DailyPeaks(Readings(ss))
}

// Recorded replays samples recorded earlier: a JSON array of Sample, or
// one Sample per line. Each Sample call returns them all (the store
// keeps one of each time and license).
type Recorded struct {
	Path string
}

var _ Sampler = Recorded{}

// Sample reads the file.
func (r Recorded) Sample(context.Context) ([]Sample, error) {
	b, err := os.ReadFile(r.Path)
	if err != nil {
		return nil, fmt.Errorf("recorded samples: %w", err)
	}
	ss, err := ParseRecorded(b)
	if err != nil {
		return nil, fmt.Errorf("recorded samples %s: %w", r.Path, err)
	}
	return ss, nil
}

// ParseRecorded reads a JSON array of Sample, or JSON lines of them.
func ParseRecorded(b []byte) ([]Sample, error) {
	b = bytes.TrimSpace(b)
	var out []Sample
	if len(b) > 0 && b[0] == '[' {
		err := json.Unmarshal(b, &out)
		return out, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for n := 1; ; n++ {
		var s Sample
		if err := dec.Decode(&s); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("sample %d: %w", n, err)
		}
		if s.License == "" || s.Time.IsZero() {
			return nil, fmt.Errorf("sample %d: want time and license", n)
		}
		out = append(out, s)
	}
}
