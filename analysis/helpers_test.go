package analysis

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/telltale/telltale/store"
)

var t0 = time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)

// testClock starts at t0 and advances a minute per call.
func testClock() func() time.Time {
	var mu sync.Mutex
	t := t0
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Minute)
		return t
	}
}

// mustStore opens a writable store in a temp dir, closed after the test.
func mustStore(tb testing.TB) (*store.Store, string) {
	tb.Helper()
	dir := tb.TempDir()
	st, err := store.Open(dir, store.Options{Now: testClock()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st, dir
}

// msg is one side of an exchange to record.
type msg struct {
	ctype, cenc string
	body        []byte
}

// mustExchange records a complete exchange and returns its capture id.
func mustExchange(tb testing.TB, st *store.Store, method, rawURL string, req msg, status int, resp msg) string {
	tb.Helper()
	id := mustRequest(tb, st, method, rawURL, req)
	mustResponse(tb, st, id, status, resp)
	return strconv.FormatUint(id, 10)
}

func mustRequest(tb testing.TB, st *store.Store, method, rawURL string, req msg) uint64 {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	r := &store.Record{Kind: store.KindRequest, Client: "127.0.0.1:50000", Host: u.Hostname(), Port: "443",
		Head: &store.Head{Method: method, URL: rawURL, Proto: "HTTP/1.1", Headers: headers(req, "Host", u.Host)}}
	return mustAppend(tb, st, r, req.body)
}

func mustResponse(tb testing.TB, st *store.Store, id uint64, status int, resp msg) {
	tb.Helper()
	r := &store.Record{Kind: store.KindResponse, Capture: id,
		Head:    &store.Head{Status: status, Proto: "HTTP/1.1", Headers: headers(resp, "Citrix-TransactionId", strconv.FormatUint(id, 16))},
		Timings: &store.Timings{Start: t0, End: t0.Add(time.Second)}}
	mustAppend(tb, st, r, resp.body)
}

func headers(m msg, name, value string) []store.Header {
	hs := []store.Header{{Name: name, Value: value}}
	if m.ctype != "" {
		hs = append(hs, store.Header{Name: "Content-Type", Value: m.ctype})
	}
	if m.cenc != "" {
		hs = append(hs, store.Header{Name: "Content-Encoding", Value: m.cenc})
	}
	return append(hs, store.Header{Name: "Content-Length", Value: strconv.Itoa(len(m.body))})
}

func mustAppend(tb testing.TB, st *store.Store, r *store.Record, data []byte) uint64 {
	tb.Helper()
	var body *store.Body
	if data != nil {
		body = st.NewBody(0)
		defer body.Close()
		if _, err := body.Write(data); err != nil {
			tb.Fatal(err)
		}
	}
	seq, err := st.Append(context.Background(), r, body)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	return seq
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func gz(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// zipOf zips name/content pairs.
func zipOf(tb testing.TB, files ...string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			tb.Fatal(err)
		}
		w.Write([]byte(files[i+1]))
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// multipartOf returns a form with a file part and a JSON part.
func multipartOf(tb testing.TB, fileName string, file []byte, jsonPart string) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.SetBoundary("----testboundary0123456789")
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="request"; filename="`+fileName+`"`)
	h.Set("Content-Type", "application/zip")
	pw, _ := mw.CreatePart(h)
	pw.Write(file)
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="data"`)
	h.Set("Content-Type", "application/json")
	pw, _ = mw.CreatePart(h)
	pw.Write([]byte(jsonPart))
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// complianceRules is the compliance part of the Citrix profile.
var complianceRules = Options{
	Volatile: []string{"$**.UTCDate"},
	Rules: []Rule{{
		Endpoint: "POST cis.citrix.com /api/upload/LicenseServerCompliance",
		Time:     "$.UTCDate",
		Keys:     map[string]string{"$.Data.Features": "Id"},
		Volatile: []string{"$.UI", "$.Data.Features[].CCUDevices**"},
		Figures: []Extractor{
			{Path: "$.Data.Features[].CountUsedMax", Name: "{Id}.CountUsedMax", Unit: "licenses"},
			{Path: "$.Data.Features[].CCUDevices", Name: "{Id}.CCUDevices", Unit: "devices", Count: true},
			{Path: "$.Data.LicenseServer.Version", Name: "LicenseServer.Version"},
		},
	}},
}

const complianceURL = "https://cis.citrix.com/api/upload/LicenseServerCompliance"

type feature struct {
	Id           string
	CountUsedMax int
	CCUDevices   []string
}

// compliance is a gzipped compliance upload for day (from 1).
func compliance(tb testing.TB, day int, extra map[string]any, fs ...feature) msg {
	tb.Helper()
	ls := map[string]any{"GUID": "6f1c", "FQDN": "ctxlic01.corp.example.com", "Version": "11.17.2.0 build 53100"}
	for k, v := range extra {
		ls[k] = v
	}
	doc := map[string]any{
		"Product": "LicenseServerCompliance", "UTCDate": t0.AddDate(0, 0, day-1).Format(time.RFC3339),
		"UI": strconv.Itoa(day * 7919), "Data": map[string]any{"LicenseServer": ls, "Features": fs},
	}
	return msg{ctype: "application/json; charset=utf-8", cenc: "gzip", body: gz(tb, mustJSON(tb, doc))}
}

func receipt(id int) msg {
	return msg{ctype: "application/json", body: []byte(`{"uploadId":"u` + strconv.Itoa(id) + `","status":"accepted"}`)}
}

func mustNew(tb testing.TB, st *store.Store, o Options) *Analyzer {
	tb.Helper()
	a, err := New(st, o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	return a
}
