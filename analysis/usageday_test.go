package analysis

import (
	"fmt"
	"testing"
	"time"
)

// TestAnalyzer_UsageDay: a compliance upload sent on a day reports the
// usage of the day before; a usage bundle is dated by its first slice,
// whether its last slice ends at 23:59:59.999 or at midnight; reconcile
// goes by that day.
func TestAnalyzer_UsageDay(t *testing.T) {
	st, _ := mustStore(t)
	o := complianceRules
	o.Rules = append([]Rule(nil), o.Rules...)
	o.Rules[0].UsageDay = "-1d"
	o.Rules = append(o.Rules, Rule{
		Endpoint: "POST cis.citrix.com /api/upload/LicenseServer.OnPremUsage",
		Time:     "manifest.json:$.Files[].EventEnd", UsageDay: "manifest.json:$.Files[].EventStart",
		Figures: []Extractor{{Path: "manifest.json:$.TotalFiles", Name: "Usage.TotalFiles"}},
	})
	for day := 1; day <= 2; day++ {
		mustExchange(t, st, "POST", complianceURL, compliance(t, day, nil, feature{Id: "CAG_AAC_CCU", CountUsedMax: 10 * day}), 202, receipt(day))
		midnight := t0.Truncate(24*time.Hour).AddDate(0, 0, day-1)
		end := midnight.UnixMilli() - int64(day%2) // day 1 ends at 23:59:59.999, day 2 at 00:00
		manifest := fmt.Sprintf(`{"TotalFiles":2,"Files":[{"EventStart":%d,"EventEnd":%d},{"EventStart":%d,"EventEnd":%d}]}`,
			midnight.Add(-24*time.Hour).UnixMilli(), midnight.Add(-12*time.Hour).UnixMilli(), midnight.Add(-12*time.Hour).UnixMilli(), end)
		mustExchange(t, st, "POST", "https://cis.citrix.com/api/upload/LicenseServer.OnPremUsage",
			msg{ctype: "application/zip", body: zipOf(t, "manifest.json", manifest)}, 202, receipt(day))
	}
	a := mustNew(t, st, o)
	a.Start()
	flush(t, a)
	pts, err := a.Figures(Query{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, p := range pts {
		got[p.Name] = append(got[p.Name], p.Date()+" sent "+p.Captured[:10])
	}
	want := map[string][]string{
		"CAG_AAC_CCU.CountUsedMax": {"2026-05-03 sent 2026-05-04", "2026-05-04 sent 2026-05-04"},
		"Usage.TotalFiles":         {"2026-05-03 sent 2026-05-04", "2026-05-04 sent 2026-05-04"},
	}
	for name, w := range want {
		if fmt.Sprint(got[name]) != fmt.Sprint(w) {
			t.Errorf("%s: got %v, want %v", name, got[name], w)
		}
	}
	// The measurement of 3 May agrees with the upload sent on 4 May.
	res := Reconcile(pts, []Measurement{{Date: "2026-05-03", Name: "CAG_AAC_CCU.CountUsedMax", Value: 10, Line: 1}}, Tolerance{})
	if res.Agreed != 1 || len(res.Mismatches) != 0 {
		t.Errorf("reconcile by usage day: got %+v", res)
	}
}

func TestCheckUsageDay(t *testing.T) {
	for _, s := range []string{"", "-1d", "+0d", "$.Date", "manifest.json:$.Files[].EventStart"} {
		if err := CheckUsageDay(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"yesterday", "-1", "d", "-1000d"} {
		if CheckUsageDay(s) == nil {
			t.Errorf("%q: accepted", s)
		}
	}
}
