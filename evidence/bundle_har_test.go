package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	mrand "math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAppendJSONText: the streaming escaper writes what json.Marshal
// writes, for every byte and for random text.
func TestAppendJSONText(t *testing.T) {
	var inputs [][]byte
	for b := range 256 {
		inputs = append(inputs, []byte{byte(b)})
	}
	inputs = append(inputs, []byte("<a&b>\"\\\u2028\u2029é日本😀\x7f"), []byte{0xe6, 0x97}, []byte{0xff, 'a'})
	r := mrand.New(mrand.NewPCG(1, 2))
	alphabet := []rune("ab<>&\"\\\n\r\t\b\f\x00\x01\x1f\x7f é日😀\u2028\u2029\ufffd")
	for range 2000 {
		var sb strings.Builder
		for range r.IntN(40) {
			sb.WriteRune(alphabet[r.IntN(len(alphabet))])
		}
		inputs = append(inputs, []byte(sb.String()))
	}
	for _, in := range inputs {
		want, _ := json.Marshal(string(in))
		if got := appendJSONText(nil, in); string(got) != string(want[1:len(want)-1]) {
			t.Fatalf("%q: got %s, json.Marshal %s", in, got, want)
		}
	}
}

// TestVerifyBundle_LargeBodiesStreamIntoHAR: bodies of megabytes, as text
// (runes cut by every read) and as binary, remake capture.har exactly,
// without verification holding them in memory.
func TestVerifyBundle_LargeBodiesStreamIntoHAR(t *testing.T) {
	st := mustOpen(t, t.TempDir(), storeOptions())
	k := newTestKey(t, "telltale/large")
	text := bytes.Repeat([]byte("<a&b>\"\\\t\n\u2028é日本😀\x01 "), 4<<20/34)
	if !utf8.Valid(text) {
		t.Fatal("fixture: text is not UTF-8")
	}
	binary := make([]byte, 2<<20)
	mrand.NewChaCha8([32]byte{3}).Read(binary) // holds NULs and invalid UTF-8
	req := appendRecord(t, st, request("las.cloud.com", "POST", "https://las.cloud.com/upload", "Content-Type", "text/plain"), text)
	appendRecord(t, st, response(req, 200, "Content-Type", "application/octet-stream"), binary)
	signTree(t, st, k)
	b := export(t, st, k, Selection{})

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := VerifyBundle(context.Background(), bytes.NewReader(b), int64(len(b)), BundleOptions{Keys: []string{k.vkey}})
	runtime.ReadMemStats(&after)
	if err != nil || !rep.OK() || rep.Bodies != 2 {
		t.Fatalf("err %v, %d bodies: %v", err, rep.Bodies, findingStrings(rep.Failures))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(text)) {
		t.Errorf("verification allocated %d bytes for a %d-byte body: it was read whole", alloc, len(text))
	}
	// A changed byte deep in the text still shows in the remade HAR.
	names, files := unzip(t, b)
	files[FileHAR] = bytes.Replace(files[FileHAR], []byte("\\u2028é日本"), []byte("\\u2029é日本"), 1)
	rep = verifyBundle(t, resign(t, k, names, files), k.vkey)
	wantFindings(t, rep.Failures, "capture.har: says something other than the proven records (remade from captures.jsonl, it differs)")
}
