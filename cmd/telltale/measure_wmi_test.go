package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/measure"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/testbed"
)

// wmiSamples are what the License Server's WMI pools would have shown
// over the demo's days, every 15 minutes: for each license of each
// usage day, in use below the day's peak, and at its peak (the
// CountUsedMax the next day's upload reports) once, at 14:00 UTC.
// adjust, when not nil, adds to a day's peak.
func wmiSamples(rep testbed.Report, adjust func(day int, id string) int) []measure.Sample {
	var out []measure.Sample
	for _, d := range rep.Days {
		for _, f := range d.Features {
			peak := f.CountUsedMax
			if adjust != nil {
				peak += adjust(d.Day, f.ID)
			}
			for k := range 96 {
				t := d.UsageDate.Add(time.Duration(k) * 15 * time.Minute)
				inUse := max(0, peak-1-k%5)
				if k == 56 {
					inUse = peak
				}
				out = append(out, measure.Sample{Time: t, License: f.ID, Count: f.Installed, InUse: inUse})
			}
		}
	}
	return out
}

// TestCLI_Reconcile_WMISamples: serve samples the WMI pools every
// measure.wmi_interval (here replaying a recording, as on Linux), keeps
// them in the store, and `telltale reconcile` without --measured
// compares each license's daily peak with what the demo's uploads
// reported: through the admin API while serve runs, and on the store
// file once it stopped. Samples matching the simulated License Server
// agree on every figure-day; a day whose peak is 7 higher is the one
// mismatch.
func TestCLI_Reconcile_WMISamples(t *testing.T) {
	recording := filepath.Join(t.TempDir(), "wmi.json")
	s, rep, stop := demoRunWith(t, 10, func(cfg *configs.Config) {
		cfg.Measure = configs.Measure{WMIInterval: configs.Duration(50 * time.Millisecond), WMIRecorded: recording}
	})
	completeCaptures(t, s.Store, testbed.Expected(10))
	flushAnalysis(t, s)
	data := s.Config().DataDir
	if _, errOut, code := cli(t, "reconcile", "--data", data); code != 2 || !strings.Contains(errOut, "no WMI samples") {
		t.Errorf("no samples yet: exit %d %q, want 2 saying so", code, errOut)
	}
	writeSamples(t, recording, wmiSamples(rep, nil))
	want := len(wmiSamples(rep, nil))
	waitFor(t, "serve keeps the recorded samples", func() bool {
		ss, err := measure.Load(s.Store)
		return err == nil && len(ss) == want
	})
	out, errOut, code := cli(t, "reconcile", "--data", data)
	if code != 0 || !strings.Contains(out, "WMI license pools") || !strings.Contains(out, " 0 mismatches") {
		t.Fatalf("reconcile with the WMI samples (serve running): exit %d\n%s%s", code, out, errOut)
	}
	var res struct {
		Format     string
		Compared   int
		Agreed     int
		Mismatches []struct{ Date, Name, Kind string }
	}
	jsonOut, _, _ := cli(t, "reconcile", "--json", "--data", data)
	if err := json.Unmarshal([]byte(jsonOut), &res); err != nil {
		t.Fatal(err)
	}
	if res.Format != "wmi" || res.Compared < 30 || res.Agreed != res.Compared || len(res.Mismatches) != 0 {
		t.Errorf("got format %q, %d compared, %d agreed, mismatches %+v; want every figure-day of 10 days to agree", res.Format, res.Compared, res.Agreed, res.Mismatches)
	}

	// The administrators' usage script's CSV of the same samples reads
	// the same.
	var csv strings.Builder
	csv.WriteString("DateTime,License,Count,Usage\r\n")
	for _, x := range wmiSamples(rep, nil) {
		fmt.Fprintf(&csv, "%s,%s,%d,%d\r\n", x.Time.Format("1/2/2006 3:04:05 PM"), x.License, x.Count, x.InUse)
	}
	script := filepath.Join(t.TempDir(), "license-usage.csv")
	os.WriteFile(script, []byte(csv.String()), 0o644)
	if out, errOut, code := cli(t, "reconcile", "--measured", script, "--data", data); code != 0 || !strings.Contains(out, "usage script") || !strings.Contains(out, " 0 mismatches") {
		t.Errorf("reconcile of a usage script's CSV: exit %d\n%s%s", code, out, errOut)
	}
	// The samples are the admin API's, with its token only.
	resp, err := http.Get("http://" + s.AdminAddr() + "/api/measurements?source=wmi")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/measurements without the token: %d, want 401", resp.StatusCode)
	}
	// The review UI's reconcile takes them as its source.
	tok, _ := os.ReadFile(filepath.Join(data, server.AdminTokenFile))
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.AdminAddr()+"/api/reconcile", strings.NewReader(`{"source":"wmi"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var api struct {
		Format           string
		Compared, Agreed int
		Mismatches       []any
	}
	json.NewDecoder(resp.Body).Decode(&api)
	resp.Body.Close()
	if resp.StatusCode != 200 || api.Format != "wmi" || api.Compared != res.Compared || api.Agreed != api.Compared || len(api.Mismatches) != 0 {
		t.Errorf("POST /api/reconcile {source: wmi}: %d %+v, want %d figure-days agreeing", resp.StatusCode, api, res.Compared)
	}

	// A sample that disagrees: day 5's Gateway peak 7 higher, taken off
	// the recording's quarter hours (which serve keeps replaying).
	day5 := rep.Days[4].UsageDate
	f5, _ := rep.Feature(5, "CAG_AAC_CCU")
	if err := measure.Keep(s.Store, []measure.Sample{{Time: day5.Add(20*time.Hour + 7*time.Minute), License: "CAG_AAC_CCU", Count: f5.Installed, InUse: f5.CountUsedMax + 7}}); err != nil {
		t.Fatal(err)
	}
	stop()
	jsonOut, errOut, code = cli(t, "reconcile", "--json", "--data", data) // on the store file now
	res.Mismatches = nil
	if err := json.Unmarshal([]byte(jsonOut), &res); err != nil {
		t.Fatalf("%v: %s %s", err, jsonOut, errOut)
	}
	d := day5.Format(time.DateOnly)
	if code != 1 || len(res.Mismatches) != 1 || res.Mismatches[0].Date != d || res.Mismatches[0].Name != "CAG_AAC_CCU.CountUsedMax" || res.Mismatches[0].Kind != "measured_higher" {
		t.Errorf("exit %d, mismatches %+v; want exactly CAG_AAC_CCU measured higher on %s", code, res.Mismatches, d)
	}
}

func writeSamples(t *testing.T, path string, ss []measure.Sample) {
	t.Helper()
	b, err := json.Marshal(ss)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".tmp", b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}

// demoRunWith is demoRun with the config changed by edit before serve
// starts; stop ends serve (and closes its store), so that commands can
// read the store file.
func demoRunWith(t *testing.T, days int, edit func(*configs.Config)) (*server.Server, testbed.Report, func()) {
	t.Helper()
	las, err := testbed.NewLAS(testbed.LASOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	las.Start()
	t.Cleanup(func() { las.Close() })
	cfg, err := demoConfig(filepath.Join(t.TempDir(), "demo"), las)
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	s, err := server.New(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		s.Close()
	}
	t.Cleanup(stop)
	rep, err := demoDrive(context.Background(), s, demoOptions{days: days, seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s, rep, stop
}
