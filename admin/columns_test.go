package admin

import (
	"fmt"
	"strings"
	"testing"

	"github.com/telltale/telltale/analysis"
)

func TestList_NumbersNamesReportedForAndSort(t *testing.T) {
	st := openTestStore(t)
	tenExchanges(t, st)
	fake := &uiAnalyst{points: []analysis.Point{
		{ID: "5", Name: "A.CountUsedMax", Value: 20.0, Time: "2026-03-01T00:00:00Z", Day: "2026-02-28", Captured: "2026-04-03T12:00:00Z"},
		{ID: "9", Name: "A.CountUsedMax", Value: 40.0, Time: "2026-04-05T12:00:00Z", Captured: "2026-04-05T12:00:00Z"},
	}}
	names := analysis.NewNames([]analysis.Rule{{Endpoint: "POST a.example /upload/{id}", Name: "Compliance upload"}})
	srv, _ := newReviewAPI(t, Options{Store: st, Analysis: fake, Names: names})
	var items []Item
	call(t, "GET", srv.URL+"/api/captures?order=asc&limit=10", nil, &items)
	var nums []string
	for _, it := range items {
		nums = append(nums, fmt.Sprint(it.Number))
	}
	if got := strings.Join(nums, ","); got != "1,2,3,4,5,6,7,8,9,10" {
		t.Errorf("numbers: got %s for ids %s, want 1..10 without gaps", got, ids(items))
	}
	if items[0].Name != "Compliance upload" || items[1].Name != "" || items[0].ContentType != "application/json" || items[0].DurationMS <= 0 {
		t.Errorf("name, content type, duration: %+v / %+v", items[0], items[1])
	}
	if items[2].ReportedFor != "2026-02-28" || items[4].ReportedFor != "" {
		t.Errorf("reported for: got %q and %q, want the payload's usage day and nothing for a capture dated by itself", items[2].ReportedFor, items[4].ReportedFor)
	}
	call(t, "GET", srv.URL+"/api/captures?sort=sent&order=desc&limit=3", nil, &items)
	if len(items) != 3 || items[0].RequestBytes < items[1].RequestBytes || items[1].RequestBytes < items[2].RequestBytes {
		t.Errorf("sort=sent desc: %v", items)
	}
	call(t, "GET", srv.URL+"/api/captures?sort=reported&order=desc&limit=1", nil, &items)
	if ids(items) != "5" {
		t.Errorf("sort=reported desc: got %s, want 5", ids(items))
	}
	if r := call(t, "GET", srv.URL+"/api/captures?sort=colour", nil, nil); r.StatusCode != 400 {
		t.Errorf("sort=colour: %d, want 400", r.StatusCode)
	}
	var nb struct{ IDs []uint64 }
	call(t, "GET", srv.URL+"/api/numbers", nil, &nb)
	if n := analysis.NumbersOf(nb.IDs); n.Number("19") != 10 || n.ID(3) != "5" {
		t.Errorf("numbers route: %v", nb.IDs)
	}
}

func TestList_SearchSnippet(t *testing.T) {
	st := openTestStore(t)
	tenExchanges(t, st)
	srv, _ := newReviewAPI(t, Options{Store: st})
	var items []Item
	call(t, "GET", srv.URL+"/api/captures?q=countusedmax%22:80&order=desc", nil, &items)
	if len(items) != 1 || !strings.Contains(items[0].Snippet, `"CountUsedMax":80`) {
		t.Errorf("snippet: %+v", items)
	}
}

func TestProfile_SecretNamesForTheUI(t *testing.T) {
	st := openTestStore(t)
	srv, _ := newReviewAPI(t, Options{Store: st, SecretHeaders: []string{"Authorization"}, SecretFields: []string{"clientSecret"}})
	var p struct {
		SecretHeaders []string `json:"secret_headers"`
		SecretFields  []string `json:"secret_fields"`
	}
	call(t, "GET", srv.URL+"/api/profile", nil, &p)
	if len(p.SecretHeaders) != 1 || p.SecretHeaders[0] != "Authorization" || len(p.SecretFields) != 1 || p.SecretFields[0] != "clientSecret" {
		t.Errorf("profile: %+v", p)
	}
}
