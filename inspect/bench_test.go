package inspect

import "testing"

// compliance50K returns a gzipped compliance upload of about 50 KiB of
// JSON, and its size uncompressed.
func compliance50K(tb testing.TB, bump int) ([]byte, int) {
	n := 1
	for len(mustJSON(tb, complianceDoc(n, bump))) < 50<<10 {
		n++
	}
	doc := mustJSON(tb, complianceDoc(n, bump))
	return gz(tb, doc), len(doc)
}

var complianceMeta = Meta{ContentType: "application/json", ContentEncoding: "gzip"}

func BenchmarkDecode_Compliance50K(b *testing.B) {
	body, size := compliance50K(b, 0)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		Decode(body, complianceMeta, Options{})
	}
}

func BenchmarkDiff_Compliance50K(b *testing.B) {
	a, _ := compliance50K(b, 0)
	c, _ := compliance50K(b, 1)
	pa, pc := Decode(a, complianceMeta, Options{}), Decode(c, complianceMeta, Options{})
	opts := DiffOptions{Volatile: []string{"$.UTCDate"}}
	b.ReportAllocs()
	for b.Loop() {
		Diff(pa, pc, opts)
	}
}
