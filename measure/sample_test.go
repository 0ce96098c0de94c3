package measure

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

var at = time.Date(2026, 5, 4, 9, 15, 0, 0, time.UTC)

// TestParseCIM_RecordedPools reads testdata/license_pools.json, written
// by hand in the shape `Get-CimInstance -Namespace root\CitrixLicensing
// -ClassName Citrix_GT_License_Pool | Select-Object PLD,Count,InUseCount,
// Overdraft | ConvertTo-Json -Compress` gives: the property names are the
// class's (Citrix's Licensing WMI documentation, and the administrators'
// scripts that read PLD, Count and InUseCount), the figures invented; a
// class without Overdraft gives null, and Citrix's own startup license
// (CITRIX_STARTUP) is a pool like the others.
func TestParseCIM_RecordedPools(t *testing.T) {
	b, err := os.ReadFile("testdata/license_pools.json")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := ParseCIM(b, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 4 || ss[0].License != "XDT_PLT_UD" || ss[0].Count != 500 || ss[0].InUse != 312 || ss[0].Overdraft == nil || *ss[0].Overdraft != 50 ||
		ss[2].Overdraft != nil || !ss[2].Time.Equal(at) {
		t.Errorf("got %+v", ss)
	}
	// ConvertTo-Json writes a single pool as an object, not an array.
	one, err := ParseCIM([]byte("\ufeff{\"PLD\":\"XDT_PLT_UD\",\"Count\":5,\"InUseCount\":2}\r\n"), at)
	if err != nil || len(one) != 1 || one[0].InUse != 2 || one[0].Overdraft != nil {
		t.Errorf("one pool: got %+v %v", one, err)
	}
	if none, err := ParseCIM([]byte("  \r\n"), at); err != nil || len(none) != 0 {
		t.Errorf("no pool: got %+v %v", none, err)
	}
	for _, bad := range []string{`[{"PLD":"X","Count":1}]`, `{"Count":1,"InUseCount":1}`, `[1,2]`, `not json`} {
		if _, err := ParseCIM([]byte(bad), at); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	peaks := DailyPeaks(append(ss, Sample{Time: at.Add(15 * time.Minute), License: "XDT_PLT_UD", Count: 500, InUse: 300}))
	var got []string
	for _, m := range peaks {
		got = append(got, fmt.Sprintf("%s %s %g", m.Date, m.Name, m.Value))
	}
	want := []string{"2026-05-04 CAG_AAC_CCU.CountUsedMax 988", "2026-05-04 CITRIX_STARTUP.CountUsedMax 0", "2026-05-04 XDT_PLT_UD.CountUsedMax 319"}
	if !slices.Equal(got, want) {
		t.Errorf("daily peaks: got %q, want %q", got, want)
	}
}

// TestPowerShell_RunsTheQuery runs a stand-in for powershell.exe (a
// shell script) through the real os/exec path: its output is parsed,
// the query is passed as -Command, a failure carries its stderr, and a
// hung one is killed at the timeout.
func TestPowerShell_RunsTheQuery(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in is a shell script")
	}
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := script("ok", `case "$4" in *Citrix_GT_License_Pool*ConvertTo-Json*) cat `+filepath.Join(mustAbs(t, "testdata"), "license_pools.json")+`;; *) echo "bad args: $*" >&2; exit 3;; esac`)
	ss, err := PowerShell{Path: ok, Now: func() time.Time { return at }}.Sample(context.Background())
	if err != nil || len(ss) != 4 || !ss[0].Time.Equal(at) {
		t.Fatalf("got %+v %v", ss, err)
	}
	fail := script("fail", `echo "Get-CimInstance : Invalid namespace" >&2; exit 1`)
	if _, err := (PowerShell{Path: fail}).Sample(context.Background()); err == nil || !strings.Contains(err.Error(), "Invalid namespace") {
		t.Errorf("failing query: got %v, want its stderr", err)
	}
	hang := script("hang", `exec sleep 30`)
	start := time.Now()
	if _, err := (PowerShell{Path: hang, Timeout: 200 * time.Millisecond}).Sample(context.Background()); err == nil || !strings.Contains(err.Error(), "within 200ms") {
		t.Errorf("hung query: got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("hung query took %s, want about the timeout", d)
	}
}

func TestRecorded_ReadsArrayAndLines(t *testing.T) {
	dir := t.TempDir()
	lines := filepath.Join(dir, "s.jsonl")
	os.WriteFile(lines, []byte(`{"time":"2026-05-04T09:00:00Z","license":"A","count":3,"in_use":2}`+"\n"+`{"time":"2026-05-04T09:15:00Z","license":"A","count":3,"in_use":1,"overdraft":1}`+"\n"), 0o644)
	ss, err := Recorded{Path: lines}.Sample(context.Background())
	if err != nil || len(ss) != 2 || ss[1].Overdraft == nil || ss[0].InUse != 2 {
		t.Errorf("lines: got %+v %v", ss, err)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"license":"A"}`), 0o644)
	if _, err := (Recorded{Path: bad}).Sample(context.Background()); err == nil || !strings.Contains(err.Error(), "sample 1") {
		t.Errorf("bad: got %v", err)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
