package admin

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/evidence"
)

// signedLog is a log key and an Evidence over it that writes a fake bundle.
type signedLog struct {
	signer note.Signer
	vkey   string
	sel    evidence.Selection
	fail   error
	zip    []byte // what Export writes; nil: a stand-in that is no zip
}

func newSignedLog(t *testing.T) *signedLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "telltale/test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &signedLog{signer: signer, vkey: vkey}
}

func (l *signedLog) Key() string { return l.vkey }

func (l *signedLog) Export(_ context.Context, w io.Writer, sel evidence.Selection) (*evidence.Manifest, int, error) {
	l.sel = sel
	if l.fail != nil {
		return nil, 0, l.fail
	}
	if l.zip != nil {
		w.Write(l.zip)
	} else {
		io.WriteString(w, "PK-not-really-a-zip")
	}
	return &evidence.Manifest{Captures: 2, Records: 4, Checkpoint: evidence.CheckpointInfo{TreeSize: 4}}, 1, nil
}

func (l *signedLog) Verify(context.Context) (*evidence.Report, error) {
	return &evidence.Report{Records: 4, Checkpoints: 1}, nil
}

func TestInclusion_ProvenPendingAndUnsigned(t *testing.T) {
	st := openTestStore(t)
	log := newSignedLog(t)
	srv, _ := newReviewAPI(t, Options{Store: st, Evidence: log})
	first := appendExchange(t, st, exchange{host: "las.cloud.com", path: "/a", status: 200, at: day(0), body: []byte("{}")})
	type answer struct {
		Checkpoint *struct {
			TreeSize  uint64 `json:"tree_size"`
			Signature string
		}
		Leaves []leafStatus
	}
	var a answer
	call(t, "GET", srv.URL+"/api/captures/1/inclusion", nil, &a)
	if a.Checkpoint != nil || len(a.Leaves) != 2 || a.Leaves[0].Status != "unsigned" {
		t.Errorf("before any checkpoint: got %+v", a)
	}
	if _, _, err := evidence.SignTree(st, log.signer, time.Now()); err != nil {
		t.Fatal(err)
	}
	second := appendExchange(t, st, exchange{host: "las.cloud.com", path: "/b", status: 200, at: day(1), body: []byte("{}")})
	call(t, "GET", srv.URL+"/api/captures/1/inclusion", nil, &a)
	if a.Checkpoint == nil || a.Checkpoint.TreeSize != 3 || a.Checkpoint.Signature != "ok" { // the exchange and its index record
		t.Fatalf("checkpoint: got %+v", a.Checkpoint)
	}
	for _, l := range a.Leaves {
		if l.Status != "included" || l.LeafHash == "" {
			t.Errorf("capture %d leaf %d: got %+v, want included", first, l.Index, l)
		}
	}
	call(t, "GET", srv.URL+"/api/captures/4/inclusion", nil, &a)
	if a.Leaves[0].Status != "pending" || second != 4 {
		t.Errorf("after the checkpoint: got %+v, want pending", a.Leaves)
	}
	// A checkpoint signed by another key does not prove anything.
	other := newSignedLog(t)
	srv2, _ := newReviewAPI(t, Options{Store: st, Evidence: other})
	call(t, "GET", srv2.URL+"/api/captures/1/inclusion", nil, &a)
	if a.Leaves[0].Status != "failed" || !strings.Contains(a.Checkpoint.Signature, "not signed by") {
		t.Errorf("wrong key: got %+v %+v, want failed", a.Checkpoint, a.Leaves)
	}
}

func TestExport_WritesDownloadsAndCleansUp(t *testing.T) {
	st := openTestStore(t)
	log := newSignedLog(t)
	tmp := t.TempDir()
	srv, h := newReviewAPI(t, Options{Store: st, Evidence: log, TempDir: tmp})
	var v exportView
	r := call(t, "POST", srv.URL+"/api/exports", map[string]any{"host": "las.cloud.com", "redact": true}, &v)
	if r.StatusCode != 200 || v.Captures != 2 || v.Skipped != 1 || v.Size != 19 || !strings.HasPrefix(v.Download, "/api/exports/") {
		t.Fatalf("export: got %d %+v", r.StatusCode, v)
	}
	if log.sel.Host != "las.cloud.com" || !log.sel.Redact {
		t.Errorf("selection: got %+v", log.sel)
	}
	r = call(t, "GET", srv.URL+v.Download, nil, nil)
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != 200 || string(body) != "PK-not-really-a-zip" || !strings.Contains(r.Header.Get("Content-Disposition"), v.Name) {
		t.Errorf("download: got %d %q %q", r.StatusCode, body, r.Header.Get("Content-Disposition"))
	}
	if r := call(t, "GET", srv.URL+"/api/exports/nope", nil, nil); r.StatusCode != 404 {
		t.Errorf("unknown bundle: got %d, want 404", r.StatusCode)
	}
	for _, bad := range []map[string]any{{"since": "yesterday"}, {"ids": []string{"1"}, "host": "x"}} {
		if r := call(t, "POST", srv.URL+"/api/exports", bad, nil); r.StatusCode != 400 {
			t.Errorf("export %v: got %d, want 400", bad, r.StatusCode)
		}
	}
	log.fail = evidence.ErrEmptyLog
	if r := call(t, "POST", srv.URL+"/api/exports", map[string]any{}, nil); r.StatusCode != 409 {
		t.Errorf("empty log: got %d, want 409", r.StatusCode)
	}
	log.fail = errors.New("disk on fire")
	if r := call(t, "POST", srv.URL+"/api/exports", map[string]any{}, nil); r.StatusCode != 500 {
		t.Errorf("failing export: got %d, want 500", r.StatusCode)
	}
	h.Close()
	if files, _ := filepath.Glob(filepath.Join(tmp, "*")); len(files) != 0 {
		t.Errorf("after Close: %v left in the temp dir", files)
	}
}

func TestVerify_RunsInTheBackground(t *testing.T) {
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Evidence: newSignedLog(t)})
	if r := call(t, "POST", srv.URL+"/api/verify", nil, nil); r.StatusCode != 202 {
		t.Fatalf("verify: got %d, want 202", r.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ev struct{ Verify verifyView }
		call(t, "GET", srv.URL+"/api/evidence", nil, &ev)
		if ev.Verify.State == "done" {
			if !ev.Verify.OK || ev.Verify.Records != 4 {
				t.Errorf("verify: got %+v", ev.Verify)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify still %q", ev.Verify.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReconcile_MarksMismatches(t *testing.T) {
	fake := &uiAnalyst{points: []analysis.Point{
		{ID: "1", Time: "2026-04-01T12:00:00Z", Endpoint: "POST h /x", Name: "A.CountUsedMax", Value: 10.0},
		{ID: "3", Time: "2026-04-02T12:00:00Z", Endpoint: "POST h /x", Name: "A.CountUsedMax", Value: 14.0},
		{ID: "5", Time: "2026-04-02T12:00:00Z", Endpoint: "POST h /y", Name: "A.CountUsedMax", Value: 99.0},
	}}
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Analysis: fake})
	var out struct {
		analysis.Reconciliation
		Measurements []analysis.Measurement
	}
	csv := "date,name,value\n2026-04-01,A.CountUsedMax,10\n2026-04-02,A.CountUsedMax,12\n"
	r := call(t, "POST", srv.URL+"/api/reconcile", map[string]string{"csv": csv, "tolerance": "1", "endpoint": "POST h /x"}, &out)
	if r.StatusCode != 200 || out.Compared != 2 || out.Agreed != 1 || len(out.Mismatches) != 1 || out.Mismatches[0].ID != "3" || len(out.Measurements) != 2 {
		t.Errorf("reconcile: got %d %+v", r.StatusCode, out)
	}
	if r := call(t, "POST", srv.URL+"/api/reconcile", map[string]string{"csv": "2026-04-01,A\n"}, nil); r.StatusCode != 400 {
		t.Errorf("bad CSV: got %d, want 400", r.StatusCode)
	}
	srv2, _ := newReviewAPI(t, Options{Store: openTestStore(t)})
	if r := call(t, "POST", srv2.URL+"/api/reconcile", map[string]string{"csv": csv}, nil); r.StatusCode != 503 {
		t.Errorf("without analysis: got %d, want 503", r.StatusCode)
	}
}

// warningLog is a signedLog whose verify finds captures without a
// recorded response.
type warningLog struct{ *signedLog }

func (warningLog) Verify(context.Context) (*evidence.Report, error) {
	return &evidence.Report{Records: 4, Warnings: []evidence.Finding{{Capture: 3, Seq: 3, Msg: "no response record"}}}, nil
}

func TestVerify_ShowsCapturesWithoutResponse(t *testing.T) {
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Evidence: warningLog{newSignedLog(t)}})
	if r := call(t, "POST", srv.URL+"/api/verify", nil, nil); r.StatusCode != 202 {
		t.Fatalf("verify: got %d, want 202", r.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ev struct{ Verify verifyView }
		call(t, "GET", srv.URL+"/api/evidence", nil, &ev)
		if ev.Verify.State == "done" {
			if !ev.Verify.OK || ev.Verify.WarningsTotal != 1 || len(ev.Verify.Warnings) != 1 ||
				ev.Verify.Warnings[0] != "capture 3, record 3: no response record" {
				t.Errorf("verify: got %+v, want OK and the warning about capture 3", ev.Verify)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify still %q", ev.Verify.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestExport_ReportOpensFromTheBundle(t *testing.T) {
	st := openTestStore(t)
	log := newSignedLog(t)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{"manifest.json": "{}", "report.html": "<!doctype html><h1>What was sent</h1>"} {
		f, _ := zw.Create(name)
		io.WriteString(f, body)
	}
	zw.Close()
	log.zip = b.Bytes()
	srv, _ := newReviewAPI(t, Options{Store: st, Evidence: log, TempDir: t.TempDir()})
	var v exportView
	if r := call(t, "POST", srv.URL+"/api/exports", map[string]any{}, &v); r.StatusCode != 200 || v.Report != v.Download+"/report" {
		t.Fatalf("export: got %d, report %q, want %q", r.StatusCode, v.Report, v.Download+"/report")
	}
	r := call(t, "GET", srv.URL+v.Report, nil, nil)
	body, _ := io.ReadAll(r.Body)
	csp := r.Header.Get("Content-Security-Policy")
	if r.StatusCode != 200 || !strings.Contains(string(body), "What was sent") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("report: got %d %q, type %q, policy %q", r.StatusCode, body, r.Header.Get("Content-Type"), csp)
	}
	log.zip = nil // a bundle without a report offers none
	v = exportView{}
	if r := call(t, "POST", srv.URL+"/api/exports", map[string]any{}, &v); r.StatusCode != 200 || v.Report != "" {
		t.Errorf("export without a report: got %d, report %q, want none", r.StatusCode, v.Report)
	}
	if r := call(t, "GET", srv.URL+v.Download+"/report", nil, nil); r.StatusCode != 404 {
		t.Errorf("report of a bundle without one: got %d, want 404", r.StatusCode)
	}
}
