package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
	"github.com/telltale/telltale/testbed"
)

// jsonChange is a change as `diff --json` prints it, with the keys it has.
type jsonChange struct {
	Path, Op, Side string
	From, To       any
	Volatile       bool
	keys           map[string]bool
}

type jsonComparison struct {
	From, To numID
	Counted  int
	Changes  []jsonChange
}

// diffJSON runs `diff --json` and checks the documented shape:
// {"from": ID, "to": ID, "changes": [{"path", "op", "from", "to"}]}.
func diffJSON(t *testing.T, args ...string) jsonComparison {
	t.Helper()
	out, errOut, code := cli(t, append([]string{"diff", "--json", "--id"}, args...)...)
	if code != 0 {
		t.Fatalf("diff %v: exit %d: %s", args, code, errOut)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("diff --json: %v\n%s", err, out)
	}
	var c jsonComparison
	json.Unmarshal(raw["from"], &c.From)
	json.Unmarshal(raw["to"], &c.To)
	json.Unmarshal(raw["counted"], &c.Counted)
	var changes []map[string]any
	if err := json.Unmarshal(raw["changes"], &changes); err != nil || c.From == "" || c.To == "" {
		t.Fatalf("diff --json: want from, to and changes: %s", out)
	}
	for _, m := range changes {
		ch := jsonChange{keys: map[string]bool{}, From: m["from"], To: m["to"]}
		for k := range m {
			ch.keys[k] = true
		}
		for _, k := range []string{"path", "op", "from", "to"} {
			if !ch.keys[k] {
				t.Errorf("change %v lacks %q", m, k)
			}
		}
		ch.Path, _ = m["path"].(string)
		ch.Op, _ = m["op"].(string)
		ch.Side, _ = m["side"].(string)
		ch.Volatile, _ = m["volatile"].(bool)
		if ch.Op != "added" && ch.Op != "removed" && ch.Op != "changed" {
			t.Errorf("change %s: op %q", ch.Path, ch.Op)
		}
		c.Changes = append(c.Changes, ch)
	}
	return c
}

// capturesOf lists the complete captures whose URL contains s, in order.
func capturesOf(t *testing.T, st *store.Store, s string) []store.Capture {
	t.Helper()
	caps, err := st.List(store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Capture
	for _, c := range caps {
		if strings.Contains(c.URL, s) {
			out = append(out, c)
		}
	}
	return out
}

func flushAnalysis(t *testing.T, s *server.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.FlushAnalysis(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAnalysis_WhileServing_ThroughTheAdminAPI(t *testing.T) {
	s, _, rep := demoRun(t, 30)
	completeCaptures(t, s.Store, testbed.Expected(30))
	flushAnalysis(t, s)
	data := s.Config().DataDir
	t.Run("diff_day12_compliance", func(t *testing.T) { checkDay12Diff(t, s, rep, data) })
	t.Run("diff_usage_manifest_in_zip", func(t *testing.T) { checkUsageDiff(t, s, data) })
	t.Run("diff_archive_in_multipart", func(t *testing.T) { checkOfflineDiff(t, s, data) })
	t.Run("diff_series", func(t *testing.T) { checkSeries(t, data) })
	t.Run("drift", func(t *testing.T) { checkDrift(t, s, data) })
	t.Run("figures", func(t *testing.T) { checkFigures(t, rep, data) })
	t.Run("reconcile", func(t *testing.T) { checkReconcile(t, rep, data) })
	t.Run("personal", func(t *testing.T) { checkPersonal(t, data) })
	t.Run("show_masks_secrets", func(t *testing.T) { checkShowMasks(t, s, data) })
}

func checkShowMasks(t *testing.T, s *server.Server, data string) {
	renew := capturesOf(t, s.Store, "activation/renew")[0]
	out, _, code := cli(t, "show", "--id", renew.ID, "--data", data)
	if code != 0 || !strings.Contains(out, "> Authorization: "+analysis.Masked) || strings.Contains(out, "CWSAuth") {
		t.Errorf("show: want Authorization masked:\n%.800s", out)
	}
	if out, _, _ := cli(t, "show", "--id", renew.ID, "--reveal", "--data", data); !strings.Contains(out, "> Authorization: CWSAuth bearer=") {
		t.Errorf("show --reveal: want the header as logged:\n%.800s", out)
	}
}

func checkDay12Diff(t *testing.T, s *server.Server, rep testbed.Report, data string) {
	cs := capturesOf(t, s.Store, "LicenseServerCompliance")
	day11, day12 := cs[testbed.NewFeatureDay-2], cs[testbed.NewFeatureDay-1]
	c := diffJSON(t, day12.ID, "--data", data)
	if string(c.From) != day11.ID || string(c.To) != day12.ID {
		t.Fatalf("diff %s: from %s to %s, want from the day before, %s", day12.ID, c.From, c.To, day11.ID)
	}
	var want, got []string
	for i, f := range rep.Days[testbed.NewFeatureDay-1].Features {
		old, ok := rep.Feature(testbed.NewFeatureDay-1, f.ID)
		if !ok {
			want = append(want, fmt.Sprintf("added $.Data.Features[%d] %s %d", i, f.ID, f.CountUsedMax))
			continue
		}
		for _, fig := range []struct {
			name     string
			old, new int
		}{{"CountUsedMax", old.CountUsedMax, f.CountUsedMax}, {"UsersReleased", old.UsersReleased, f.UsersReleased},
			{"DevicesReleased", old.DevicesReleased, f.DevicesReleased}} {
			if fig.old != fig.new {
				want = append(want, fmt.Sprintf("changed $.Data.Features[%d].%s %d->%d", i, fig.name, fig.old, fig.new))
			}
		}
	}
	volatile := map[string]bool{}
	for _, ch := range c.Changes {
		if ch.Side != "request" {
			t.Errorf("change %s on side %q", ch.Path, ch.Side)
		}
		if ch.Volatile {
			volatile[ch.Path] = true
			continue
		}
		switch ch.Op {
		case "added":
			m, _ := ch.To.(map[string]any)
			got = append(got, fmt.Sprintf("added %s %v %v", ch.Path, m["Id"], m["CountUsedMax"]))
			for _, k := range []string{"Id", "CountUsedMax", "UsersReleased", "DevicesReleased", "SADate", "CCUDevices", "UserReportUTC"} {
				if _, ok := m[k]; !ok {
					t.Errorf("the added feature lacks its field %s: %v", k, m)
				}
			}
		default:
			got = append(got, fmt.Sprintf("%s %s %v->%v", ch.Op, ch.Path, ch.From, ch.To))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("counted changes:\n got %q\nwant %q", got, want)
	}
	if c.Counted != len(got) {
		t.Errorf("counted %d, want %d: volatile changes must not count", c.Counted, len(got))
	}
	for _, p := range []string{"$.UTCDate", "$.Date", "$.UI"} {
		if !volatile[p] {
			t.Errorf("%s: want a change marked volatile", p)
		}
	}

	out, _, code := cli(t, "diff", "--id", day12.ID, "--data", data)
	if code != 0 || !strings.Contains(out, `+ $.Data.Features[3].Id = "XDT_PLT_UD"`) || !strings.Contains(out, "volatile (not counted)") ||
		strings.Contains(out, "\x1b[") {
		t.Errorf("diff (text, not a terminal): exit %d, want the new feature's fields and no colour:\n%s", code, out)
	}
	if out, _, _ := cli(t, "diff", "--id", day11.ID, day12.ID, "--data", data, "--color", "always"); !strings.Contains(out, "\x1b[32m+ $.Data.Features[3].Id") {
		t.Errorf("diff --color always: want green additions:\n%.600s", out)
	}
	// The summary comes first, in licensing terms; volatile changes hide.
	nf, _ := rep.Feature(testbed.NewFeatureDay, testbed.NewFeatureID)
	o11, _ := rep.Feature(testbed.NewFeatureDay-1, "CAG_AAC_CCU")
	o12, _ := rep.Feature(testbed.NewFeatureDay, "CAG_AAC_CCU")
	added := fmt.Sprintf("  %s added: %d in use\n", testbed.NewFeatureID, nf.CountUsedMax)
	changed := fmt.Sprintf("  CAG_AAC_CCU CountUsedMax %d → %d (%+d)\n", o11.CountUsedMax, o12.CountUsedMax, o12.CountUsedMax-o11.CountUsedMax)
	if !strings.HasPrefix(out, "Compliance upload: capture no. ") || !strings.Contains(out, ", id "+day12.ID+" (") || !strings.Contains(out, "Summary:\n"+added) || !strings.Contains(out, changed) ||
		strings.Index(out, "Summary:") > strings.Index(out, "@@") || !strings.Contains(out, "volatile changes hidden") || strings.Contains(out, "$.UTCDate") {
		t.Errorf("diff: want the summary first (%q, %q) and volatile hidden:\n%.1500s", added, changed, out)
	}
	if out, errOut, code := cli(t, "diff", "--id", cs[0].ID, "--data", data); code != 0 || !strings.Contains(out, "is the first Compliance upload") {
		t.Errorf("diff of the first capture: exit %d %q %q, want 0 and a sentence", code, out, errOut)
	}
}

func checkUsageDiff(t *testing.T, s *server.Server, data string) {
	us := capturesOf(t, s.Store, "OnPremUsage")
	c := diffJSON(t, us[testbed.OfflineDay-1].ID, "--data", data)
	found := false
	for _, ch := range c.Changes {
		if ch.Volatile {
			continue
		}
		if !strings.HasPrefix(ch.Path, "manifest.json:$.") {
			t.Errorf("counted change outside the manifest: %+v", ch)
		}
		if ch.Path == "manifest.json:$.UploadType" && ch.From == "Auto" && ch.To == "Manual" {
			found = true
		}
	}
	if !found {
		t.Errorf("day %d usage bundle: want manifest.json:$.UploadType Auto -> Manual inside the zip, got %+v", testbed.OfflineDay, c.Changes)
	}
}

// checkOfflineDiff sends a second offline activation through the proxy,
// crafted from day 7's with one quantity changed inside the tar.gz inside
// the multipart body, and diffs the two.
func checkOfflineDiff(t *testing.T, s *server.Server, data string) {
	day7 := capturesOf(t, s.Store, "offlineactivation")[0]
	full, err := s.Store.Capture(day7.ID)
	if err != nil {
		t.Fatal(err)
	}
	body := storedBytes(t, s.Store, full.Request)
	crafted, ctype := craftOffline(t, body, headerOf(full.Request, "Content-Type"))
	req, _ := http.NewRequest("POST", full.URL, bytes.NewReader(crafted))
	for _, h := range []string{"Authorization", "User-Agent", "Citrix-CustomerId"} {
		req.Header.Set(h, headerOf(full.Request, h))
	}
	req.Header.Set("Content-Type", ctype)
	pool := x509.NewCertPool()
	pool.AddCert(s.CA.Certificate())
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{
		Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: s.ProxyAddr()}), TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	all := capturesOf(t, s.Store, "offlineactivation")
	for i := 0; len(all) < 2 || !all[1].Complete; i++ {
		if i == 500 {
			t.Fatal("the crafted offline activation was not captured")
		}
		sleepMS(10)
		all = capturesOf(t, s.Store, "offlineactivation")
	}
	c := diffJSON(t, all[1].ID, "--data", data)
	var counted []string
	for _, ch := range c.Changes {
		if !ch.Volatile {
			counted = append(counted, fmt.Sprintf("%s %v->%v", ch.Path, ch.From, ch.To))
		}
	}
	want := []string{"request.tgz/ns_offline_activation_request.json:$.licenses[0].quantity 1000->1234"}
	if string(c.From) != day7.ID || !slices.Equal(counted, want) {
		t.Errorf("diff of the crafted activation: from %s, counted %q; want from %s, %q", c.From, counted, day7.ID, want)
	}
}

func headerOf(m *store.Message, name string) string {
	for _, h := range m.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// craftOffline rewrites the first license quantity of the JSON file in
// the request.tgz part to 1234, keeping every other byte of the form.
func craftOffline(t *testing.T, body []byte, ctype string) ([]byte, string) {
	t.Helper()
	_, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	mw.SetBoundary(params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if p.FileName() == "request.tgz" {
			b = retar(t, b)
		}
		w, _ := mw.CreatePart(p.Header)
		w.Write(b)
	}
	mw.Close()
	return out.Bytes(), mw.FormDataContentType()
}

func retar(t *testing.T, tgz []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		doc["licenses"].([]any)[0].(map[string]any)["quantity"] = 1234
		b, _ = json.Marshal(doc)
		h.Size = int64(len(b))
		tw.WriteHeader(h)
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func checkSeries(t *testing.T, data string) {
	out, errOut, code := cli(t, "diff", "--host", "las.cloud.com", "--path", "/{ccid}/licenseserver/activation/renew", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("diff series: exit %d %s", code, errOut)
	}
	var steps []struct{ From, To numID }
	if err := json.Unmarshal([]byte(out), &steps); err != nil || len(steps) != 29 {
		t.Fatalf("diff series of 30 renewals: got %d steps (%v), want 29", len(steps), err)
	}
	for i := 1; i < len(steps); i++ {
		if steps[i].From != steps[i-1].To {
			t.Errorf("step %d starts at %s, want where step %d ended, %s", i, steps[i].From, i-1, steps[i-1].To)
		}
	}
	// A concrete path names the same endpoint; --since starts the walk.
	since := testbed.DefaultStart.AddDate(1, 0, 0).Format(time.DateOnly) // after every capture
	if _, errOut, code := cli(t, "diff", "--host", "las.cloud.com", "--path", "/tbcust7k2q9x/licenseserver/activation/renew", "--since", since, "--data", data); code != 1 || !strings.Contains(errOut, "no captures") {
		t.Errorf("series since next year: exit %d %q, want 1 and no captures", code, errOut)
	}
	if _, errOut, code := cli(t, "diff", "--host", "las.cloud.com", "--data", data); code != 2 || !strings.Contains(errOut, "--path") {
		t.Errorf("series without --path: exit %d %q, want 2", code, errOut)
	}
}

type driftEvent struct {
	ID                         numID
	Kind, Endpoint, Side, Path string
}

func driftJSON(t *testing.T, args ...string) []driftEvent {
	t.Helper()
	out, errOut, code := cli(t, append([]string{"drift", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("drift: exit %d %s", code, errOut)
	}
	var ds []driftEvent
	if err := json.Unmarshal([]byte(out), &ds); err != nil {
		t.Fatalf("drift --json: %v\n%s", err, out)
	}
	return ds
}

func checkDrift(t *testing.T, s *server.Server, data string) {
	ds := driftJSON(t, "--data", data)
	day20 := capturesOf(t, s.Store, "LicenseServerCompliance")[testbed.UpgradeDay-1]
	var upgrade, newEndpoints []string
	for _, d := range ds {
		switch {
		case d.Kind == "new_endpoint":
			newEndpoints = append(newEndpoints, string(d.ID)+" "+d.Endpoint)
		case strings.Contains(d.Endpoint, "LicenseServerCompliance"):
			upgrade = append(upgrade, fmt.Sprintf("%s %s %s %s", d.ID, d.Kind, d.Side, d.Path))
		}
	}
	if want := []string{day20.ID + " new_field request $.Data.LicenseServer." + testbed.UpgradeField}; !slices.Equal(upgrade, want) {
		t.Errorf("compliance drift: got %q, want %q", upgrade, want)
	}
	// Each endpoint is new at its first capture.
	firsts := map[string]string{}
	for _, sub := range []string{"/root/tokens/clients", "/activation/renew", "LicenseServerCompliance", "OnPremUsage", "/api/callhome/", "/api/ceip/", "/listls", "/offlineactivation"} {
		firsts[sub] = capturesOf(t, s.Store, sub)[0].ID
	}
	if len(newEndpoints) != len(firsts) {
		t.Errorf("new endpoints: got %q, want one for each of %v", newEndpoints, firsts)
	}
	for sub, id := range firsts {
		if !slices.ContainsFunc(newEndpoints, func(e string) bool { return strings.HasPrefix(e, id+" ") && strings.Contains(e, sub) }) {
			t.Errorf("no new_endpoint event at capture %s (%s): %q", id, sub, newEndpoints)
		}
	}
	out, _, _ := cli(t, "drift", "--data", data)
	if !strings.Contains(out, "$.Data.LicenseServer.ActivationMode") || !strings.HasPrefix(out, "TIME") {
		t.Errorf("drift table:\n%s", out)
	}
}

type figure struct {
	ID               numID
	Time, Name, Unit string
	Value            any
}

func checkFigures(t *testing.T, rep testbed.Report, data string) {
	out, errOut, code := cli(t, "figures", "--json", "--name", "CAG_AAC_CCU.CountUsedMax", "--data", data)
	if code != 0 {
		t.Fatalf("figures: exit %d %s", code, errOut)
	}
	var pts []figure
	if err := json.Unmarshal([]byte(out), &pts); err != nil || len(pts) != 30 {
		t.Fatalf("figures: got %d points (%v), want 30", len(pts), err)
	}
	rises, falls := 0, 0
	for i, p := range pts {
		f, _ := rep.Feature(i+1, "CAG_AAC_CCU")
		if p.Value != float64(f.CountUsedMax) || p.Unit != "licenses" || !strings.HasPrefix(p.Time, rep.Days[i].Date.Format(time.DateOnly)) {
			t.Errorf("day %d: got %+v, want %d licenses on %s", i+1, p, f.CountUsedMax, rep.Days[i].Date.Format(time.DateOnly))
		}
		if i > 0 && p.Value.(float64) > pts[i-1].Value.(float64) {
			rises++
		}
		if i > 0 && p.Value.(float64) < pts[i-1].Value.(float64) {
			falls++
		}
	}
	if rises == 0 || falls == 0 {
		t.Errorf("want a series that rises and falls: %d rises, %d falls", rises, falls)
	}
	out, _, _ = cli(t, "figures", "--csv", "--name", "LicenseServer.Version", "--data", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "time,name,value,unit,id,endpoint,path,day" || len(lines) != 31 ||
		!strings.Contains(lines[1], testbed.InitialVersion) || !strings.Contains(lines[30], testbed.UpgradedVersion) {
		t.Errorf("figures --csv of the version: got %d lines:\n%s", len(lines), out)
	}
	out, _, _ = cli(t, "figures", "--name", "XDT_PLT_UD.CountUsedMax", "--data", data)
	if !strings.Contains(out, "CHANGE") || strings.Count(out, "XDT_PLT_UD.CountUsedMax") != 30-testbed.NewFeatureDay+1 {
		t.Errorf("figures table of the new feature:\n%s", out)
	}
}

func checkReconcile(t *testing.T, rep testbed.Report, data string) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("date,figure,value\n")
	date := func(day int) string { return rep.Days[day-1].UsageDate.Format(time.DateOnly) }
	for day := 1; day <= 10; day++ {
		f, _ := rep.Feature(day, "CAG_AAC_CCU")
		v := f.CountUsedMax
		switch day {
		case 3:
			v += 20 // measured more than reported
		case 5:
			v -= 20 // reported more than measured
		case 7:
			continue // not measured
		}
		fmt.Fprintf(&b, "%s,CAG_AAC_CCU.CountUsedMax,%d\n", date(day), v)
	}
	fmt.Fprintf(&b, "%s,%s.CountUsedMax,5\n", date(9), testbed.NewFeatureID) // measured, never reported that day
	csvPath := filepath.Join(dir, "measured.csv")
	os.WriteFile(csvPath, []byte(b.String()), 0o644)

	out, errOut, code := cli(t, "reconcile", "--measured", csvPath, "--data", data, "--json")
	if code != 1 || !strings.Contains(errOut, "4 mismatches") {
		t.Errorf("reconcile with mismatches: exit %d %q, want 1", code, errOut)
	}
	var res struct {
		Compared   int
		Mismatches []struct{ Date, Name, Kind string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("reconcile --json: %v\n%s", err, out)
	}
	var got []string
	for _, m := range res.Mismatches {
		got = append(got, m.Date+" "+m.Name+" "+m.Kind)
	}
	want := []string{
		date(3) + " CAG_AAC_CCU.CountUsedMax measured_higher",
		date(5) + " CAG_AAC_CCU.CountUsedMax reported_higher",
		date(7) + " CAG_AAC_CCU.CountUsedMax reported_not_measured",
		date(9) + " XDT_PLT_UD.CountUsedMax measured_not_reported",
	}
	if !slices.Equal(got, want) || res.Compared != 9 {
		t.Errorf("mismatches:\n got %q\nwant %q (compared %d, want 9)", got, want, res.Compared)
	}
	out, _, code = cli(t, "reconcile", "--measured", csvPath, "--tolerance", "25", "--data", data)
	if code != 1 || strings.Contains(out, "measured_higher") || !strings.Contains(out, "reported_not_measured") {
		t.Errorf("tolerance 25: exit %d\n%s", code, out)
	}
	okPath := filepath.Join(dir, "ok.csv")
	f1, _ := rep.Feature(1, "CAG_AAC_CCU")
	os.WriteFile(okPath, []byte(fmt.Sprintf("%s,CAG_AAC_CCU.CountUsedMax,%d\n", date(1), f1.CountUsedMax)), 0o644)
	if out, errOut, code := cli(t, "reconcile", "--measured", okPath, "--data", data); code != 0 || !strings.Contains(out, "1 agree, 0 mismatches") {
		t.Errorf("reconcile agreeing: exit %d %q %q", code, out, errOut)
	}
	hist := filepath.Join(dir, "historical-use.csv")
	os.WriteFile(hist, []byte(fmt.Sprintf("Date,Product,Edition,Model,In use,Overdraft\n%s,CAG,AAC,CCU,%d,0\n",
		rep.Days[0].UsageDate.Format("1/2/2006"), f1.CountUsedMax)), 0o644)
	if out, errOut, code := cli(t, "reconcile", "--measured", hist, "--map", "date=Date", "--map", "value=In use+Overdraft",
		"--map", "figure={Product}_{Edition}_{Model}.CountUsedMax", "--data", data); code != 0 || !strings.Contains(out, "1 agree, 0 mismatches") {
		t.Errorf("reconcile --map of a Historical Use export: exit %d %q %q", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("2026-05-04,A,1\n2026-05-05,A,lots\n"), 0o644)
	if _, errOut, code := cli(t, "reconcile", "--measured", bad, "--data", data); code != 2 || !strings.Contains(errOut, "line 2") {
		t.Errorf("bad CSV: exit %d %q, want 2 naming line 2", code, errOut)
	}
	if _, errOut, code := cli(t, "reconcile", "--data", data); code != 2 || !strings.Contains(errOut, "--measured") {
		t.Errorf("no --measured: exit %d %q, want 2", code, errOut)
	}
}

func checkPersonal(t *testing.T, data string) {
	out, errOut, code := cli(t, "endpoints", "--json", "--data", data)
	if code != 0 {
		t.Fatalf("endpoints: exit %d %s", code, errOut)
	}
	var eps []struct {
		Endpoint string
		Personal []struct{ Path, Category string }
	}
	if err := json.Unmarshal([]byte(out), &eps); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range eps {
		for _, p := range e.Personal {
			got[e.Endpoint+" "+p.Path] = p.Category
		}
	}
	ceip := "POST cis.citrix.com /api/ceip/SendBrokerTelemetryData "
	for _, f := range []string{"fullName", "samName", "upn", "userSid"} {
		if got[ceip+"$.users[]."+f] != "hashed_id" {
			t.Errorf("CEIP users[].%s: got %q, want hashed_id", f, got[ceip+"$.users[]."+f])
		}
	}
	if got["POST cis.citrix.com /api/upload/LicenseServer.OnPremUsage ue_lt_#.zip/ue_lt_#.csv"] == "" ||
		got["POST cis.citrix.com /api/upload/LicenseServerCompliance $.Data.LicenseServer.FQDN"] != "host_name" {
		t.Errorf("personal data: got %v", got)
	}
}

// With serve stopped the commands read the store file: derived data that
// serve stored, or, with other rules, rebuilt in memory.
func TestAnalysis_ServeStopped_ReadsTheStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "d")
	if _, errOut, code := cli(t, "demo", "--days", "21", "--data", dir, "--exit"); code != 0 {
		t.Fatalf("demo: exit %d %s", code, errOut)
	}
	ds := driftJSON(t, "--data", dir)
	if !slices.ContainsFunc(ds, func(d driftEvent) bool { return d.Path == "$.Data.LicenseServer.ActivationMode" }) {
		t.Errorf("drift from the store file: no ActivationMode in %+v", ds)
	}
	items := listJSON(t, "--data", dir)
	var compliance []string
	for _, it := range items {
		if strings.Contains(it.URL, "LicenseServerCompliance") {
			compliance = append(compliance, string(it.ID))
		}
	}
	c := diffJSON(t, compliance[testbed.UpgradeDay-1], "--data", dir)
	if string(c.From) != compliance[testbed.UpgradeDay-2] || !slices.ContainsFunc(c.Changes, func(ch jsonChange) bool {
		return ch.Path == "$.Data.LicenseServer.ActivationMode" && ch.Op == "added" && !ch.Volatile
	}) {
		t.Errorf("diff of the upgrade day from the store file: %+v", c)
	}
	cfg := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(cfg, []byte(`inspect:
  endpoints:
    - endpoint: POST cis.citrix.com /api/upload/LicenseServerCompliance
      time: $.UTCDate
      figures: [{path: "$.Data.Features[].CountUsedMax", name: "peak {Id}", unit: seats}]
`), 0o644)
	out, errOut, code := cli(t, "figures", "--json", "--name", "peak *", "--data", dir, "-c", cfg)
	var pts []figure
	if code != 0 || json.Unmarshal([]byte(out), &pts) != nil || len(pts) != 21*3+(21-testbed.NewFeatureDay+1) || pts[0].Unit != "seats" {
		t.Errorf("figures with other rules: exit %d %s, %d points", code, errOut, len(pts))
	}
	// Reading never changed what serve stored.
	if out, _, _ := cli(t, "figures", "--json", "--name", "peak *", "--data", dir); strings.TrimSpace(out) != "[]" {
		t.Errorf("the default rules' figures after a read with other rules: got %.200s, want none named peak", out)
	}
	if _, errOut, code := cli(t, "diff", "--id", "999999", "--data", dir); code != 1 || !strings.Contains(errOut, "telltale list") {
		t.Errorf("diff of an unknown id: exit %d %q", code, errOut)
	}
	// The first capture has nothing before it: diff says so, and that is
	// no failure.
	if out, errOut, code := cli(t, "diff", "--id", compliance[0], "--data", dir); code != 0 || !strings.Contains(out, "is the first Compliance upload") {
		t.Errorf("diff of the first capture: exit %d %q %q, want 0 and a sentence", code, out, errOut)
	}
}
