package main

import (
	"encoding/csv"
	"strings"
	"testing"
)

// TestCLI_FiguresCSV_NeutralisesFormulas: a figure whose text a
// spreadsheet would run as a formula is written with a leading quote by
// `figures --csv`, as the report's and the other CSVs are; a negative
// number stays a number.
func TestCLI_FiguresCSV_NeutralisesFormulas(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, `inspect:
  endpoints:
    - endpoint: POST las.cloud.com /upload
      time: $.UTCDate
      figures:
        - {path: "$.Data.Name", name: "name"}
        - {path: "$.Data.Sum", name: "sum"}
        - {path: "$.Data.Delta", name: "delta", unit: "@units"}
`)
	addr, stop := startServeStop(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://las.cloud.com/upload", "a",
		`{"UTCDate":"2025-03-01T00:00:00Z","Data":{"Name":"=HYPERLINK(\"http://evil.example/\",\"x\")","Sum":"+1+cmd|' /C calc'!A0","Delta":-3}}`)
	waitComplete(t, 1, "--data", data)
	stop()

	out, errOut, code := cli(t, "figures", "--csv", "--data", data, "-c", cfg)
	if code != 0 {
		t.Fatalf("figures --csv: exit %d %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("figures --csv: got %d rows (%v):\n%s", len(rows), err, out)
	}
	got := map[string][]string{}
	for _, r := range rows[1:] {
		got[r[1]] = r
	}
	if v := got["name"][2]; v != `'=HYPERLINK("http://evil.example/","x")` {
		t.Errorf("name: got %q, want it quoted", v)
	}
	if v := got["sum"][2]; !strings.HasPrefix(v, "'+1+cmd") {
		t.Errorf("sum: got %q, want it quoted", v)
	}
	if v, u := got["delta"][2], got["delta"][3]; v != "-3" || u != "'@units" {
		t.Errorf("delta: got value %q unit %q, want -3 and '@units", v, u)
	}
}
