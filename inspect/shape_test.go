package inspect

import "testing"

func TestShape_GeneralisesIndexesAndEpochs(t *testing.T) {
	p := Decode(usageBundle(t, 1683864965, 1683951365), Meta{}, Options{})
	shape := Shape(p)
	for path, want := range map[string]string{
		"ue_lt_#.zip/usage.json:$.events[].user": KindString,
		"manifest.json:$.Files[].EventStart":     KindNumber,
		"manifest.json:$.Serials":                KindArray,
	} {
		if got := shape[path]; got != want {
			t.Errorf("%s: got %q, want %q", path, got, want)
		}
	}
	if len(Drift(shape, Shape(Decode(usageBundle(t, 1684037765), Meta{}, Options{})))) != 0 {
		t.Errorf("a bundle of other days drifted from the same shape")
	}
}

func TestDrift_NewChangedRemoved(t *testing.T) {
	base := Shape(Decode(mustJSON(t, complianceDoc(3, 0)), Meta{}, Options{}))
	next := Shape(Decode(mustJSON(t, nextCompliance()), Meta{}, Options{}))
	events := Drift(base, next)
	mustGolden(t, "drift/compliance_next_day.golden.json", mustJSON(t, events))
	want := map[string]string{
		"$.LicenseServer.Edition":    DriftNewField,
		"$.LicenseServer.SGPMaxDays": DriftTypeChanged,
		"$.Date":                     DriftRemovedField,
	}
	if len(events) != len(want) {
		t.Fatalf("got %d events, want %d: %v", len(events), len(want), events)
	}
	for _, e := range events {
		if want[e.Path] != e.Kind {
			t.Errorf("%s: got %s, want %s", e.Path, e.Kind, want[e.Path])
		}
	}
}

func TestMerge_SeenTypesAreNoLongerDrift(t *testing.T) {
	base := map[string]string{"$.a": KindNumber, "$.gone": KindString}
	next := map[string]string{"$.a": KindString, "$.new": KindBool}
	merged := Merge(base, next)
	if got := merged["$.a"]; got != "number|string" {
		t.Errorf("$.a: got %q, want number|string", got)
	}
	events := Drift(merged, next)
	if len(events) != 1 || events[0].Path != "$.gone" || events[0].Kind != DriftRemovedField {
		t.Errorf("got %v, want only $.gone removed", events)
	}
	if base["$.new"] != "" {
		t.Errorf("Merge modified its baseline")
	}
}

func TestFigures_CustomRules(t *testing.T) {
	body := mustJSON(t, complianceDoc(2, 0))
	opts := Options{Figures: FigureRules{Names: []string{"SGPMaxDays"}, Exclude: []string{}}}
	got := Figures(Decode(body, Meta{}, opts))
	if len(got) != 1 || got[0].Name != "LicenseServer.SGPMaxDays" || got[0].Value != 30 {
		t.Errorf("got %v, want LicenseServer.SGPMaxDays = 30", got)
	}
}

func TestFigures_NamedByNearestID(t *testing.T) {
	body := []byte(`{"TotalFiles": 2, "GUID": "g", "features": [
		{"id": "CAG_AAC_CCU", "Users": {"Count": 7}, "CountUsedMax": 9, "UserReportTime": 1700000000}]}`)
	got := Figures(Decode(body, Meta{}, Options{}))
	want := []Figure{
		{Path: "$.TotalFiles", Name: "TotalFiles", Value: 2},
		{Path: "$.features[0].CountUsedMax", Name: "CAG_AAC_CCU.CountUsedMax", Value: 9},
		{Path: "$.features[0].Users.Count", Name: "CAG_AAC_CCU.Users.Count", Value: 7},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("figure %d: got %v, want %v", i, got[i], want[i])
		}
	}
}
