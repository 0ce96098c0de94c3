package evidence

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/telltale/telltale/store"
)

// tokenRequest appends a token request whose secrets are an Authorization
// header, a query access_token and a clientSecret in its JSON body.
func tokenRequest(t testing.TB, st *store.Store) uint64 {
	t.Helper()
	req := appendRecord(t, st, request("trust.citrixworkspacesapi.net", "POST",
		"https://trust.citrixworkspacesapi.net/root/tokens/clients?client=lic&access_token=7731",
		"Content-Type", "application/json", "Authorization", "CWSAuth bearer=4821", "X-Cws-Trace", "trace-9", "Accept", "*/*",
		"Content-Length", "61"),
		[]byte(`{"clientId":"lic-server","clientSecret":"4821","scope":"las"}`))
	appendRecord(t, st, response(req, 200, "Content-Type", "application/json", "X-Request-Id", "rid-1"), []byte(`{"ok":true}`))
	return req
}

func firstLine(t testing.TB, files map[string][]byte) Line {
	t.Helper()
	var line Line
	first, _, _ := bytes.Cut(files[FileCaptures], []byte("\n"))
	if err := json.Unmarshal(first, &line); err != nil {
		t.Fatal(err)
	}
	return line
}

// A redacted head proves its method, URL, status, proto and every header
// but the secret ones, whose values, salts and lengths are not in the
// bundle.
func TestExport_V2Head_RedactedProvesEveryOtherField(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/v2")
	tokenRequest(t, st)
	signTree(t, st, k)
	b := export(t, st, k, Selection{Redact: true})
	if rep := verifyBundle(t, b, k.vkey); !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	names, files := unzip(t, b)
	line := firstLine(t, files)
	req := line.Records[0]
	if req.Head != nil || req.HeadRedacted != nil || !strings.HasPrefix(req.Leaf, store.LeafVersion2+"\n") {
		t.Fatalf("request entry: want a v2 leaf with head fields, got %+v", req)
	}
	proven := map[string]string{}
	var withheld []string
	for _, f := range req.HeadFields {
		if f.Value == nil {
			withheld = append(withheld, f.Kind+" "+f.Name)
			continue
		}
		proven[f.Kind+" "+f.Name] = *f.Value
	}
	want := map[string]string{"method ": "POST", "url ": "https://trust.citrixworkspacesapi.net/root/tokens/clients",
		"query client": "client=lic", "proto ": "HTTP/1.1", "header Content-Type": "application/json",
		"header X-Cws-Trace": "trace-9", "header Accept": "*/*"}
	if !maps.Equal(proven, want) || strings.Join(withheld, ",") != "query access_token,header Authorization,header Content-Length" {
		t.Errorf("proven fields: got %v, withheld %v; want %v and the token and Authorization withheld", proven, withheld, want)
	}

	// Every shipped field is bound by the leaf: change one, re-sign the
	// bundle, and the head no longer matches.
	for _, edit := range [][2]string{{`"name":"X-Cws-Trace","value":"trace-9","salt"`, `"name":"X-Cws-Trace","value":"trace-8","salt"`},
		{`"kind":"method","value":"POST"`, `"kind":"method","value":"GET"`},
		{`"kind":"header","name":"Accept"`, `"kind":"header","name":"Accept-X"`}} {
		changed := maps.Clone(files)
		changed[FileCaptures] = bytes.Replace(changed[FileCaptures], []byte(edit[0]), []byte(edit[1]), 1)
		rep := verifyBundle(t, resign(t, k, names, changed), k.vkey)
		if !hasPrefix(findingStrings(rep.Failures), "captures.jsonl line 1, capture 1, record 1: head: its fields commit to ") {
			t.Errorf("edit %s: got %v, want the head not to match its leaf", edit[0], findingStrings(rep.Failures))
		}
	}
	// Nor can a withheld field be dropped or an extra one listed.
	changed := maps.Clone(files)
	var l Line
	json.Unmarshal(bytes.SplitN(changed[FileCaptures], []byte("\n"), 2)[0], &l)
	l.Records[0].HeadFields = l.Records[0].HeadFields[:len(l.Records[0].HeadFields)-1]
	lb, _ := json.Marshal(l)
	changed[FileCaptures] = append(lb, bytes.SplitN(changed[FileCaptures], []byte("\n"), 2)[1]...)
	if rep := verifyBundle(t, resign(t, k, names, changed), k.vkey); rep.OK() {
		t.Error("a head with a dropped field verifies")
	}
	// Nor can a withheld field's commitment be swapped for another.
	var req0 Line
	json.Unmarshal(bytes.SplitN(files[FileCaptures], []byte("\n"), 2)[0], &req0)
	for _, f := range req0.Records[0].HeadFields {
		if f.Commitment != "" {
			changed := maps.Clone(files)
			other := sha256.Sum256([]byte(f.Commitment))
			changed[FileCaptures] = bytes.Replace(changed[FileCaptures], []byte(f.Commitment), []byte(hex.EncodeToString(other[:])), 1)
			rep := verifyBundle(t, resign(t, k, names, changed), k.vkey)
			if !hasPrefix(findingStrings(rep.Failures), "captures.jsonl line 1, capture 1, record 1: head: its fields commit to ") {
				t.Errorf("a swapped commitment: got %v", findingStrings(rep.Failures))
			}
		}
	}
	checkNoSecret(t, b, names, files, "bearer=4821", `"4821"`, "=7731")
	// The v1 attack: guess the secret, hash the head as logged, compare.
	rec, _ := st.Record(1)
	var all strings.Builder
	for _, data := range files {
		all.Write(data)
	}
	for n := range 10000 {
		h := *rec.Head
		h.Headers = slices.Clone(h.Headers)
		h.Headers[1].Value = "CWSAuth bearer=" + fmt4(n)
		for _, guess := range [][]byte{must(json.Marshal(&h)), []byte(h.Headers[1].Value)} {
			sum := sha256.Sum256(guess)
			if strings.Contains(all.String(), hex.EncodeToString(sum[:])) {
				t.Fatalf("guess %s matches a hash in the bundle", fmt4(n))
			}
		}
	}
	if strings.Contains(all.String(), "CWSAuth") {
		t.Errorf("the bundle gives the Authorization value's scheme, and so part of its length")
	}
}

func hasPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

// checkNoSecret fails if a secret, or anything that would let one be
// guessed offline, is in the bundle: its bytes in any file, an unsalted
// SHA-256 of it, or a salt of a withheld field. (A secret is given with
// its context, "=7731", since its digits alone turn up in any hex.)
func checkNoSecret(t *testing.T, b []byte, names []string, files map[string][]byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		for _, needle := range []string{s, hex.EncodeToString(sum[:])} {
			if bytes.Contains(b, []byte(needle)) {
				t.Errorf("%q in the raw zip", needle)
			}
			for _, n := range names {
				if bytes.Contains(files[n], []byte(needle)) {
					t.Errorf("%q (secret %s) in %s", needle, s, n)
				}
			}
		}
	}
	for _, line := range bytes.Split(bytes.TrimSpace(files[FileCaptures]), []byte("\n")) {
		var l Line
		json.Unmarshal(line, &l)
		for _, e := range l.Records {
			for _, f := range e.HeadFields {
				if f.Value == nil && f.Salt != "" {
					t.Errorf("withheld field %s %s ships its salt", f.Kind, f.Name)
				}
			}
			if e.Seal != nil && e.BodyRedacted != "" && (e.Seal.Salt != "" || e.Seal.SHA256 != "") {
				t.Errorf("record %d: a redacted sealed body ships its salt or hash", e.Seq)
			}
		}
	}
}

// Bundles made before v2 leaves (testdata/v1, made by commit e893a09)
// still verify, redacted or not.
func TestVerifyBundle_V1BundlesStillVerify(t *testing.T) {
	key, err := os.ReadFile("testdata/v1/v1.pub")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"v1bundle.zip", "v1bundle-redacted.zip"} {
		b, err := os.ReadFile(filepath.Join("testdata/v1", name))
		if err != nil {
			t.Fatal(err)
		}
		rep := verifyBundle(t, b, strings.TrimSpace(string(key)))
		if !rep.OK() || rep.Records != 3 || !rep.Complete {
			t.Errorf("%s: ok %v, %d records, complete %v: %v", name, rep.OK(), rep.Records, rep.Complete, findingStrings(rep.Failures))
		}
	}
}

// A store made before v2 leaves, opened and appended to by this code,
// verifies, and so does a bundle of its mix of v1 and v2 leaves.
func TestExport_V1StoreMigratedMixVerifies(t *testing.T) {
	dir := copyDir(t, "../store/testdata/v1store")
	st := mustOpen(t, dir, storeOptions())
	k := newSeededKey(t, "telltale/v1fixture", 1)
	if k.vkey != strings.TrimSpace(string(must(os.ReadFile("testdata/v1/v1.pub")))) {
		t.Fatalf("the seeded key is not the fixture's: %s", k.vkey)
	}
	tokenRequest(t, st)
	signTree(t, st, k)
	rep, err := Verify(st, VerifyOptions{Verifier: k.verifier(t)})
	if err != nil || !rep.OK() || rep.Size < 5 {
		t.Fatalf("Verify of the migrated store: %v, %+v", err, rep)
	}
	for _, redact := range []bool{false, true} {
		b := export(t, st, k, Selection{Redact: redact})
		brep := verifyBundle(t, b, k.vkey)
		if !brep.OK() || uint64(brep.Records)+1 != rep.Size || !brep.Complete { // and the index record
			t.Errorf("bundle (redact %v): ok %v, %d records: %v", redact, brep.OK(), brep.Records, findingStrings(brep.Failures))
		}
		_, files := unzip(t, b)
		leaves := string(files[FileCaptures])
		if !strings.Contains(leaves, `telltale-leaf/v1\n`) || !strings.Contains(leaves, `telltale-leaf/v2\n`) {
			t.Errorf("bundle (redact %v): want both v1 and v2 leaves", redact)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A sealed token request body: the redacted bundle ships the body with
// the secret replaced and proves it through the seal; tampering with a
// non-secret field fails; nothing in the bundle lets a guess of the
// 4-digit secret be tested (a brute force over all of them finds no hash
// and no size that matches).
func TestExport_SealedBody_ProvesEveryOtherFieldAndResistsGuessing(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/v2")
	tokenRequest(t, st)
	signTree(t, st, k)
	rec, _ := st.Record(1)
	if rec.Seal == nil || len(rec.Seal.Secrets) != 1 || rec.Seal.Secrets[0].Path != "$.clientSecret" {
		t.Fatalf("seal of the token request: got %+v, want one secret at $.clientSecret", rec.Seal)
	}
	b := export(t, st, k, Selection{Redact: true})
	if rep := verifyBundle(t, b, k.vkey); !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	names, files := unzip(t, b)
	copyName := DirRedacted + rec.Seal.Copy
	if got := string(files[copyName]); got != `{"clientId":"lic-server","clientSecret":"[REDACTED]","scope":"las"}` {
		t.Errorf("redacted copy: got %s", got)
	}
	changed := maps.Clone(files)
	changed[copyName] = bytes.Replace(changed[copyName], []byte(`"scope":"las"`), []byte(`"scope":"all"`), 1)
	rep := verifyBundle(t, resign(t, k, names, changed), k.vkey)
	if !hasPrefix(findingStrings(rep.Failures), "captures.jsonl line 1, capture 1, record 1: body: the manifest lists "+copyName) {
		t.Errorf("a changed non-secret body field: got %v, want the copy not to match the seal", findingStrings(rep.Failures))
	}
	checkNoSecret(t, b, names, files, `"clientSecret":"4821"`, "bearer=4821")
	bruteForce(t, files, `{"clientId":"lic-server","clientSecret":"%s","scope":"las"}`)
}

// bruteForce tries every 4-digit secret in a body template against every
// hash and size in the bundle, as an attacker with the redacted copy would.
func bruteForce(t *testing.T, files map[string][]byte, template string) {
	t.Helper()
	var all strings.Builder
	for _, data := range files {
		all.Write(data)
	}
	text := all.String()
	size := len(strings.Replace(template, "%s", "0000", 1))
	for _, needle := range []string{`"request_bytes":` + itoa(size), `"size":` + itoa(size), " " + itoa(size) + "\\n",
		`"value":"` + itoa(size) + `"`} {
		if strings.Contains(text, needle) {
			t.Errorf("the bundle gives the wire body's size: %s", needle)
		}
	}
	for n := range 10000 {
		guess := strings.Replace(template, "%s", fmt4(n), 1)
		sum := sha256.Sum256([]byte(guess))
		if strings.Contains(text, hex.EncodeToString(sum[:])) {
			t.Fatalf("guess %s matches a hash in the bundle", fmt4(n))
		}
	}
}

func fmt4(n int) string {
	return string([]byte{byte('0' + n/1000), byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)})
}

// Secrets inside a zip upload, JSON held in a JSON string and base64 of
// gzip JSON are found at capture, sealed, and absent from the bundle,
// which still verifies.
func TestExport_SealedBody_SecretsInsideLayers(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/layers")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("config/settings.json")
	w.Write([]byte(`{"server":"lic1","password":"ZIP-SECRET-11"}`))
	w, _ = zw.Create("readme.txt")
	w.Write([]byte("plain notes"))
	zw.Close()
	inner := gz(t, `{"user":"u","api_key":"B64-SECRET-33"}`)
	var tb bytes.Buffer
	gw := gzip.NewWriter(&tb)
	tw := tar.NewWriter(gw)
	entry := []byte(`{"lsguid":"g-1","clientSecret":"TAR-SECRET-44"}`)
	tw.WriteHeader(&tar.Header{Name: "request/activation.json", Mode: 0o600, Size: int64(len(entry))})
	tw.Write(entry)
	tw.Close()
	gw.Close()
	var mb bytes.Buffer
	mw := multipart.NewWriter(&mb)
	mw.WriteField("user", "admin")
	mw.WriteField("password", "MP-SECRET-55")
	fw, _ := mw.CreateFormFile("data", "data.json")
	fw.Write([]byte(`{"access_token":"MP-SECRET-66","n":1}`))
	mw.Close()
	bodies := []struct {
		ct   string
		body []byte
		path string
	}{
		{"application/zip", zb.Bytes(), "config/settings.json:$.password"},
		{"application/json", []byte(`{"kind":"upload","payload":"{\"clientId\":\"c\",\"clientSecret\":\"EMB-SECRET-22\"}"}`), "$.payload:$.clientSecret"},
		{"application/json", []byte(`{"blob":"` + base64.StdEncoding.EncodeToString(inner) + `"}`), "$.blob:$.api_key"},
		{"application/gzip", tb.Bytes(), "request/activation.json:$.clientSecret"},
		{mw.FormDataContentType(), mb.Bytes(), "data.json:$.access_token"},
	}
	for _, b := range bodies {
		req := appendRecord(t, st, request("las.cloud.com", "POST", "https://las.cloud.com/upload", "Content-Type", b.ct), b.body)
		appendRecord(t, st, response(req, 200), nil)
	}
	signTree(t, st, k)
	bundle := export(t, st, k, Selection{Redact: true})
	rep := verifyBundle(t, bundle, k.vkey)
	if !rep.OK() {
		t.Fatalf("failures: %v", findingStrings(rep.Failures))
	}
	var withheld []string
	for _, w := range rep.Withheld {
		withheld = append(withheld, strings.Join(w.Fields, ","))
	}
	for _, b := range bodies {
		if !strings.Contains(strings.Join(withheld, " "), b.path) {
			t.Errorf("withheld %q: want %s among them", withheld, b.path)
		}
	}
	names, files := unzip(t, bundle)
	checkNoSecret(t, bundle, names, files, "ZIP-SECRET-11", "EMB-SECRET-22", "B64-SECRET-33",
		base64.StdEncoding.EncodeToString(inner), "TAR-SECRET-44", "MP-SECRET-55", "MP-SECRET-66")
	// What is not secret is still there.
	for _, keep := range []string{`"lic1"`, "plain notes", `{"path":"$.payload:$.clientId","type":"string","value":"c"}`, `"upload"`,
		`"g-1"`, `"admin"`} {
		found := false
		for _, n := range names {
			found = found || strings.HasPrefix(n, DirRedacted) && bytes.Contains(files[n], []byte(keep))
		}
		if !found {
			t.Errorf("%s: not in any redacted copy", keep)
		}
	}
}

// Verify of a store checks a sealed record's redacted copy and its salts:
// a changed copy, a changed head salt and a changed body salt each fail.
func TestVerify_SealedRecordTamper(t *testing.T) {
	for _, tc := range []struct {
		name, bucket, marker, want string
	}{
		{"copy", "bodies", `"clientSecret":"`, "redacted copy of the request body: stored bytes hash to"},
		{"head salt", "records", `"salts":{"head":"`, "does not match"},
		{"body salt", "records", `"body":"`, "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &small{dir: t.TempDir(), key: newTestKey(t, "telltale/test"), seqs: map[string]uint64{}}
			st, err := store.Open(s.dir, storeOptions())
			if err != nil {
				t.Fatal(err)
			}
			tokenRequest(t, st)
			signTree(t, st, s.key)
			rec, _ := st.Record(1)
			if rep, err := Verify(st, VerifyOptions{Verifier: s.key.verifier(t)}); err != nil || !rep.OK() {
				t.Fatalf("before the edit: %v %v", err, rep)
			}
			st.Close()
			k := key(1)
			if tc.bucket == "bodies" {
				k = []byte(rec.Seal.Copy)
			}
			s.edit(t, func(tx *bolt.Tx) error {
				v := tx.Bucket([]byte(tc.bucket)).Get(k)
				i := bytes.LastIndex(v, []byte(tc.marker))
				if i < 0 {
					t.Fatalf("no %q in %s", tc.marker, v)
				}
				v = bytes.Clone(v)
				if v[i+len(tc.marker)] == 'A' { // a base64 digit stays one
					v[i+len(tc.marker)] = 'B'
				} else {
					v[i+len(tc.marker)] = 'A'
				}
				return tx.Bucket([]byte(tc.bucket)).Put(k, v)
			})
			rep := s.verify(t)
			if !hasSubstring(findingStrings(rep.Failures), tc.want) {
				t.Errorf("failures %v: want one with %q", findingStrings(rep.Failures), tc.want)
			}
		})
	}
}

func hasSubstring(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// A body that decoding cannot go through whole (here: more parts than
// its limit) may hide a secret where it stopped: a redacted bundle
// withholds it whole.
func TestExport_UndecodableBodyWithheldWhole(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/limits")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for i := range sealDecode.MaxParts + 10 {
		w, _ := zw.Create(fmt.Sprintf("f%d.txt", i))
		w.Write([]byte("x"))
	}
	zw.Close()
	req := appendRecord(t, st, request("las.cloud.com", "POST", "https://las.cloud.com/upload", "Content-Type", "application/zip"), zb.Bytes())
	appendRecord(t, st, response(req, 200), nil)
	signTree(t, st, k)
	rep := verifyBundle(t, export(t, st, k, Selection{Redact: true}), k.vkey)
	if !rep.OK() || len(rep.Withheld) != 1 || !strings.HasPrefix(rep.Withheld[0].Reason, "not redactable") {
		t.Errorf("redacted: ok %v, withheld %+v, want the body withheld whole", rep.OK(), rep.Withheld)
	}
}
