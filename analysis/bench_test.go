package analysis

import (
	"archive/zip"
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/telltale/telltale/inspect"
)

// bigCompliance is a compliance upload of about size bytes of JSON: many
// features, each with its devices; bump changes some figures.
func bigCompliance(tb testing.TB, size, bump int) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var fs []map[string]any
	n := 0
	for i := 0; n < size; i++ {
		devs := make([]string, 200)
		for j := range devs {
			devs[j] = fmt.Sprintf("DESKTOP-%07X", rng.Uint32()&0xfffffff)
		}
		f := map[string]any{"Id": fmt.Sprintf("FEAT_%04d_CCU", i), "CountUsedMax": 100 + i%7, "UsersReleased": i % 5,
			"DevicesReleased": i % 3, "UserReportUTC": "2026-05-04T01:00:00Z", "CCUDevices": devs}
		if bump > 0 && i%10 == 0 {
			f["CountUsedMax"] = 100 + i%7 + bump
		}
		fs = append(fs, f)
		n += 200*18 + 200
	}
	return mustJSON(tb, map[string]any{"UTCDate": fmt.Sprintf("2026-05-0%dT02:00:00Z", 4+bump), "Data": map[string]any{"Features": fs}})
}

// BenchmarkCompare_5MiBJSON reads two 5 MiB JSON uploads from the store,
// decodes both and diffs them, as `telltale diff` does.
func BenchmarkCompare_5MiBJSON(b *testing.B) {
	st, _ := mustStore(b)
	a := mustNew(b, st, complianceRules)
	x := bigCompliance(b, 5<<20, 0)
	y := bigCompliance(b, 5<<20, 1)
	from := mustExchange(b, st, "POST", complianceURL, msg{ctype: "application/json", body: x}, 202, msg{})
	to := mustExchange(b, st, "POST", complianceURL, msg{ctype: "application/json", body: y}, 202, msg{})
	b.SetBytes(int64(len(x) + len(y)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := a.Compare(from, to, CompareOptions{})
		if err != nil || c.Counted == 0 {
			b.Fatalf("got %v, %+v", err, c)
		}
	}
}

// bigZip is a usage-bundle-like zip of about size bytes: inner zips of
// CSV files with user and device names, plus a manifest.
func bigZip(tb testing.TB, size int) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; buf.Len() < size; i++ {
		var inner bytes.Buffer
		iz := zip.NewWriter(&inner)
		w, _ := iz.Create(fmt.Sprintf("ue_lt_%d.csv", 1683864965+i))
		var csv strings.Builder
		csv.WriteString("EventTimeMs,Event,Feature,User,Device\r\n")
		for range 20000 {
			fmt.Fprintf(&csv, "%d,CHECKOUT,XDS_ADV_CCS,user%06d@corp.example.com,DESKTOP-%07X\r\n",
				1683864965000+rng.Int64N(86400000), rng.IntN(1e6), rng.Uint32()&0xfffffff)
		}
		w.Write([]byte(csv.String()))
		iz.Close()
		fw, _ := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("ue_lt_%d.zip", 1683864965+i), Method: zip.Store})
		fw.Write(inner.Bytes())
	}
	w, _ := zw.Create("manifest.json")
	w.Write([]byte(`{"Version":"1.0","TotalFiles":1}`))
	zw.Close()
	return buf.Bytes()
}

// BenchmarkDecode_50MiBZip decodes a 50 MiB usage-like bundle (178
// inner zips, 254 MiB of CSV) and walks it for fields and personal data,
// with serve's default bound (inspect.max_decoded_bytes, 64 MiB) and with
// inspect's (256 MiB). live-MiB is the heap the decoded tree holds
// (measured after a GC, the input excluded): decoding stops at the bound
// and memory follows it, whatever the bundle holds.
func BenchmarkDecode_50MiBZip(b *testing.B) {
	z := bigZip(b, 50<<20)
	for _, limit := range []int64{64 << 20, 256 << 20} {
		b.Run(fmt.Sprintf("max_decoded=%dMiB", limit>>20), func(b *testing.B) {
			b.SetBytes(int64(len(z)))
			b.ReportAllocs()
			var live uint64
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				p := inspect.Decode(z, inspect.Meta{ContentType: "application/zip"}, inspect.Options{MaxTotal: limit})
				if len(Personal(inspect.Fields(p))) == 0 {
					b.Fatal("no personal data found in the usage CSVs")
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				live = max(live, after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc))
				runtime.KeepAlive(p)
			}
			b.ReportMetric(float64(live)/(1<<20), "live-MiB")
		})
	}
}
