package analysis

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

func TestCompare_GzipJSON_AddedFeatureChangedFigureVolatileNotCounted(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, complianceRules)
	day1 := mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil,
		feature{"CAG_AAC_CCU", 301, []string{"D1", "D2"}}, feature{"XDS_ADV_CCS", 440, []string{"D3"}}), 202, receipt(1))
	mustExchange(t, st, "POST", "https://las.cloud.com/tbcust7k2q9x/licenseserver/activation/renew", msg{ctype: "application/json", body: []byte(`{"a":1}`)}, 200, msg{})
	day2 := mustExchange(t, st, "POST", complianceURL, compliance(t, 2, nil,
		feature{"XDS_ADV_CCS", 440, []string{"D4", "D3"}}, feature{"XDT_PLT_UD", 27, []string{}}, feature{"CAG_AAC_CCU", 297, []string{"D1"}}), 202, receipt(2))

	c, err := a.Compare("", day2, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.From != day1 || c.To != day2 || c.Endpoint != "POST cis.citrix.com /api/upload/LicenseServerCompliance" {
		t.Errorf("got from %s to %s endpoint %q, want %s to %s", c.From, c.To, c.Endpoint, day1, day2)
	}
	var counted []string
	for _, ch := range c.Changes {
		if ch.Side != SideRequest {
			t.Errorf("change %s on side %q, want request", ch.Path, ch.Side)
		}
		if !ch.Volatile {
			counted = append(counted, fmt.Sprintf("%s %s %v->%v", ch.Op, ch.Path, ch.From, ch.To))
		}
	}
	want := []string{
		"changed $.Data.Features[2].CountUsedMax 301->297",
		"added $.Data.Features[1] <nil>->map[CCUDevices:[] CountUsedMax:27 Id:XDT_PLT_UD]",
	}
	slices.Sort(counted)
	slices.Sort(want)
	if !slices.Equal(counted, want) {
		t.Errorf("counted changes:\n got %q\nwant %q", counted, want)
	}
	if c.Counted != 2 || c.Volatile != len(c.Changes)-2 || c.Volatile < 3 { // UTCDate, UI, devices
		t.Errorf("counted %d volatile %d of %d changes", c.Counted, c.Volatile, len(c.Changes))
	}
	for _, p := range []string{"$.UTCDate", "$.UI"} {
		if !slices.ContainsFunc(c.Changes, func(ch Change) bool { return ch.Path == p && ch.Volatile }) {
			t.Errorf("no volatile change at %s", p)
		}
	}
}

func TestCompare_ZipInsideMultipart_ShowsTheField(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, Options{})
	u := "https://las.cloud.com/support/tbcust7k2q9x/cvad/offlineactivation"
	body := func(qty string) msg {
		z := zipOf(t, "manifest.json", `{"Version":"1.0","Serials":[{"LicenseId":"XDS_ADV_CCS","SN":"CTX1","Quantity":`+qty+`}]}`, "notes.txt", "same\n")
		b, ct := multipartOf(t, "request.zip", z, `{"ver":"1.0","platform":"Windows"}`)
		return msg{ctype: ct, body: b}
	}
	first := mustExchange(t, st, "POST", u, body("800"), 200, msg{ctype: "application/json", body: []byte(`{"newactivationid":"a1"}`)})
	second := mustExchange(t, st, "POST", u, body("850"), 200, msg{ctype: "application/json", body: []byte(`{"newactivationid":"a2"}`)})
	c, err := a.Compare(first, second, CompareOptions{Side: SideBoth})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range c.Changes {
		got = append(got, fmt.Sprintf("%s %s %s %v->%v", ch.Side, ch.Op, ch.Path, ch.From, ch.To))
	}
	want := []string{
		"request changed request.zip/manifest.json:$.Serials[0].Quantity 800->850",
		"response changed $.newactivationid a1->a2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCompare_Headers_VolatileByName(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, Options{VolatileHeaders: []string{"content-length"}})
	x := mustExchange(t, st, "POST", "https://cis.citrix.com/x", msg{ctype: "application/json", body: []byte(`{"a":1}`)}, 200, msg{})
	y := mustExchange(t, st, "POST", "https://cis.citrix.com/x", msg{ctype: "text/json", body: []byte(`{"a":10}`)}, 200, msg{})
	c, err := a.Compare(x, y, CompareOptions{Headers: true})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]Change{}
	for _, ch := range c.Changes {
		byPath[ch.Path] = ch
	}
	if ch := byPath["@header:Content-Length"]; ch.Op != inspect.OpChanged || !ch.Volatile {
		t.Errorf("Content-Length: got %+v, want a volatile change", ch)
	}
	if ch := byPath["@header:Content-Type"]; ch.Op != inspect.OpChanged || ch.Volatile || ch.To != "text/json" {
		t.Errorf("Content-Type: got %+v", ch)
	}
	if c.Counted != 2 { // $.a, Content-Type
		t.Errorf("counted %d, want 2: %+v", c.Counted, c.Changes)
	}
}

func TestCompare_Errors(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, Options{})
	first := mustExchange(t, st, "POST", complianceURL, msg{body: []byte(`{}`)}, 202, msg{})
	open := mustRequest(t, st, "POST", complianceURL, msg{body: []byte(`{}`)})
	if _, err := a.Compare("", first, CompareOptions{}); !errors.Is(err, ErrNoPrevious) {
		t.Errorf("first capture: got %v, want ErrNoPrevious", err)
	}
	if _, err := a.Compare(first, fmt.Sprint(open), CompareOptions{}); !errors.Is(err, ErrNotExchange) {
		t.Errorf("capture without response: got %v, want ErrNotExchange", err)
	}
	if _, err := a.Compare(first, "999", CompareOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: got %v, want store.ErrNotFound", err)
	}
	if _, err := a.Compare(first, first, CompareOptions{Side: "sideways"}); !errors.Is(err, ErrBadInput) {
		t.Errorf("bad side: got %v, want ErrBadInput", err)
	}
}

func TestPrevious_SameEndpointOnly(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, Options{})
	r1 := mustExchange(t, st, "POST", "https://las.cloud.com/aaaa1111/licenseserver/activation/renew", msg{}, 200, msg{})
	mustExchange(t, st, "GET", "https://las.cloud.com/aaaa1111/licenseserver/activation/renew", msg{}, 200, msg{})
	mustExchange(t, st, "POST", "https://las.cloud.com/aaaa1111/licenseserver/activation/other", msg{}, 200, msg{})
	r2 := mustExchange(t, st, "POST", "https://las.cloud.com/bbbb2222/licenseserver/activation/renew?x=1", msg{}, 200, msg{})
	if got, err := a.Previous(r2); err != nil || got != r1 {
		t.Errorf("Previous(%s): got %q %v, want %s", r2, got, err, r1)
	}
	if !strings.Contains(fmt.Sprint(a.Previous(r1)), "first of POST las.cloud.com /{ccid}/licenseserver/activation/renew") {
		t.Errorf("Previous of the first: want an error naming the endpoint")
	}
}

func TestDecoded_TreeFieldsVolatilePersonalFigures(t *testing.T) {
	st, _ := mustStore(t)
	a := mustNew(t, st, complianceRules)
	id := mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil, feature{"CAG_AAC_CCU", 301, []string{"D1"}}), 202, receipt(1))
	d, err := a.Decoded(id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Endpoint != "POST cis.citrix.com /api/upload/LicenseServerCompliance" || d.Request == nil || d.Response == nil {
		t.Fatalf("got %+v", d)
	}
	r := d.Request
	if r.Tree == nil || r.Tree.Type != inspect.TypeGzip || len(r.Tree.Children) != 1 || r.Tree.Children[0].Type != inspect.TypeJSON {
		t.Errorf("tree: got %+v, want gzip around json", r.Tree)
	}
	vol := map[string]bool{}
	for _, f := range r.Fields {
		vol[f.Path] = f.Volatile
	}
	if !vol["$.UTCDate"] || !vol["$.UI"] || vol["$.Data.Features[0].CountUsedMax"] {
		t.Errorf("volatile fields: got %v", vol)
	}
	if !slices.ContainsFunc(r.Personal, func(p PersonalField) bool {
		return p.Path == "$.Data.LicenseServer.FQDN" && p.Category == PersonalHostName
	}) {
		t.Errorf("personal: got %+v", r.Personal)
	}
	if len(r.Figures) != 3 || r.Figures[0].Name != "CAG_AAC_CCU.CountUsedMax" || r.Figures[0].Time != "2026-05-04T02:00:00.000000000Z" {
		t.Errorf("figures: got %+v", r.Figures)
	}
	if len(d.Response.Fields) == 0 || d.Response.Figures != nil {
		t.Errorf("response: got %+v", d.Response)
	}
}

func TestDecoded_MaxBody_LeavesLargeBodiesUndecoded(t *testing.T) {
	st, _ := mustStore(t)
	o := complianceRules
	o.MaxBody = 100
	a := mustNew(t, st, o)
	id := mustExchange(t, st, "POST", complianceURL, compliance(t, 1, nil, feature{"CAG_AAC_CCU", 301, []string{"D1"}}), 202, receipt(1))
	d, err := a.Decoded(id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Request.Tree != nil || !strings.Contains(d.Request.Note, "max_analysed_bytes") {
		t.Errorf("request: got tree %v note %q, want no tree and a note naming the limit", d.Request.Tree, d.Request.Note)
	}
}
