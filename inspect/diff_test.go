package inspect

import (
	"encoding/json"
	"strings"
	"testing"
)

// diffCase is a pair of transmissions, built in code: Diff depends only on
// decoded content, never on compressed bytes.
type diffCase struct {
	name   string
	a, b   func(tb testing.TB) ([]byte, Meta)
	opts   DiffOptions
	checks func(t *testing.T, changes []Change)
}

func jsonBody(v func() any) func(tb testing.TB) ([]byte, Meta) {
	return func(tb testing.TB) ([]byte, Meta) {
		return mustJSON(tb, v()), Meta{ContentType: "application/json"}
	}
}

func raw(b []byte, meta Meta) func(tb testing.TB) ([]byte, Meta) {
	return func(testing.TB) ([]byte, Meta) { return b, meta }
}

// nextCompliance is complianceDoc(3, 0) as the next day might send it: a
// feature inserted in the middle, a count changed, a field added, one
// removed, one turned from number to string, a device added, and new
// timestamps and hash.
func nextCompliance() any {
	doc := complianceDoc(3, 0)
	features := doc["features"].([]any)
	f0 := features[0].(map[string]any)
	f0["CountUsedMax"] = 57
	f0["CCUDevices"] = []any{"dev-0000", "dev-0777", "dev-0001"}
	inserted := complianceDoc(4, 0)["features"].([]any)[3]
	doc["features"] = []any{features[0], inserted, features[1], features[2]}
	ls := doc["LicenseServer"].(map[string]any)
	ls["Edition"] = "Premium"
	ls["SGPMaxDays"] = "30"
	delete(doc, "Date")
	doc["UTCDate"] = "2026-11-21T02:00:00Z"
	doc["UI"] = strings.Repeat("cd", 32)
	return doc
}

var diffCases = []diffCase{
	{
		name: "compliance_next_day",
		a:    jsonBody(func() any { return complianceDoc(3, 0) }),
		b:    jsonBody(nextCompliance),
		opts: DiffOptions{Volatile: []string{"$.UTCDate", "$.UI", "**ReportUTC"}},
		checks: func(t *testing.T, cs []Change) {
			wantChange(t, cs, "$.features[1]", OpAdded, false)
			wantChange(t, cs, "$.features[0].CountUsedMax", OpChanged, false)
			wantChange(t, cs, "$.features[0].CCUDevices[1]", OpAdded, false)
			wantChange(t, cs, "$.LicenseServer.Edition", OpAdded, false)
			wantChange(t, cs, "$.Date", OpRemoved, false)
			wantChange(t, cs, "$.UTCDate", OpChanged, true)
			c := wantChange(t, cs, "$.LicenseServer.SGPMaxDays", OpChanged, false)
			if !c.TypeChanged {
				t.Errorf("SGPMaxDays: got TypeChanged false, want true")
			}
			if n := len(cs); n != 8 {
				t.Errorf("got %d changes, want 8 (no cascade from the insertion):\n%s", n, mustJSON(t, cs))
			}
		},
	},
	{
		name: "configured_key",
		a: jsonBody(func() any {
			return map[string]any{"licenses": []any{
				map[string]any{"lic": "A", "n": 1}, map[string]any{"lic": "B", "n": 2}}}
		}),
		b: jsonBody(func() any {
			return map[string]any{"licenses": []any{map[string]any{"lic": "C", "n": 0},
				map[string]any{"lic": "A", "n": 1}, map[string]any{"lic": "B", "n": 3}}}
		}),
		opts: DiffOptions{Keys: map[string]string{"$.licenses": "lic"}},
		checks: func(t *testing.T, cs []Change) {
			wantChange(t, cs, "$.licenses[0]", OpAdded, false)
			wantChange(t, cs, "$.licenses[2].n", OpChanged, false)
			if len(cs) != 2 {
				t.Errorf("got %d changes, want 2", len(cs))
			}
		},
	},
	{
		name: "positional_without_key",
		a: jsonBody(func() any {
			return map[string]any{"licenses": []any{
				map[string]any{"lic": "A", "n": 1}, map[string]any{"lic": "B", "n": 2}}}
		}),
		b: jsonBody(func() any {
			return map[string]any{"licenses": []any{map[string]any{"lic": "C", "n": 0},
				map[string]any{"lic": "A", "n": 1}, map[string]any{"lic": "B", "n": 3}}}
		}),
	},
	{
		name: "usage_next_bundle",
		a:    func(tb testing.TB) ([]byte, Meta) { return usageBundle(tb, 1683864965, 1683951365), Meta{} },
		b: func(tb testing.TB) ([]byte, Meta) {
			return usageBundle(tb, 1683864965, 1683951365, 1684037765), Meta{}
		},
		checks: func(t *testing.T, cs []Change) {
			wantChange(t, cs, "ue_lt_1684037765.zip", OpAdded, false)
			wantChange(t, cs, "manifest.json:$.Files[2]", OpAdded, false)
			wantChange(t, cs, "manifest.json:$.TotalFiles", OpChanged, false)
		},
	},
	{
		name: "offline_activation_new_lsguid",
		a:    func(tb testing.TB) ([]byte, Meta) { return offlineActivation(tb), multipartMeta },
		b: func(tb testing.TB) ([]byte, Meta) {
			return offlineActivationWith(tb, "0000aaaa-0d1f-4e5a-9b8c-7d6e5f4a3b2c"), multipartMeta
		},
		checks: func(t *testing.T, cs []Change) {
			wantChange(t, cs, "request.tgz/ns_offline_activation_request.json:$.lsguid", OpChanged, false)
		},
	},
	{
		name: "xml_feature_inserted",
		a:    raw([]byte(complianceXML), Meta{ContentType: "application/xml"}),
		b: raw([]byte(strings.Replace(strings.Replace(complianceXML, `CountUsedMax="42"`, `CountUsedMax="43"`, 1),
			`<Feature id="CAG_AAC_CCU"`, `<Feature id="NEW_FEATURE" CountUsedMax="1"/>
  <Feature id="CAG_AAC_CCU"`, 1)), Meta{ContentType: "application/xml"}),
		checks: func(t *testing.T, cs []Change) {
			wantChange(t, cs, "/LicenseServerCompliance/Feature[1]", OpAdded, false)
			wantChange(t, cs, "/LicenseServerCompliance/Feature[2]/@CountUsedMax", OpChanged, false)
			if len(cs) != 2 {
				t.Errorf("got %d changes, want 2", len(cs))
			}
		},
	},
	{
		name: "base64_payload_changed",
		a:    func(tb testing.TB) ([]byte, Meta) { return base64Field(tb), Meta{} },
		b:    func(tb testing.TB) ([]byte, Meta) { return base64FieldWith(tb, 6), Meta{} },
		checks: func(t *testing.T, cs []Change) {
			wantChange(t, cs, "$.payload:$.CountUsedMax", OpChanged, false)
			if len(cs) != 1 {
				t.Errorf("got %d changes, want 1 (the base64 text itself is a layer)", len(cs))
			}
		},
	},
	{
		name: "text_lines",
		a:    raw([]byte("line one\nline two\nline three\n"), Meta{ContentType: "text/plain"}),
		b:    raw([]byte("line one\nline 2\nline three\nline four\n"), Meta{ContentType: "text/plain"}),
		checks: func(t *testing.T, cs []Change) {
			c := wantChange(t, cs, ".", OpChanged, false)
			if !strings.Contains(c.Unified, "-line two\n+line 2\n") {
				t.Errorf("got unified diff %q, want the changed line", c.Unified)
			}
		},
	},
	{
		name: "json_became_text",
		a:    raw([]byte(`{"ok":true}`), Meta{ContentType: "application/json"}),
		b:    raw([]byte("Service Unavailable"), Meta{ContentType: "application/json"}),
		checks: func(t *testing.T, cs []Change) {
			if c := wantChange(t, cs, ".", OpChanged, false); !c.TypeChanged {
				t.Errorf("got TypeChanged false, want true")
			}
		},
	},
	{
		name: "form_fields",
		a:    func(tb testing.TB) ([]byte, Meta) { return tokenForm(tb), formMeta },
		b: func(tb testing.TB) ([]byte, Meta) {
			return []byte(strings.Replace(string(tokenForm(tb)), "scope=telemetry", "scope=usage&extra=1", 1)), formMeta
		},
		checks: func(t *testing.T, cs []Change) {
			wantChange(t, cs, "form:scope[1]", OpChanged, false)
			wantChange(t, cs, "form:extra", OpAdded, false)
		},
	},
}

var (
	multipartMeta = Meta{ContentType: "multipart/form-data; boundary=telltale-boundary"}
	formMeta      = Meta{ContentType: "application/x-www-form-urlencoded"}
)

// wantChange returns the change at path, failing unless its op and
// volatility are as given.
func wantChange(t *testing.T, cs []Change, path, op string, volatile bool) Change {
	t.Helper()
	for _, c := range cs {
		if c.Path == path {
			if c.Op != op || c.Volatile != volatile {
				t.Errorf("%s: got %s volatile=%v, want %s volatile=%v", path, c.Op, c.Volatile, op, volatile)
			}
			return c
		}
	}
	t.Errorf("no change at %s; got:\n%s", path, mustJSON(t, cs))
	return Change{}
}

func TestDiff_Golden(t *testing.T) {
	for _, c := range diffCases {
		t.Run(c.name, func(t *testing.T) {
			ba, ma := c.a(t)
			bb, mb := c.b(t)
			changes := Diff(Decode(ba, ma, Options{}), Decode(bb, mb, Options{}), c.opts)
			if c.checks != nil {
				c.checks(t, changes)
			}
			mustGolden(t, "diff/"+c.name+".golden.json", mustJSON(t, changes))
		})
	}
}

// TestDiff_SameIsEmpty diffs every committed input with itself, and with
// a fresh decode of itself.
func TestDiff_SameIsEmpty(t *testing.T) {
	for _, c := range decodeCases {
		body := loadCase(t, c)
		p := Decode(body, c.meta, Options{})
		if got := Diff(p, p, DiffOptions{}); len(got) != 0 {
			t.Errorf("%s: Diff(x, x) = %v, want none", c.name, got)
		}
		if got := Diff(p, Decode(body, c.meta, Options{}), DiffOptions{}); len(got) != 0 {
			t.Errorf("%s: Diff(x, decode(x)) = %v, want none", c.name, got)
		}
	}
}

func TestDiff_SortedNaturally(t *testing.T) {
	var a, b []any
	for i := range 12 {
		a = append(a, i)
		b = append(b, i+100)
	}
	got := Diff(Decode(mustJSON(t, a), Meta{}, Options{}), Decode(mustJSON(t, b), Meta{}, Options{}), DiffOptions{})
	var paths []string
	for _, c := range got {
		paths = append(paths, c.Path)
	}
	want := "$[0] $[1] $[2] $[3] $[4] $[5] $[6] $[7] $[8] $[9] $[10] $[11]"
	if strings.Join(paths, " ") != want {
		t.Errorf("got %v, want %v", paths, want)
	}
}

func TestDiff_NumbersKeepPrecision(t *testing.T) {
	a := Decode([]byte(`{"n": 12345678901234567890}`), Meta{}, Options{})
	b := Decode([]byte(`{"n": 12345678901234567891}`), Meta{}, Options{})
	cs := Diff(a, b, DiffOptions{})
	if len(cs) != 1 || cs[0].To != json.Number("12345678901234567891") {
		t.Errorf("got %v, want one change to 12345678901234567891", cs)
	}
}

func TestUnifiedText(t *testing.T) {
	if got := UnifiedText("a\n", "a\n", 3); got != "" {
		t.Errorf("equal texts: got %q, want empty", got)
	}
	got := UnifiedText("a\nb\nc\n", "a\nB\nc\n", 0)
	want := "--- old\n+++ new\n@@ -2 +2 @@\n-b\n+B\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPatterns(t *testing.T) {
	l := loc{}.step("manifest.json", "manifest.json").in("$", "$").in(".Files", ".Files").in("[3]", "[]").in(".Hash", ".Hash")
	tests := []struct {
		glob string
		want bool
	}{
		{"manifest.json:$.Files[3].Hash", true},
		{"manifest.json:$.Files[].Hash", true},
		{"manifest.json:$.Files[*].Hash", true},
		{"*.json:$.Files[*].Hash", true},
		{"$.Files[*].Hash", true}, // names no layer: applies inside any document
		{"$.*.Hash", false},       // * stays within one segment
		{"**.Hash", true},
		{"**Hash", true},
		{"$.Files", false},
		{"other.json:$.Files[*].Hash", false},
	}
	for _, tt := range tests {
		if got := compilePattern(tt.glob).match(l); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.glob, got, tt.want)
		}
	}
}

func TestComparePaths(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"$.a[2]", "$.a[10]", -1},
		{"$.a[10]", "$.a[2]", 1},
		{"$.a", "$.a", 0},
		{"$.a", "$.a.b", -1},
		{"x007", "x7", 1},
	}
	for _, tt := range tests {
		if got := comparePaths(tt.a, tt.b); sign(got) != tt.want {
			t.Errorf("comparePaths(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func TestDiff_SetKey_ReplacedDeviceIsRemovedAndAdded(t *testing.T) {
	body := func(devs ...any) *Part {
		return Decode(mustJSON(t, map[string]any{"devices": devs}), Meta{ContentType: "application/json"}, Options{})
	}
	a, b := body("dev-1", "dev-2", "dev-3"), body("dev-3", "dev-9", "dev-1")
	got := Diff(a, b, DiffOptions{Keys: map[string]string{"$.devices": SetKey}})
	var ops []string
	for _, c := range got {
		ops = append(ops, c.Op+" "+c.Path+" "+scalarText(c.From)+scalarText(c.To))
	}
	want := []string{"removed $.devices[1] dev-2", "added $.devices[1] dev-9"}
	if strings.Join(ops, "; ") != strings.Join(want, "; ") {
		t.Errorf("got %q, want %q", ops, want)
	}
}

func scalarText(v any) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}
