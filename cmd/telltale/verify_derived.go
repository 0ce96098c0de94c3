package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/report"
	"github.com/telltale/telltale/server"
	"github.com/telltale/telltale/store"
)

// A bundle's figures.csv is what Telltale's analysis made of its
// captures. The bundle carries the rules it was analysed with
// (profile.json), so verify makes the figures again from the captures
// VerifyBundle proved, with those rules, and fails on any difference:
// a figure edited and the bundle re-signed shows.

// rederived says what remaking a verified bundle's derived files found:
// a line for the report, or an error for a file that differs.
func rederived(ctx context.Context, path string) (string, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "", err
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	if files[evidence.FileFigures] == nil {
		return "", nil
	}
	if files[evidence.FileProfile] == nil {
		return "not remade: the bundle carries no profile.json (an older Telltale); figures.csv is signed, not re-derived; position not recomputed: bundle predates it", nil
	}
	var m evidence.Manifest
	var profile configs.Inspect
	if err := readJSON(files[evidence.FileManifest], &m); err != nil {
		return "", err
	}
	if err := readJSON(files[evidence.FileProfile], &profile); err != nil {
		return "", fmt.Errorf("%s: %w", evidence.FileProfile, err)
	}
	if m.Selection.Pseudonymise || slices.ContainsFunc(m.Withheld, func(w evidence.Withheld) bool { return strings.Contains(w.Part, "body") }) {
		return "not remade: the bundle withholds bodies the figures were made from (redacted or pseudonymised); figures.csv and report.html's numbers " +
			"(figures, personal data, position, reconciliation) are signed, not re-derived (in a bundle exported with --no-redact they are)", nil
	}
	r, err := remake(ctx, files, profile)
	if err != nil {
		return "", fmt.Errorf("remake %s: %w", evidence.FileFigures, err)
	}
	var got bytes.Buffer
	if err := r.WriteFiguresCSV(&got); err != nil {
		return "", err
	}
	want, err := readAll(files[evidence.FileFigures])
	if err != nil {
		return "", err
	}
	if !bytes.Equal(got.Bytes(), want) {
		return "", fmt.Errorf("%s: says something other than the proven captures, analysed with the bundle's profile.json, make (remade, it differs): the file was changed after the analysis", evidence.FileFigures)
	}
	if files[evidence.FileReport] == nil {
		return "figures.csv remade from the proven captures with the bundle's profile.json: the same", nil
	}
	judged, err := rejudge(r, files)
	if err != nil {
		return "", err
	}
	derived, err := r.Derived()
	if err != nil {
		return "", err
	}
	if err := sameDerived(files[evidence.FileReport], derived, m.Captures, judged); err != nil {
		return "", err
	}
	if judged {
		if err := sameManifestReconciliation(m, r); err != nil {
			return "", err
		}
	}
	if !judged {
		return "figures.csv and report.html's numbers (figures, personal data) remade from the proven captures with the bundle's profile.json: the same; " +
			"position not recomputed: bundle predates it (no licenses.json)", nil
	}
	what := "position"
	if r.Reconciliation != nil {
		what = "position, reconciliation with measured.csv, as manifest.json has it too"
	}
	return "figures.csv and report.html's numbers (figures, personal data, " + what + ") remade from the proven captures with the bundle's profile.json and licenses.json: the same", nil
}

// rejudge works r's position and reconciliation out again with the
// bundle's licenses.json and measured.csv; false when the bundle carries
// no licenses.json (an older Telltale).
func rejudge(r *report.Report, files map[string]*zip.File) (bool, error) {
	if files[evidence.FileLicenses] == nil {
		return false, nil
	}
	var basis report.Basis
	if err := readJSON(files[evidence.FileLicenses], &basis); err != nil {
		return false, fmt.Errorf("%s: %w", evidence.FileLicenses, err)
	}
	if basis.Format != report.BasisFormat {
		return false, fmt.Errorf("%s: format %q, want %q", evidence.FileLicenses, basis.Format, report.BasisFormat)
	}
	var measured []byte
	if basis.Measured != nil {
		f := files[basis.Measured.File]
		if basis.Measured.File != evidence.FileMeasured || f == nil {
			return false, fmt.Errorf("%s: the measurement %q is not the bundle's %s", evidence.FileLicenses, basis.Measured.File, evidence.FileMeasured)
		}
		var err error
		if measured, err = readAll(f); err != nil {
			return false, err
		}
	}
	o, err := basis.Options(measured)
	if err != nil {
		return false, fmt.Errorf("%s: %w", evidence.FileLicenses, err)
	}
	r.Judge(o)
	return true, nil
}

// sameManifestReconciliation compares what manifest.json says the
// reconciliation found with the one worked out again: its tolerance,
// counts, mismatches and unmatched names.
func sameManifestReconciliation(m evidence.Manifest, r *report.Report) error {
	type found struct {
		Tolerance  string              `json:"tolerance"`
		Compared   int                 `json:"compared"`
		Agreed     int                 `json:"agreed"`
		Counts     map[string]int      `json:"counts"`
		Mismatches []analysis.Mismatch `json:"mismatches"`
		Unmatched  []string            `json:"unmatched"`
	}
	switch {
	case len(m.Reconciliation) == 0 && r.Reconciliation == nil:
		return nil
	case len(m.Reconciliation) == 0 || r.Reconciliation == nil:
		return fmt.Errorf("%s: its reconciliation and %s's measurement do not go together (one without the other)", evidence.FileManifest, evidence.FileLicenses)
	}
	var shown found
	if err := json.Unmarshal(m.Reconciliation, &shown); err != nil {
		return fmt.Errorf("%s: reconciliation: %w", evidence.FileManifest, err)
	}
	rec := r.Reconciliation
	remade := found{rec.Tolerance, rec.Compared, rec.Agreed, rec.Counts, rec.Mismatches, rec.Unmatched}
	if remade.Mismatches == nil { // the manifest writes none as []
		remade.Mismatches = []analysis.Mismatch{}
	}
	if remade.Unmatched == nil {
		remade.Unmatched = []string{}
	}
	if !reflect.DeepEqual(canonical(shown), canonical(remade)) {
		return fmt.Errorf("%s: its reconciliation is not the one the proven captures' figures and measured.csv, read as %s says, make: it was changed after the export",
			evidence.FileManifest, evidence.FileLicenses)
	}
	return nil
}

// sameDerived compares report.html's derived block with the one remade:
// the figures and the personal-data numbers, and when judged the
// position and reconciliation; the captures, with the manifest's count.
// Not judged (no licenses.json), the block must hold no position.
func sameDerived(f *zip.File, remade report.Derived, captures int, judged bool) error {
	page, err := readAll(f)
	if err != nil {
		return err
	}
	raw, err := report.ParseDerived(page)
	if err != nil || raw == nil {
		return fmt.Errorf("%s: no derived block (<pre hidden id=\"telltale-derived\">) to check its numbers by (%v)", evidence.FileReport, err)
	}
	var shown report.Derived
	if err := json.Unmarshal(raw, &shown); err != nil {
		return fmt.Errorf("%s: derived block: %w", evidence.FileReport, err)
	}
	remade.Captures = captures
	if !judged {
		if shown.Position != nil || shown.Reconciliation != nil {
			return fmt.Errorf("%s: its derived block holds a position, but the bundle carries no %s to work it out from", evidence.FileReport, evidence.FileLicenses)
		}
		remade.Position, remade.Reconciliation = nil, nil
	}
	a, b := canonical(shown), canonical(remade)
	if !reflect.DeepEqual(a, b) {
		return fmt.Errorf("%s: its numbers (derived block) are not the ones the proven captures, analysed with the bundle's profile.json, make: the page was changed after the analysis", evidence.FileReport)
	}
	return nil
}

// canonical is v as JSON decodes it into any, for comparing.
func canonical(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

// remake analyses the bundle's exchanges in a store of their own and
// makes their report as the export did, naming the captures by the
// bundle's ids; the position and reconciliation are rejudge's.
func remake(ctx context.Context, files map[string]*zip.File, profile configs.Inspect) (*report.Report, error) {
	var none *report.Report
	dir, err := os.MkdirTemp("", "telltale-rederive-")
	if err != nil {
		return none, err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return none, err
	}
	defer st.Close()
	ids, err := replay(ctx, st, files)
	if err != nil {
		return none, err
	}
	a, err := analysis.New(st, server.AnalysisOptions(profile, zerolog.Nop()))
	if err != nil {
		return none, err
	}
	defer a.Close()
	if err := a.Flush(ctx); err != nil {
		return none, err
	}
	caps, err := st.List(store.Query{})
	if err != nil {
		return none, err
	}
	r, err := report.Build(a, caps, report.Options{Templates: analysis.Templates(profile.Templates)})
	if err != nil {
		return none, err
	}
	for i := range r.Points {
		r.Points[i].ID = ids[r.Points[i].ID]
	}
	report.SortPoints(r.Points)
	return r, nil
}

// replay appends each exchange of captures.jsonl to st, as its capture
// view and body files show it, and maps st's ids to the bundle's.
func replay(ctx context.Context, st *store.Store, files map[string]*zip.File) (map[string]string, error) {
	ids := map[string]string{}
	f := files[evidence.FileCaptures]
	if f == nil {
		return nil, fmt.Errorf("no %s", evidence.FileCaptures)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	dec := json.NewDecoder(rc)
	for dec.More() {
		var line evidence.Line
		if err := dec.Decode(&line); err != nil {
			return nil, err
		}
		c := line.Capture
		if c.Kind != store.CaptureExchange || c.Request == nil {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, c.Time)
		if err != nil {
			return nil, err
		}
		req := &store.Record{Kind: store.KindRequest, Time: at, Client: c.Client, Host: c.Host,
			Head: &store.Head{Method: c.Request.Method, URL: c.Request.URL, Proto: c.Request.Proto, Headers: c.Request.Headers}}
		seq, err := appendWith(ctx, st, req, files, c.Request)
		if err != nil {
			return nil, fmt.Errorf("capture %s: %w", c.ID, err)
		}
		ids[fmt.Sprint(seq)] = c.ID
		if c.Response == nil {
			continue
		}
		resp := &store.Record{Kind: store.KindResponse, Capture: seq, Time: at,
			Head: &store.Head{Status: c.Response.Status, Proto: c.Response.Proto, Headers: c.Response.Headers}}
		if _, err := appendWith(ctx, st, resp, files, c.Response); err != nil {
			return nil, fmt.Errorf("capture %s: %w", c.ID, err)
		}
	}
	return ids, nil
}

// appendWith appends r with the body file of m, if it has one.
func appendWith(ctx context.Context, st *store.Store, r *store.Record, files map[string]*zip.File, m *store.Message) (uint64, error) {
	key := m.BodySHA256
	if m.Truncated {
		key = m.StoredSHA256
	}
	f := files[evidence.DirBodies+key]
	if key == "" || f == nil {
		return st.Append(ctx, r, nil)
	}
	data, err := readAll(f)
	if err != nil {
		return 0, err
	}
	body := st.NewBody(int64(len(data)) + 1)
	defer body.Close()
	if _, err := body.Write(data); err != nil {
		return 0, err
	}
	return st.Append(ctx, r, body)
}

func readAll(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func readJSON(f *zip.File, v any) error {
	if f == nil {
		return fmt.Errorf("missing")
	}
	b, err := readAll(f)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
