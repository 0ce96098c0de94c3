package inspect

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
)

// fuzzOptions keep each fuzz input cheap.
var fuzzOptions = Options{MaxTotal: 1 << 20, MaxParts: 64, MaxDepth: 8}

// FuzzDecode checks that Decode never panics, keeps to its limits, keeps
// every part's bytes where it says (the round trip from tree to wire), and
// that a tree never differs from itself.
func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add(loadCase(f, c), c.meta.ContentType, c.meta.ContentEncoding, c.meta.Name)
	}
	f.Add([]byte("[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]"), "application/json", "", "")
	f.Add([]byte("PK\x03\x04"), "", "", "a.zip")
	f.Fuzz(func(t *testing.T, body []byte, ct, ce, name string) {
		p := Decode(body, Meta{ContentType: ct, ContentEncoding: ce, Name: name}, fuzzOptions)
		checkTree(t, body, p, fuzzOptions)
		Shape(p)
		Figures(p)
		_ = p.Text()
		_ = p.Hex(64)
		if d := Diff(p, p, DiffOptions{}); len(d) != 0 {
			t.Fatalf("Diff(x, x) = %v", d)
		}
	})
}

// FuzzDiff checks that Diff(x, x) is empty, that its output is sorted, and
// that trees with the same fields do not differ.
func FuzzDiff(f *testing.F) {
	for _, c := range diffCases {
		a, ma := c.a(f)
		b, mb := c.b(f)
		f.Add(a, ma.ContentType, b, mb.ContentType)
	}
	for i, c := range decodeCases {
		next := decodeCases[(i+1)%len(decodeCases)]
		f.Add(loadCase(f, c), c.meta.ContentType, loadCase(f, next), next.meta.ContentType)
	}
	f.Fuzz(func(t *testing.T, a []byte, cta string, b []byte, ctb string) {
		pa := Decode(a, Meta{ContentType: cta}, fuzzOptions)
		pb := Decode(b, Meta{ContentType: ctb}, fuzzOptions)
		if d := Diff(pa, pa, DiffOptions{}); len(d) != 0 {
			t.Fatalf("Diff(a, a) = %v", d)
		}
		cs := Diff(pa, pb, DiffOptions{Volatile: []string{"**"}})
		if !slices.IsSortedFunc(cs, func(x, y Change) int { return comparePaths(x.Path, y.Path) }) {
			t.Fatalf("changes not sorted by path: %v", cs)
		}
		for _, c := range cs {
			if !c.Volatile {
				t.Fatalf("%s: not marked by the pattern **", c.Path)
			}
		}
		if len(cs) > 0 && sameFields(Fields(pa), Fields(pb)) {
			t.Fatalf("same fields, yet Diff = %v", cs)
		}
	})
}

// sameFields compares two field lists as sets of path, type and value.
func sameFields(a, b []Field) bool {
	key := func(f Field) string { return fmt.Sprintf("%s\x00%s\x00%v", f.Path, f.Type, f.Value) }
	ka, kb := make([]string, len(a)), make([]string, len(b))
	for i, f := range a {
		ka[i] = key(f)
	}
	for i, f := range b {
		kb[i] = key(f)
	}
	slices.SortFunc(ka, cmp.Compare)
	slices.SortFunc(kb, cmp.Compare)
	return slices.Equal(ka, kb)
}
