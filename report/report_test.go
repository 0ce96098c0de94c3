package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// fakeSource answers with fixed figures and decoded requests.
type fakeSource struct {
	points  []analysis.Point
	decoded map[string]*analysis.Decoded
}

func (f fakeSource) Figures(analysis.Query) ([]analysis.Point, error) { return f.points, nil }
func (f fakeSource) Decoded(id string) (*analysis.Decoded, error) {
	if d, ok := f.decoded[id]; ok {
		return d, nil
	}
	return nil, store.ErrNotFound
}

const hostile = `</h3><script>alert(1)</script><img src=x onerror=alert(2)>`

func capture(id, when, host, url string) store.Capture {
	return store.Capture{ID: id, Time: when, Kind: store.CaptureExchange, Method: "POST", Host: host, URL: url,
		Status: 200, RequestBytes: 100, ResponseBytes: 10, Complete: true}
}

func point(id, day, name string, v any) analysis.Point {
	return analysis.Point{ID: id, Time: day + "T00:00:00Z", Name: name, Value: v, Endpoint: "POST h /x", Path: "$.x"}
}

func TestBuild_HostileTextIsEscapedAndPageHasNoScript(t *testing.T) {
	caps := []store.Capture{
		capture("1", "2026-05-01T10:00:00Z", "cis.citrix.com", "https://cis.citrix.com/u?"+hostile),
		capture("3", "2026-05-02T10:00:00Z", "cis.citrix.com", "https://cis.citrix.com/u"),
		capture("5", "2026-05-02T11:00:00Z", "las.cloud.com", "https://las.cloud.com/r"),
	}
	src := fakeSource{
		points: []analysis.Point{
			point("1", "2026-05-01", hostile, json.Number("10")),
			point("3", "2026-05-02", hostile, json.Number("12")),
			point("5", "2026-05-02", hostile, json.Number("15")), // the later report of the day counts
			point("9", "2026-05-03", hostile, json.Number("99")), // not one of the captures
			point("1", "2026-05-01", "Version", "1.0"),
			point("3", "2026-05-02", "Version", "1.0"),
			point("5", "2026-05-02", "Version", "=1+2"),
		},
		decoded: map[string]*analysis.Decoded{"1": {ID: "1", Endpoint: "POST cis.citrix.com /u", Request: &analysis.DecodedBody{
			Tree: &analysis.Node{Type: "json"},
			Fields: []analysis.DecodedField{
				{Field: inspect.Field{Path: "$.users[0]", Type: "string", Value: "alice"}},
				{Field: inspect.Field{Path: "$.users[1]", Type: "string", Value: hostile}},
			},
			Personal: []analysis.PersonalField{{Path: "$.users[0]", Category: "user_name"}, {Path: "$.users[1]", Category: "user_name"}},
		}}},
	}
	r, err := Build(src, caps, Options{Now: func() time.Time { return time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(strings.ToLower(page), "<script") || strings.Contains(page, "<img") {
		t.Errorf("hostile text reached the page unescaped:\n%s", page)
	}
	if len(r.Figures) != 2 || r.Figures[0].Name != hostile || r.Figures[1].Name != "Version" {
		t.Fatalf("figures: got %+v, want two by name", r.Figures)
	}
	if n := r.Figures[0]; len(n.Days) != 2 || n.Days[1].Value != "15" || n.Days[1].Change != "+5" {
		t.Errorf("figure series: got %+v", n)
	}
	if r.Figures[0].Chart == "" || strings.Contains(string(r.Figures[0].Chart), "<script") {
		t.Errorf("chart: %q", r.Figures[0].Chart)
	}
	if v := r.Figures[1]; !v.Text || len(v.Days) != 2 || v.Chart != "" {
		t.Errorf("text figure: want the days it changed, no chart; got %+v", v)
	}
	if g := r.Groups; len(g) != 2 || g[1].Name != "Version" || len(g[0].Rows) != 2 || g[0].Rows[1].IDs != "3 5" && g[0].Rows[1].IDs != "5" {
		t.Errorf("groups: got %+v", g)
	}
	if got := r.Personal.Categories; len(got) != 1 || got[0].Distinct != 2 || r.Personal.Fields[0].Path != "$.users[]" {
		t.Errorf("personal data: got %+v %+v", got, r.Personal.Fields)
	}
	if r.Personal.Unreadable != 2 {
		t.Errorf("unreadable: got %d, want the 2 captures without analysis", r.Personal.Unreadable)
	}
	var csv bytes.Buffer
	r.WriteFiguresCSV(&csv)
	if !strings.Contains(csv.String(), ",'=1+2,") || strings.Contains(csv.String(), ",99,") {
		t.Errorf("figures.csv: want formulas quoted and only the report's captures:\n%s", csv.String())
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{420: 500, 1: 1, 0.3: 0.5, 7: 10, 101: 200, 2400: 2500} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", in, got, want)
		}
	}
}
