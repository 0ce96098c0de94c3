package main

import (
	"encoding/json"
	"testing"
)

// A limit far beyond the log (issue 11, item 2) returns what exists,
// through the admin API while serve runs and from the store file after.
func TestCLI_List_HugeLimitReturnsWhatExists(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/a", "a", `{"a":1}`)
	post(t, c, "https://cis.citrix.com/b", "b", `{"b":2}`)
	waitComplete(t, 2, "--data", data)

	if got := listJSON(t, "--data", data, "--limit", "100000000000"); len(got) != 2 {
		t.Errorf("list --limit 100000000000 while serving: got %d captures, want 2", len(got))
	}
	base, hc, token := adminAPI(t, data)
	code, body := adminDo(t, hc, "GET", base+"/api/captures?limit=100000000000", token)
	var caps []listItem
	if err := json.Unmarshal([]byte(body), &caps); code != 200 || err != nil || len(caps) != 2 {
		t.Errorf("GET /api/captures?limit=100000000000: got %d %q, want 200 and 2 captures", code, body)
	}
	code, body = adminDo(t, hc, "GET", base+"/api/captures?order=desc&limit=10&offset=100000000000", token)
	if code != 200 || body != "[]\n" {
		t.Errorf("GET /api/captures?offset=100000000000: got %d %q, want 200 and an empty page", code, body)
	}
	stop()

	if got := listJSON(t, "--data", data, "--limit", "100000000000"); len(got) != 2 {
		t.Errorf("list --limit 100000000000 from the file: got %d captures, want 2", len(got))
	}
}
