package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCLI_Serve_DriftLoggedOnce: a new endpoint and a new field each make
// one warn line (the alert's), not one from analysis and one from the
// alert; log times carry milliseconds.
func TestCLI_Serve_DriftLoggedOnce(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	logs := &lockedBuffer{}
	addr, stop := serveTo(t, logs, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://cis.citrix.com/api/upload/x", "1", `{"a":1}`)
	post(t, c, "https://cis.citrix.com/api/upload/x", "2", `{"a":1,"b":"new"}`)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"kind":"drift"`) && time.Now().Before(deadline) {
		sleepMS(20)
	}
	stop()
	kinds := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var e struct{ Level, Message, Kind, Time string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		if !regexp.MustCompile(`T\d\d:\d\d:\d\d\.\d{3}`).MatchString(e.Time) {
			t.Errorf("log time %q: want milliseconds", e.Time)
		}
		if strings.Contains(strings.ToLower(e.Message), "drift") || e.Kind == "new_endpoint" || e.Kind == "new_field" {
			kinds[e.Kind]++
			if e.Level != "warn" {
				t.Errorf("drift logged at %s: %s", e.Level, line)
			}
		}
	}
	if kinds["new_endpoint"] != 1 || kinds["drift"] != 1 || len(kinds) != 2 {
		t.Errorf("drift log lines by kind: got %v, want one new_endpoint and one drift line\n%s", kinds, logs.String())
	}
}
