package evidence

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"github.com/telltale/telltale/store"
)

// The v1 path (Redactor.Head, for heads of v1 leaves): a Set-Cookie with
// attributes keeps its name and attributes, never its value; a secret
// trailer and a password in the URL are replaced too.
func TestRedactor_Head_SetCookieAttributesTrailersAndURLPassword(t *testing.T) {
	var r Redactor
	h := &store.Head{Status: 200, URL: "https://lic:PW-SECRET-1@las.cloud.com/x?a=1", Headers: []store.Header{
		{Name: "Set-Cookie", Value: "sid=SC-SECRET-2; Path=/; Secure; HttpOnly"},
		{Name: "Set-Cookie", Value: "theme=SC-SECRET-3"},
		{Name: "Set-Cookie", Value: "SC-SECRET-4"},
		{Name: "Content-Type", Value: "application/json"}},
		Trailers: []store.Header{{Name: "X-Upload-Token", Value: "TR-SECRET-5"}, {Name: "X-Checksum", Value: "c0ffee"}}}
	c, what := r.Head(h)
	if c == nil {
		t.Fatal("Head: nothing redacted")
	}
	wantHeaders := []store.Header{
		{Name: "Set-Cookie", Value: "sid=[REDACTED]; Path=/; Secure; HttpOnly"},
		{Name: "Set-Cookie", Value: "theme=[REDACTED]"},
		{Name: "Set-Cookie", Value: "[REDACTED]"},
		{Name: "Content-Type", Value: "application/json"}}
	if !slices.Equal(c.Headers, wantHeaders) {
		t.Errorf("headers: got %+v, want %+v", c.Headers, wantHeaders)
	}
	wantTrailers := []store.Header{{Name: "X-Upload-Token", Value: "[REDACTED]"}, {Name: "X-Checksum", Value: "c0ffee"}}
	if !slices.Equal(c.Trailers, wantTrailers) {
		t.Errorf("trailers: got %+v, want %+v", c.Trailers, wantTrailers)
	}
	if want := "https://lic:%5BREDACTED%5D@las.cloud.com/x?a=1"; c.URL != want {
		t.Errorf("url: got %s, want %s", c.URL, want)
	}
	if want := []string{"header Set-Cookie", "trailer X-Upload-Token", "url password"}; !slices.Equal(what, want) {
		t.Errorf("what: got %q, want %q", what, want)
	}
	if h.Trailers[0].Value != "TR-SECRET-5" || h.Headers[0].Value != "sid=SC-SECRET-2; Path=/; Secure; HttpOnly" {
		t.Error("Head changed the original")
	}
	// A trailer alone, or a URL password alone, is enough to redact.
	for _, h := range []*store.Head{
		{URL: "https://a/b", Trailers: []store.Header{{Name: "Authorization", Value: "Basic TR-SECRET-6"}}},
		{URL: "https://u:PW-SECRET-7@a/b"},
	} {
		c, what := r.Head(h)
		if c == nil || len(what) != 1 || strings.Contains(c.URL, "SECRET") || len(c.Trailers) > 0 && strings.Contains(c.Trailers[0].Value, "SECRET") {
			t.Errorf("Head(%+v): got %+v, %q; want the secret replaced", h, c, what)
		}
	}
	// A user name without a password is not a secret.
	if c, what := r.Head(&store.Head{URL: "https://u@a/b"}); c != nil {
		t.Errorf("a URL with a user and no password: got %+v %q, want nil", c, what)
	}
}

// A v2 head withholds the URL that holds a password, secret trailers and
// a Set-Cookie with attributes: none of their values, in any file of a
// redacted bundle (captures.jsonl, capture.har, summary.csv), and the
// rest of the head still proven.
func TestExport_V2Head_URLPasswordTrailersSetCookieWithheld(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/v2-heads")
	req := request("las.cloud.com", "POST", "https://lic:PW-SECRET-71@las.cloud.com/upload?x=1",
		"Content-Type", "application/octet-stream")
	req.Head.Trailers = []store.Header{{Name: "X-Upload-Token", Value: "TR-SECRET-72"}, {Name: "X-Checksum", Value: "c0ffee"}}
	seq := appendRecord(t, st, req, []byte("plain upload"))
	resp := response(seq, 200, "Content-Type", "text/plain", "Set-Cookie", "sid=SC-SECRET-74; Path=/; Secure; HttpOnly")
	resp.Head.Trailers = []store.Header{{Name: "Authorization", Value: "Bearer TR-SECRET-73"}}
	appendRecord(t, st, resp, []byte("ok"))
	signTree(t, st, k)

	b := export(t, st, k, Selection{Redact: true})
	rep := verifyBundle(t, b, k.vkey)
	if !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	var got []string
	for _, w := range rep.Withheld {
		got = append(got, w.Part+" "+w.Reason+" "+strings.Join(w.Fields, ","))
	}
	want := []string{"request head redacted url,trailer X-Upload-Token", "response head redacted header Set-Cookie,trailer Authorization"}
	if !slices.Equal(got, want) {
		t.Errorf("withheld:\n  got  %q\n  want %q", got, want)
	}
	names, files := unzip(t, b)
	checkNoSecret(t, b, names, files, "PW-SECRET-71", "TR-SECRET-72", "TR-SECRET-73", "SC-SECRET-74")
	line := firstLine(t, files)
	shipped := map[string]string{}
	for _, e := range line.Records {
		for _, f := range e.HeadFields {
			if f.Value != nil {
				shipped[f.Kind+" "+f.Name] = *f.Value
			}
		}
	}
	for field, v := range map[string]string{"trailer X-Checksum": "c0ffee", "query x": "x=1", "header Content-Type": "text/plain"} {
		if shipped[field] != v {
			t.Errorf("%s: shipped %q, want %q", field, shipped[field], v)
		}
	}
	// Unredacted, the same bundle ships them: the test would see a leak.
	plain := export(t, st, k, Selection{})
	for _, s := range []string{"PW-SECRET-71", "TR-SECRET-72", "TR-SECRET-73", "SC-SECRET-74"} {
		_, pf := unzip(t, plain)
		if !bytes.Contains(pf[FileCaptures], []byte(s)) {
			t.Errorf("%s: not in the unredacted bundle's captures.jsonl", s)
		}
	}
}

// A secret inside each layer inspect decodes (Content-Encoding gzip,
// deflate, br and zstd; base64 and JSON held in a string; a JWT; zip;
// form data; XML; text) is sealed at capture and absent from a redacted
// bundle, which still verifies; each such body is withheld as redacted.
func TestExport_SealedBody_SecretInEveryLayer(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/every-layer")
	jsonSecret := func(s string) []byte { return []byte(`{"user":"u","password":"` + s + `","n":1}`) }
	var zl bytes.Buffer
	zw := zlib.NewWriter(&zl)
	zw.Write(jsonSecret("DEFLATE-SECRET-1"))
	zw.Close()
	var br bytes.Buffer
	bw := brotli.NewWriter(&br)
	bw.Write(jsonSecret("BR-SECRET-2"))
	bw.Close()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zs := enc.EncodeAll(jsonSecret("ZSTD-SECRET-3"), nil)
	enc.Close()
	b64 := base64.StdEncoding.EncodeToString(jsonSecret("B64-SECRET-5"))
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	jwt := seg(`{"alg":"HS256","typ":"JWT"}`) + "." + seg(`{"sub":"lic","client_secret":"JWT-SECRET-6"}`) + "." + seg("signature-bytes")
	var zb bytes.Buffer
	arc := zip.NewWriter(&zb)
	w, _ := arc.Create("conf/db.json")
	w.Write(jsonSecret("ZIP-SECRET-7"))
	arc.Close()

	bodies := []struct {
		name, ct, ce string
		body         []byte
		secrets      []string
	}{
		{"gzip", "application/json", "gzip", gz(t, string(jsonSecret("GZIP-SECRET-0"))), []string{"GZIP-SECRET-0"}},
		{"deflate", "application/json", "deflate", zl.Bytes(), []string{"DEFLATE-SECRET-1"}},
		{"br", "application/json", "br", br.Bytes(), []string{"BR-SECRET-2"}},
		{"zstd", "application/json", "zstd", zs, []string{"ZSTD-SECRET-3"}},
		{"json in a string", "application/json", "", []byte(`{"payload":"{\"apiKey\":\"k\",\"api_key\":\"EMB-SECRET-4\"}"}`), []string{"EMB-SECRET-4"}},
		{"base64", "application/json", "", []byte(`{"blob":"` + b64 + `"}`), []string{"B64-SECRET-5", b64}},
		{"jwt", "application/json", "", []byte(`{"assertion":"` + jwt + `"}`), []string{jwt, seg(`{"sub":"lic","client_secret":"JWT-SECRET-6"}`)}},
		{"zip", "application/zip", "", zb.Bytes(), []string{"ZIP-SECRET-7"}},
		{"form", "application/x-www-form-urlencoded", "", []byte("user=me&password=FORM-SECRET-8&x=1"), []string{"FORM-SECRET-8"}},
		{"xml", "application/xml", "", []byte("<cfg><server>lic1</server><password>XML-SECRET-9</password></cfg>"), []string{"XML-SECRET-9"}},
		{"text", "text/plain", "", []byte("login ok\npassword: TEXT-SECRET-10\n"), []string{"TEXT-SECRET-10"}},
	}
	captures := map[string]string{}
	var all []string
	for _, b := range bodies {
		hs := []string{"Content-Type", b.ct}
		if b.ce != "" {
			hs = append(hs, "Content-Encoding", b.ce)
		}
		req := appendRecord(t, st, request("las.cloud.com", "POST", "https://las.cloud.com/upload", hs...), b.body)
		appendRecord(t, st, response(req, 204), nil)
		captures[b.name] = itoa(int(req))
		all = append(all, b.secrets...)
	}
	signTree(t, st, k)
	bundle := export(t, st, k, Selection{Redact: true})
	rep := verifyBundle(t, bundle, k.vkey)
	if !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	for _, b := range bodies {
		ok := slices.ContainsFunc(rep.Withheld, func(w Withheld) bool {
			return w.Capture == captures[b.name] && w.Part == "request body" && w.Reason == ReasonRedacted
		})
		if !ok {
			t.Errorf("%s: capture %s's request body is not withheld as redacted", b.name, captures[b.name])
		}
	}
	names, files := unzip(t, bundle)
	checkNoSecret(t, bundle, names, files, all...)
}
