package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// fakeAnalyst answers from fixed values and records the last query.
type fakeAnalyst struct {
	query   analysis.Query
	from    string
	opts    analysis.CompareOptions
	compare error
}

func (f *fakeAnalyst) Compare(from, to string, o analysis.CompareOptions) (*analysis.Comparison, error) {
	f.from, f.opts = from, o
	if f.compare != nil {
		return nil, f.compare
	}
	return &analysis.Comparison{From: "3", To: to, Changes: []analysis.Change{{Path: "$.n", Op: "changed", From: json.Number("1"), To: json.Number("12345678901234567890")}}}, nil
}

func (f *fakeAnalyst) Decoded(id string) (*analysis.Decoded, error) {
	return &analysis.Decoded{ID: id, Endpoint: "POST h /x"}, nil
}

func (f *fakeAnalyst) Drift(q analysis.Query) ([]analysis.DriftEvent, error) {
	f.query = q
	return []analysis.DriftEvent{{ID: "7", Kind: analysis.DriftNewField, Path: "$.a"}}, nil
}

func (f *fakeAnalyst) Figures(q analysis.Query) ([]analysis.Point, error) {
	f.query = q
	return []analysis.Point{{ID: "7", Name: "A.CountUsedMax", Value: 301.0}}, nil
}

func (f *fakeAnalyst) Endpoints() ([]analysis.EndpointInfo, error) {
	return []analysis.EndpointInfo{{Endpoint: "POST h /x", Captures: 2}}, nil
}

func (f *fakeAnalyst) Licensing(from, to string, o analysis.CompareOptions) (*analysis.LicenseDiff, error) {
	c, err := f.Compare(from, to, o)
	if err != nil {
		return nil, err
	}
	return &analysis.LicenseDiff{Comparison: c, Summary: []analysis.SummaryLine{{Kind: analysis.SummaryFigureChanged, Text: "A CountUsedMax 1 → 2 (+1)"}}}, nil
}

func (f *fakeAnalyst) Identities() ([]analysis.Identity, error) {
	return []analysis.Identity{
		{Category: analysis.PersonalHostName, Value: "WKS-01", Uploads: 3, Endpoints: []string{"POST h /x"}},
		{Category: analysis.PersonalEmail, Value: "=ann@corp.example.com", Uploads: 1, Endpoints: []string{"POST h /x"}, Plain: true},
	}, nil
}

func newAnalysisAPI(t *testing.T, a Analyst) (*httptest.Server, *Client) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	token := strings.Repeat("t", 64)
	names := analysis.NewNames([]analysis.Rule{{Endpoint: "POST h /x", Name: "X upload"}})
	srv := httptest.NewServer(NewHandler(Options{Store: st, Token: token, Analysis: a, Names: names}))
	t.Cleanup(srv.Close)
	return srv, &Client{Base: srv.URL, Token: token}
}

func TestAnalysisRoutes_ClientRoundTrip(t *testing.T) {
	fa := &fakeAnalyst{}
	_, c := newAnalysisAPI(t, fa)
	cmp, err := c.Compare("", "9", analysis.CompareOptions{Side: analysis.SideBoth, Headers: true})
	if err != nil || cmp.From != "3" || cmp.To != "9" || fa.from != "" || fa.opts.Side != analysis.SideBoth || !fa.opts.Headers {
		t.Fatalf("Compare: got %+v %v, server saw %q %+v", cmp, err, fa.from, fa.opts)
	}
	if v := cmp.Changes[0].To; v != json.Number("12345678901234567890") {
		t.Errorf("a big number: got %#v, want it as sent", v)
	}
	since := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	if d, err := c.Drift(analysis.Query{Since: since, Host: "cis.citrix.com"}); err != nil || len(d) != 1 || !fa.query.Since.Equal(since) || fa.query.Host != "cis.citrix.com" {
		t.Errorf("Drift: got %+v %v, server saw %+v", d, err, fa.query)
	}
	if p, err := c.Figures(analysis.Query{Name: "*.CountUsedMax"}); err != nil || len(p) != 1 || fa.query.Name != "*.CountUsedMax" {
		t.Errorf("Figures: got %+v %v, server saw %+v", p, err, fa.query)
	}
	if n, ok := func() (float64, bool) { p, _ := c.Figures(analysis.Query{}); return p[0].Number() }(); !ok || n != 301 {
		t.Errorf("figure value: got %v %v", n, ok)
	}
	if e, err := c.Endpoints(); err != nil || len(e) != 1 || e[0].Captures != 2 {
		t.Errorf("Endpoints: got %+v %v", e, err)
	}
	if d, err := c.Decoded("4"); err != nil || d.ID != "4" {
		t.Errorf("Decoded: got %+v %v", d, err)
	}
}

func TestAnalysisRoutes_ErrorsKeepTheirMeaning(t *testing.T) {
	for _, want := range []error{analysis.ErrNoPrevious, analysis.ErrNotExchange, analysis.ErrBadInput, store.ErrNotFound} {
		_, c := newAnalysisAPI(t, &fakeAnalyst{compare: fmt.Errorf("capture 5: %w", want)})
		_, err := c.Compare("", "5", analysis.CompareOptions{})
		if !errors.Is(err, want) || !strings.HasPrefix(err.Error(), "capture 5: ") {
			t.Errorf("got %v, want %v with the server's message", err, want)
		}
	}
	srv, c := newAnalysisAPI(t, nil)
	if _, err := c.Drift(analysis.Query{}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("no analysis: got %v, want 503", err)
	}
	resp, err := http.Get(srv.URL + "/api/drift")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: got %d, want 401", resp.StatusCode)
	}
	_, c = newAnalysisAPI(t, &fakeAnalyst{})
	if _, err := c.Compare("", "", analysis.CompareOptions{}); !errors.Is(err, analysis.ErrBadInput) {
		t.Errorf("diff without to: got %v, want ErrBadInput", err)
	}
}

func TestPersonalRoute_PlainUsersFirst_AnonymisationAndCSV(t *testing.T) {
	srv, c := newAnalysisAPI(t, &fakeAnalyst{})
	var got personalAnswer
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+c.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := get("/api/personal")
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if len(got.Identities) != 2 || !got.Identities[0].Plain || got.Anonymisation.InEffect || got.Anonymisation.Plain != 1 || got.Names["POST h /x"] != "X upload" {
		t.Errorf("personal: %+v", got)
	}
	resp = get("/api/personal?format=csv")
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(raw)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(body, "email,'=ann@corp.example.com,1,X upload,") {
		t.Errorf("csv: %s %q", resp.Header.Get("Content-Type"), body)
	}
	ids, err := c.Identities()
	if err != nil || len(ids) != 2 {
		t.Errorf("Client.Identities: %v %v", ids, err)
	}
	d, err := c.Licensing("", "9", analysis.CompareOptions{})
	if err != nil || len(d.Summary) != 1 || d.From != "3" {
		t.Errorf("Client.Licensing: %+v %v", d, err)
	}
}
