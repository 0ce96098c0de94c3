package inspect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files and generated inputs in testdata")

// mustGolden compares got with testdata/name, or writes it there under
// -update.
func mustGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		mustWrite(tb, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read golden: %v (run go test ./inspect -update)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from golden (run go test ./inspect -update if intended):\n%s",
			path, UnifiedText(string(want), string(got), 3))
	}
}

func mustWrite(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return append(b, '\n')
}

// treeView is a Part rendered for golden files.
type treeView struct {
	Type        string     `json:"type"`
	Name        string     `json:"name,omitempty"`
	Filename    string     `json:"filename,omitempty"`
	ContentType string     `json:"contentType,omitempty"`
	Offset      int64      `json:"offset"`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	Value       any        `json:"value,omitempty"`
	Note        string     `json:"note,omitempty"`
	Error       string     `json:"error,omitempty"`
	Children    []treeView `json:"children,omitempty"`
}

func viewOf(p *Part) treeView {
	sum := sha256.Sum256(p.Raw)
	v := treeView{
		Type: p.Type, Name: p.Name, Filename: p.Filename, ContentType: p.ContentType,
		Offset: p.Offset, Size: p.Size, SHA256: hex.EncodeToString(sum[:8]),
		Value: p.Value, Note: p.Note, Error: p.Error,
	}
	for _, c := range p.Children {
		v.Children = append(v.Children, viewOf(c))
	}
	return v
}

// checkTree checks what every decoded tree must hold: the root is the
// body, sizes match, in-place children are where their Offset says, the
// limits held, and JSON values survive a marshal round trip.
func checkTree(tb testing.TB, body []byte, root *Part, opts Options) {
	tb.Helper()
	o := opts.withDefaults()
	if !bytes.Equal(root.Raw, body) {
		tb.Fatalf("root Raw is not the body")
	}
	var parts, produced int64
	var walk func(p *Part, depth int)
	walk = func(p *Part, depth int) {
		parts++
		if depth > o.MaxDepth+1 {
			tb.Fatalf("part %q at depth %d, want at most %d", p.Name, depth, o.MaxDepth+1)
		}
		if p.Size != int64(len(p.Raw)) {
			tb.Fatalf("part %q: Size %d, len(Raw) %d", p.Name, p.Size, len(p.Raw))
		}
		checkValue(tb, p)
		for _, c := range p.Children {
			checkChild(tb, p, c)
			if isLayer(p.Type) {
				produced += c.Size
			}
			walk(c, depth+1)
		}
	}
	walk(root, 0)
	if parts > int64(o.MaxParts) {
		tb.Fatalf("tree has %d parts, want at most %d", parts, o.MaxParts)
	}
	if produced > o.MaxTotal {
		tb.Fatalf("layers produced %d bytes, want at most %d", produced, o.MaxTotal)
	}
}

func checkChild(tb testing.TB, parent, c *Part) {
	tb.Helper()
	switch {
	case isLayer(parent.Type):
		if c.Offset != 0 {
			tb.Fatalf("child of layer %s has Offset %d, want 0", parent.Type, c.Offset)
		}
	case c.Offset >= 0:
		end := c.Offset + c.Size
		if end > int64(len(parent.Raw)) || !bytes.Equal(parent.Raw[c.Offset:end], c.Raw) {
			tb.Fatalf("child %q: Raw is not parent.Raw[%d:%d]", c.Name, c.Offset, end)
		}
	}
}

func checkValue(tb testing.TB, p *Part) {
	tb.Helper()
	if p.Type != TypeJSON {
		return
	}
	b, err := json.Marshal(p.Value)
	if err != nil {
		tb.Fatalf("marshal JSON value: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var again any
	if err := dec.Decode(&again); err != nil {
		tb.Fatalf("decode marshalled JSON value: %v", err)
	}
	if !reflect.DeepEqual(again, p.Value) {
		tb.Fatalf("JSON value does not survive a round trip:\n%s", b)
	}
}
