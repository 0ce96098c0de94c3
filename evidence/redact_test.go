package evidence

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/telltale/telltale/store"
)

func TestRedactor_JSONKeepsEveryOtherByte(t *testing.T) {
	var r Redactor
	in := `{ "clientId" : "abc", "clientSecret" : "s3cr3t",
  "nested": {"access_token": {"a": [1, "x"]}, "keep": "me"},
  "list": [{"Password": 12}, {"token_type": "bearer", "refresh_token": null}], "n": 1e3 }`
	want := `{ "clientId" : "abc", "clientSecret" : "[REDACTED]",
  "nested": {"access_token": "[REDACTED]", "keep": "me"},
  "list": [{"Password": "[REDACTED]"}, {"token_type": "bearer", "refresh_token": "[REDACTED]"}], "n": 1e3 }`
	out, fields := r.json([]byte(in))
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if w := []string{"json clientSecret", "json access_token", "json Password", "json refresh_token"}; !slices.Equal(fields, w) {
		t.Errorf("fields: got %q, want %q", fields, w)
	}
}

func TestRedactor_HeadsFormsAndWithholding(t *testing.T) {
	r := Redactor{Fields: []string{"secret", "token", "password"}}
	h := &store.Head{Method: "POST", URL: "https://u:pw@las.cloud.com/x?a=1&access_token=abc%20d&b=2", Headers: []store.Header{
		{Name: "Authorization", Value: "CWSAuth bearer=eyJhbGc"}, {Name: "Cookie", Value: "sid=1; theme=dark"},
		{Name: "X-Auth-Token", Value: "t0k"}, {Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}}
	c, what := r.Head(h)
	if c == nil {
		t.Fatal("Head: nothing redacted")
	}
	wantHeaders := []store.Header{{Name: "Authorization", Value: "CWSAuth [REDACTED]"}, {Name: "Cookie", Value: "sid=[REDACTED]; theme=[REDACTED]"},
		{Name: "X-Auth-Token", Value: "[REDACTED]"}, {Name: "Content-Type", Value: "application/x-www-form-urlencoded"}}
	if !slices.Equal(c.Headers, wantHeaders) || c.URL != "https://u:%5BREDACTED%5D@las.cloud.com/x?a=1&access_token=%5BREDACTED%5D&b=2" {
		t.Errorf("Head: got %+v %s", c.Headers, c.URL)
	}
	if h.Headers[0].Value != "CWSAuth bearer=eyJhbGc" {
		t.Error("Head changed the original")
	}
	if w := []string{"header Authorization", "header Cookie", "header X-Auth-Token", "url password", "query access_token"}; !slices.Equal(what, w) {
		t.Errorf("what: got %q, want %q", what, w)
	}
	if c, _ := r.Head(&store.Head{URL: "https://a/b", Headers: []store.Header{{Name: "Accept", Value: "*/*"}}}); c != nil {
		t.Errorf("Head of a head without secrets: got %+v, want nil", c)
	}

	form := r.Body(h, []byte("user=me&password=hunter2&x=%3D"), true)
	if string(form.Copy) != "user=me&password=%5BREDACTED%5D&x=%3D" || !slices.Equal(form.Fields, []string{"form password"}) {
		t.Errorf("form: got %q %q", form.Copy, form.Fields)
	}
	xml := r.Body(&store.Head{Headers: []store.Header{{Name: "Content-Type", Value: "text/xml"}}}, []byte("<a><Password>x</Password></a>"), true)
	if xml.Copy != nil || !strings.Contains(xml.Withhold, `mentions "password"`) {
		t.Errorf("xml: got %+v, want withheld whole", xml)
	}
	partial := r.Body(&store.Head{}, []byte(`{"secret": "abc", "more`), false)
	if partial.Withhold == "" {
		t.Errorf("truncated JSON with a secret: got %+v, want withheld whole", partial)
	}
	gzipped := r.Body(&store.Head{Headers: []store.Header{{Name: "Content-Encoding", Value: "gzip"}}}, gz(t, `{"token":"t"}`), true)
	if string(gzipped.Copy) != `{"token":"[REDACTED]"}` || gzipped.Decoded != "gzip" {
		t.Errorf("gzip JSON: got %q decoded %q", gzipped.Copy, gzipped.Decoded)
	}
	plain := r.Body(&store.Head{}, []byte(`{"ok":true}`), true)
	if plain.Copy != nil || plain.Withhold != "" {
		t.Errorf("JSON without secrets: got %+v, want shipped as is", plain)
	}
}

// secrets are values that must not appear anywhere in a redacted bundle.
var secrets = []string{"Bearer-SECRET-1", "SECRET-COOKIE-2", "SECRET-JSON-3", "SECRET-NESTED-4", "SECRET-FORM-5",
	"SECRET-SETCOOKIE-6", "SECRET-GZIP-7", "SECRET-QUERY-8", "HIDDEN-XML-9"}

// newSecrets makes a store whose captures hold secrets in every place
// redaction covers, plus one capture without any.
func newSecrets(t testing.TB) (*store.Store, testKey) {
	t.Helper()
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newSeededKey(t, "telltale/secrets", 1)
	req := appendRecord(t, st, request("trust.citrixworkspacesapi.net", "POST", "https://trust.citrixworkspacesapi.net/root/tokens/clients?access_token=SECRET-QUERY-8",
		"Authorization", "CWSAuth Bearer-SECRET-1", "Cookie", "sid=SECRET-COOKIE-2", "Content-Type", "application/json"),
		[]byte(`{"clientId":"id","clientSecret":"SECRET-JSON-3","opts":{"access_token":"SECRET-NESTED-4"}}`))
	signTreeV2(t, st, k) // as an older Telltale did: capture seqs stay 1-6
	appendRecord(t, st, response(req, 200, "Content-Type", "application/json", "Content-Encoding", "gzip",
		"Set-Cookie", "sid=SECRET-SETCOOKIE-6; Path=/; HttpOnly"), gz(t, `{"token":"SECRET-GZIP-7","expires":3600}`))
	req = appendRecord(t, st, request("las.cloud.com", "POST", "https://las.cloud.com/login",
		"Content-Type", "application/x-www-form-urlencoded"), []byte("user=admin&password=SECRET-FORM-5"))
	appendRecord(t, st, response(req, 200, "Content-Type", "text/xml"), []byte("<r><password>HIDDEN-XML-9</password></r>"))
	exchange(t, st, 1)
	signTree(t, st, k)
	return st, k
}

func TestExport_RedactedSubsetVerifiesAndLeaksNothing(t *testing.T) {
	st, k := newSecrets(t)
	b := export(t, st, k, Selection{IDs: []string{"1", "3"}, Redact: true})
	rep := verifyBundle(t, b, k.vkey)
	if !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	var got []string
	for _, w := range rep.Withheld {
		got = append(got, w.Capture+" "+w.Part+" "+w.Reason+" "+strings.Join(w.Fields, ","))
	}
	want := []string{
		"1 request head redacted query access_token,header Authorization,header Cookie",
		"1 request body redacted $.clientSecret,$.opts.access_token",
		"1 response head redacted header Set-Cookie",
		"1 response body redacted $.token",
		"3 request body redacted form:password",
		"3 response body redacted /r/password[1]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("withheld:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(want, "\n       "))
	}
	if !bytes.Equal(mustJSON(rep.Withheld), mustJSON(rep.Manifest.Withheld)) {
		t.Error("the manifest's withheld list differs from the records'")
	}
	names, files := unzip(t, b)
	for _, s := range secrets {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("secret %q in the raw zip", s)
		}
		for _, n := range names {
			if bytes.Contains(files[n], []byte(s)) {
				t.Errorf("secret %q in %s", s, n)
			}
		}
	}
	copies := 0
	for _, n := range names {
		if strings.HasPrefix(n, DirRedacted) && string(files[n]) == `{"clientId":"id","clientSecret":"[REDACTED]","opts":{"access_token":"[REDACTED]"}}` {
			copies++
		}
	}
	if copies != 1 || !bytes.Contains(files[FileHAR], []byte(`"Authorization","value":"[REDACTED]"`)) {
		t.Errorf("the redacted copies lost what was not secret: %d JSON copies", copies)
	}
}
