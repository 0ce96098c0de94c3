package inspect

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// findNote returns the first part in p's tree whose note contains s.
func findNote(p *Part, s string) *Part {
	if strings.Contains(p.Note, s) {
		return p
	}
	for _, c := range p.Children {
		if found := findNote(c, s); found != nil {
			return found
		}
	}
	return nil
}

func zeros(n int) []byte { return make([]byte, n) }

func TestDecode_GzipBomb_StoppedByRatio(t *testing.T) {
	body := gz(t, zeros(32<<20))
	var p *Part
	mem := allocated(func() { p = Decode(body, Meta{ContentEncoding: "gzip"}, Options{}) })
	checkTree(t, body, p, Options{})
	if !strings.Contains(p.Note, "MaxRatio") {
		t.Fatalf("got note %q, want it to name MaxRatio", p.Note)
	}
	limit := int64(len(body)) * DefaultMaxRatio
	if got := p.Children[0].Size; got != limit {
		t.Errorf("kept %d bytes, want %d", got, limit)
	}
	if mem > uint64(8*limit) {
		t.Errorf("allocated %d bytes for a %d-byte limit", mem, limit)
	}
}

func TestDecode_NestedGzipBomb_StoppedByTotal(t *testing.T) {
	body := gz(t, gz(t, zeros(16<<20)))
	opts := Options{MaxTotal: 1 << 20, MaxRatio: 1 << 20}
	p := Decode(body, Meta{}, opts)
	checkTree(t, body, p, opts)
	if findNote(p, "MaxTotal") == nil {
		t.Fatalf("no part notes MaxTotal:\n%s", mustJSON(t, viewOf(p)))
	}
}

// zipBomb is a zip of n entries that all hold the same deflated run of
// size zero bytes; nested wraps it in stored zips, level times.
func zipBomb(t *testing.T, n, size int) []byte {
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	fw.Write(zeros(size))
	fw.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := range n {
		h := &zip.FileHeader{Name: fmt.Sprintf("zeros%03d.bin", i), Method: zip.Deflate,
			CRC32: crc32.ChecksumIEEE(zeros(size)), CompressedSize64: uint64(comp.Len()),
			UncompressedSize64: uint64(size), Modified: fixedTime}
		raw, err := w.CreateRaw(h)
		if err != nil {
			t.Fatal(err)
		}
		raw.Write(comp.Bytes())
	}
	w.Close()
	return buf.Bytes()
}

func TestDecode_ZipBomb_EachEntryBounded(t *testing.T) {
	body := zipBomb(t, 20, 8<<20)
	var p *Part
	mem := allocated(func() { p = Decode(body, Meta{}, Options{}) })
	checkTree(t, body, p, Options{})
	if p.Type != TypeZip || len(p.Children) != 20 {
		t.Fatalf("got %s with %d children, want zip with 20", p.Type, len(p.Children))
	}
	var total int64
	for _, e := range p.Children {
		if !strings.Contains(e.Note, "MaxRatio") {
			t.Fatalf("%s: got note %q, want MaxRatio", e.Name, e.Note)
		}
		total += e.Children[0].Size
	}
	if total >= 20*8<<20 || mem > uint64(8*total) {
		t.Errorf("decoded %d bytes, allocated %d: not bounded", total, mem)
	}
}

func TestDecode_NestedZipBomb_StoppedByTotalAndParts(t *testing.T) {
	inner := zipBomb(t, 10, 4<<20)
	for range 2 {
		var files []file
		for i := range 10 {
			files = append(files, file{name: fmt.Sprintf("nested%d.zip", i), data: inner, stored: true})
		}
		inner = zipOf(t, files...)
	}
	opts := Options{MaxTotal: 8 << 20, MaxParts: 500}
	p := Decode(inner, Meta{}, opts)
	checkTree(t, inner, p, opts)
	if findNote(p, "MaxTotal") == nil || findNote(p, "MaxParts") == nil {
		t.Fatalf("want notes naming MaxTotal and MaxParts:\n%s", mustJSON(t, viewOf(p)))
	}
}

func TestDecode_DeepJSON_BecomesText(t *testing.T) {
	body := []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))
	for _, meta := range []Meta{{ContentType: "application/json"}, {}} {
		p := Decode(body, meta, Options{})
		checkTree(t, body, p, Options{})
		if p.Type != TypeText || !strings.Contains(p.Note, "MaxNesting") {
			t.Errorf("%+v: got %s with note %q, want text noting MaxNesting", meta, p.Type, p.Note)
		}
		if got := Diff(p, p, DiffOptions{}); len(got) != 0 {
			t.Errorf("Diff(x, x) = %v", got)
		}
	}
}

func TestDecode_DeepXML_BecomesText(t *testing.T) {
	body := []byte(strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000))
	p := Decode(body, Meta{ContentType: "application/xml"}, Options{})
	if p.Type != TypeText || !strings.Contains(p.Note, "MaxNesting") {
		t.Errorf("got %s with note %q, want text noting MaxNesting", p.Type, p.Note)
	}
}

func TestDecode_DeepLayers_StoppedByDepth(t *testing.T) {
	body := []byte(`{"a":1}`)
	for range 30 {
		body = gz(t, body)
	}
	p := Decode(body, Meta{}, Options{})
	checkTree(t, body, p, Options{})
	if deep := findNote(p, "MaxDepth"); deep == nil || deep.Type != TypeBytes {
		t.Fatalf("no bytes part notes MaxDepth")
	}
}

func TestDecode_ManyFormFields_StoppedByParts(t *testing.T) {
	body := []byte(strings.Repeat("a=1&", 5000))
	opts := Options{MaxParts: 100}
	p := Decode(body, Meta{ContentType: "application/x-www-form-urlencoded"}, opts)
	checkTree(t, body, p, opts)
	if len(p.Children) != 99 || !strings.Contains(p.Note, "MaxParts") {
		t.Errorf("got %d children and note %q, want 99 and MaxParts", len(p.Children), p.Note)
	}
}
