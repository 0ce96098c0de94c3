package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func idsOf(items []listItem) []string {
	ids := []string{}
	for _, it := range items {
		ids = append(ids, string(it.ID))
	}
	return ids
}

func TestCLI_List_Filters_WithAndWithoutServe(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/a/renew", "1", `{"serial":"ABC-1"}`)
	post(t, c, "https://cis.citrix.com/api/upload/one", "2", `{"host":"LICSRV01"}`)
	post(t, c, "https://cis.citrix.com/api/upload/two", "3", `{"needle":"Zebra42"}`)
	all := waitComplete(t, 3, "--data", data)
	las, one, two := string(all[0].ID), string(all[1].ID), string(all[2].ID)
	day := all[0].Time[:10]
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--host", "citrix.com"}, []string{one, two}},
		{[]string{"--host", ".citrix.com"}, []string{one, two}},
		{[]string{"--host", "cloud.com"}, []string{las}},
		{[]string{"--host", "oud.com"}, []string{}},
		{[]string{"--host", "las.cloud.com,cis.citrix.com"}, []string{las, one, two}},
		{[]string{"--status", "2xx"}, []string{las, one, two}},
		{[]string{"--status", "4xx,none"}, []string{}},
		{[]string{"--q", "zebra42"}, []string{two}},
		{[]string{"--endpoint", all[1].Endpoint}, []string{one}},
		{[]string{"--limit", "1", "--offset", "1"}, []string{one}},
		{[]string{"--offset", "2"}, []string{las}},
		{[]string{"--until", all[1].Time}, []string{las}},
		{[]string{"--until", all[1].Time, "--host", "cloud.com"}, []string{las}},
		{[]string{"--since", all[1].Time, "--kind", "exchange"}, []string{one, two}},
		{[]string{"--since", day, "--until", day}, []string{las, one, two}},
		{[]string{"--since", day + "T00:00", "--method", "post"}, []string{las, one, two}},
	}
	check := func(when string) {
		for _, tc := range cases {
			got := idsOf(listJSON(t, append([]string{"--data", data}, tc.args...)...))
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: list %s: got ids %v, want %v", when, strings.Join(tc.args, " "), got, tc.want)
			}
		}
		out, errOut, code := cli(t, "list", "--data", data, "--status", "teapot")
		if code != 2 || !strings.Contains(errOut, "status") {
			t.Errorf("%s: list --status teapot: exit %d %q, want 2 naming --status", when, code, errOut)
		}
		out, _, _ = cli(t, "list", "--data", data, "--host", "citrix.com", "--id")
		if !regexp.MustCompile(`(?m)^\d+\s+` + one + `\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\s+exchange`).MatchString(out) {
			t.Errorf("%s: list: want times to the millisecond:\n%s", when, out)
		}
	}
	check("while serving")
	stop()
	check("from the store file")
}

// TestCLI_JSONIdsAreNumbers: every JSON the CLI prints has capture ids
// as numbers; drift and figures take a host suffix like list.
func TestCLI_JSONIdsAreNumbers(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr, stop := startServeStop(t, "-c", cfg)
	c := proxyClient(t, addr, data)
	post(t, c, "https://las.cloud.com/x", "z", `{"k":"v"}`)
	post(t, c, "https://las.cloud.com/x", "z", `{"k":"w","n":1}`)
	items := waitComplete(t, 2, "--data", data)
	stop()
	// The second capture's id is 2 or 3, as the first one's response
	// record was logged before it or not.
	second := string(items[1].ID)
	for _, args := range [][]string{{"list", "--json"}, {"list", "--json", "--host", "las.cloud.com"}, {"show", "1", "--json"},
		{"show", "1", "--decoded", "--json"}, {"drift", "--json", "--host", "cloud.com"}} {
		out, errOut, code := cli(t, append(args, "--data", data)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		if !strings.Contains(out, `"id": 1,`) || strings.Contains(out, `"id": "`) {
			t.Errorf("%v: want the id as a JSON number:\n%s", args, out)
		}
	}
	out, _, _ := cli(t, "diff", "2", "--json", "--data", data)
	if !strings.Contains(out, `"from": 1,`) || !strings.Contains(out, `"to": `+second+`,`) {
		t.Errorf("diff 2 --json: want from and to as numbers, the ids 1 and %s:\n%s", second, out)
	}
	if out, _, _ := cli(t, "endpoints", "--json", "--data", data); !strings.Contains(out, `"first_id": 1,`) || !strings.Contains(out, `"last_id": `+second) {
		t.Errorf("endpoints --json: want first_id and last_id as numbers:\n%s", out)
	}
	if out, _, _ := cli(t, "drift", "--json", "--host", "citrix.com", "--data", data); strings.TrimSpace(out) != "[]" {
		t.Errorf("drift --host citrix.com: want nothing, got %s", out)
	}
}

func TestCLI_Show_Decoded(t *testing.T) {
	v := newVendor(t)
	cfg, data := writeConfig(t, v, "")
	addr := startServe(t, "-c", cfg)
	post(t, proxyClient(t, addr, data), "https://cis.citrix.com/api/upload/x", "z", `{"needle":"Zebra42","n":5}`)
	items := waitComplete(t, 1, "--data", data)
	id := string(items[0].ID)
	out, errOut, code := cli(t, "show", "--id", id, "--decoded", "--data", data)
	for _, want := range []string{"Capture no. 1, id " + id, "Request body: application/json", "  json, 26 bytes", `$.needle = "Zebra42"`, "$.n = 5", "Response body:", "$.ok = true"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show --decoded: exit %d, want %q in:\n%s%s", code, want, out, errOut)
		}
	}
	out, _, _ = cli(t, "show", "--id", id, "--decoded", "--json", "--data", data)
	var d struct {
		ID      int
		Request struct {
			Tree   struct{ Type string }
			Fields []struct{ Path string }
		}
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Request.Tree.Type != "json" || len(d.Request.Fields) < 3 {
		t.Errorf("show --decoded --json: %v %+v\n%s", err, d, out)
	}
	if _, errOut, code := cli(t, "show", "--id", id, "--decoded", "--body", "request", "--data", data); code != 2 {
		t.Errorf("show --decoded --body: exit %d %q, want 2", code, errOut)
	}
}
