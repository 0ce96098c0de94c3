package analysis

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

// driftStrings renders events as "id kind side path".
func driftStrings(ds []DriftEvent) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %s %s", d.ID, d.Kind, d.Side, d.Path))
	}
	return out
}

func TestAnalyzer_Worker_DriftFiguresAndNoRepeatAfterRestart(t *testing.T) {
	st, dir := mustStore(t)
	var live [][]DriftEvent
	o := complianceRules
	o.OnDrift = func(ds []DriftEvent) { live = append(live, ds) }
	a := mustNew(t, st, o)
	d1 := mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil, feature{"CAG_AAC_CCU", 301, []string{"D1", "D2"}}), 202, receipt(1))
	a.Start() // catches up on d1
	flush(t, a)
	d2 := mustExchange(t, st, "POST", complianceURL, compliance(t, 2, map[string]any{"ActivationMode": "LAS"},
		feature{"CAG_AAC_CCU", 280, []string{"D1"}}), 202, receipt(2))
	a.Notify(2)
	d3 := mustExchange(t, st, "POST", complianceURL, compliance(t, 3, map[string]any{"ActivationMode": "LAS", "SGPMaxDays": "15"},
		feature{"CAG_AAC_CCU", 310, []string{"D1", "D2", "D3"}}), 202, receipt(3))
	a.Notify(3)
	flush(t, a)

	drift, err := a.Drift(Query{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		d1 + " new_endpoint  ",
		d2 + " new_field request $.Data.LicenseServer.ActivationMode",
		d3 + " new_field request $.Data.LicenseServer.SGPMaxDays",
	}
	if got := driftStrings(drift); !slices.Equal(got, want) {
		t.Errorf("drift:\n got %q\nwant %q", got, want)
	}
	if len(live) != 2 || live[0][0].ID != d2 {
		t.Errorf("OnDrift: got %+v, want d2's and d3's events (d1 was catch-up)", live)
	}

	pts, err := a.Figures(Query{Name: "*.CountUsedMax"})
	if err != nil {
		t.Fatal(err)
	}
	var series []string
	for _, p := range pts {
		series = append(series, fmt.Sprintf("%s %s %v %s", p.Date(), p.Name, p.Value, p.Unit))
	}
	wantSeries := []string{
		"2026-05-04 CAG_AAC_CCU.CountUsedMax 301 licenses",
		"2026-05-05 CAG_AAC_CCU.CountUsedMax 280 licenses",
		"2026-05-06 CAG_AAC_CCU.CountUsedMax 310 licenses",
	}
	if !slices.Equal(series, wantSeries) {
		t.Errorf("figures:\n got %q\nwant %q", series, wantSeries)
	}
	devs, _ := a.Figures(Query{Name: "CAG_AAC_CCU.CCUDevices"})
	if len(devs) != 3 || devs[2].Value != 3.0 {
		t.Errorf("device counts: got %+v, want 3 points, the last 3", devs)
	}
	ver, _ := a.Figures(Query{Name: "LicenseServer.Version"})
	if len(ver) != 3 || ver[0].Value != "11.17.2.0 build 53100" {
		t.Errorf("version: got %+v", ver)
	}
	eps, _ := a.Endpoints()
	if len(eps) != 1 || eps[0].Captures != 3 || eps[0].LastID != d3 || eps[0].RequestShape["$.Data.LicenseServer.SGPMaxDays"] != "string" {
		t.Errorf("endpoints: got %+v", eps)
	}

	// A restart with the same rules analyses nothing twice.
	a.Close()
	st.Close()
	st2, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	b := mustNew(t, st2, complianceRules)
	b.Start()
	flush(t, b)
	if again, _ := b.Drift(Query{}); len(again) != 3 {
		t.Errorf("after restart: %d drift events, want the same 3", len(again))
	}
	if again, _ := b.Figures(Query{Name: "*.CountUsedMax"}); len(again) != 3 {
		t.Errorf("after restart: %d points, want the same 3", len(again))
	}
}

func TestAnalyzer_TypeChangedAndSince(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, Options{})
	u := "https://cis.citrix.com/api/callhome/LicenseServer"
	mustExchange(t, st, "POST", u, msg{ctype: "application/json", body: []byte(`{"UptimeHours":5}`)}, 200, msg{})
	id := mustExchange(t, st, "POST", u, msg{ctype: "application/json", body: []byte(`{"UptimeHours":"5"}`)}, 200, msg{})
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	c, _ := st.Capture(id)
	since, _ := time.Parse(time.RFC3339Nano, c.Time)
	drift, err := a.Drift(Query{Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) != 1 || drift[0].Kind != DriftTypeChanged || drift[0].Old != "number" || drift[0].New != "string" {
		t.Errorf("got %+v, want one type change number -> string", drift)
	}
}

func TestAnalyzer_ReadOnly_CatchesUpInMemoryWritesNothing(t *testing.T) {
	st, dir := mustStore(t)
	mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil, feature{"A", 1, nil}), 202, receipt(1))
	mustExchange(t, st, "POST", complianceURL, compliance(t, 2, nil, feature{"A", 2, nil}), 202, receipt(2))
	st.Close()
	ro, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	a := mustNew(t, ro, complianceRules)
	pts, err := a.Figures(Query{Name: "A.CountUsedMax"})
	if err != nil || len(pts) != 2 {
		t.Fatalf("read-only figures: got %+v %v, want 2 points", pts, err)
	}
	ro.DerivedView(func(d *store.DerivedTx) error {
		if v := d.Get(store.DerivedMeta, []byte("cursor")); v != nil {
			t.Errorf("read-only analysis wrote a cursor")
		}
		return nil
	})
}

func TestAnalyzer_OtherRules_Rebuild(t *testing.T) {
	st, _ := mustStore(t)
	mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil, feature{"A", 1, nil}), 202, receipt(1))
	a := mustNew(t, st, Options{})
	flush(t, a)
	if pts, _ := a.Figures(Query{}); len(pts) != 0 {
		t.Fatalf("no rules: got %d figures, want none", len(pts))
	}
	a.Close()
	b := mustNew(t, st, complianceRules)
	flush(t, b)
	if pts, _ := b.Figures(Query{Name: "A.CountUsedMax"}); len(pts) != 1 {
		t.Errorf("new rules: got %d figures, want 1 (rebuilt)", len(pts))
	}
	if d, _ := b.Drift(Query{}); len(d) != 1 {
		t.Errorf("rebuilt drift: got %+v, want one new endpoint", d)
	}
}

func TestAnalyzer_WaitsForResponseThenGivesUp(t *testing.T) {
	st, _ := mustStore(t)
	now := t0.Add(time.Hour)
	a := mustNew(t, st, Options{Now: func() time.Time { return now }, StaleAfter: time.Hour})
	open := mustRequest(t, st, "POST", complianceURL, msg{body: []byte(`{"a":1}`)})
	later := mustExchange(t, st, "POST", "https://cis.citrix.com/other", msg{body: []byte(`{"b":1}`)}, 200, msg{})
	flush(t, a)
	if eps, _ := a.Endpoints(); len(eps) != 0 {
		t.Fatalf("got %d endpoints, want none while capture %d waits for its response", len(eps), open)
	}
	mustResponse(t, st, open, 202, msg{})
	flush(t, a)
	if eps, _ := a.Endpoints(); len(eps) != 2 {
		t.Errorf("got %d endpoints, want 2 once it completed", len(eps))
	}
	stale := mustRequest(t, st, "POST", "https://cis.citrix.com/stale", msg{})
	mustExchange(t, st, "POST", "https://cis.citrix.com/third", msg{}, 200, msg{})
	now = now.Add(48 * time.Hour)
	flush(t, a)
	if eps, _ := a.Endpoints(); len(eps) != 3 {
		t.Errorf("got %d endpoints, want 3: capture %d is stale and skipped, %s analysed", len(eps), stale, later)
	}
}

func flush(t *testing.T, a *Analyzer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}
