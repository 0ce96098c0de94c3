package admin

import (
	"archive/zip"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/telltale/telltale/evidence"
)

// exportTTL is how long a bundle waits to be downloaded.
const exportTTL = 30 * time.Minute

// exports are bundles written by POST /api/exports, kept in temp files
// (0600) until downloaded or exportTTL passes, so that the page can show
// what a bundle holds before the browser fetches it with a plain GET.
type exports struct {
	dir string
	now func() time.Time

	mu    sync.Mutex
	files map[string]*exportFile
	// running are the exports being written, for the page's progress.
	running map[*exportRun]bool
	// held are the files of expired bundles that could not be deleted:
	// Windows refuses while a download still reads one. Each sweep tries
	// again.
	held []string
}

type exportFile struct {
	path    string
	name    string
	created time.Time
}

func newExports(dir string, now func() time.Time) *exports {
	if now == nil {
		now = time.Now
	}
	return &exports{dir: dir, now: now, files: map[string]*exportFile{}, running: map[*exportRun]bool{}}
}

// exportRun is an export being written: its bytes so far, counted as
// they go to the file, and when it began.
type exportRun struct {
	w       io.Writer
	started time.Time
	n       atomic.Int64
}

func (r *exportRun) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	r.n.Add(int64(n))
	return n, err
}

// exportProgress is GET /api/exports/running: each export being written,
// the newest first, with its bytes so far and their rate (a bundle's size
// is known only once it is written).
type exportProgress struct {
	Bytes          int64   `json:"bytes"`
	Seconds        float64 `json:"seconds"`
	BytesPerSecond float64 `json:"bytes_per_second"`
}

func (h *Handler) runningExports(w http.ResponseWriter, _ *http.Request) {
	e := h.exports
	out := []exportProgress{}
	e.mu.Lock()
	for r := range e.running {
		s := max(e.now().Sub(r.started).Seconds(), 1e-3)
		n := r.n.Load()
		out = append(out, exportProgress{Bytes: n, Seconds: s, BytesPerSecond: float64(n) / s})
	}
	e.mu.Unlock()
	slices.SortFunc(out, func(a, b exportProgress) int { return cmp.Compare(a.Seconds, b.Seconds) }) // the newest first
	writeJSON(w, map[string]any{"running": out})
}

// sweep forgets expired bundles and deletes their files, those it could
// not delete before included; e.mu is held.
func (e *exports) sweep() {
	for id, f := range e.files {
		if e.now().Sub(f.created) > exportTTL {
			e.held = append(e.held, f.path)
			delete(e.files, id)
		}
	}
	e.removeHeld()
}

// removeHeld deletes the files in e.held and keeps those that resist.
func (e *exports) removeHeld() {
	e.held = slices.DeleteFunc(e.held, func(path string) bool {
		err := os.Remove(path)
		return err == nil || errors.Is(err, fs.ErrNotExist)
	})
}

// close deletes every bundle's file. One still open (Windows) stays in the
// temp dir, which the store empties when it next opens.
func (e *exports) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, f := range e.files {
		e.held = append(e.held, f.path)
		delete(e.files, id)
	}
	e.removeHeld()
}

// exportRequest is the body of POST /api/exports: what `telltale export`
// takes as flags.
type exportRequest struct {
	Host string `json:"host"`
	// Endpoint is "METHOD HOST/PATH" (evidence.ParseEndpoint).
	Endpoint string   `json:"endpoint"`
	Since    string   `json:"since"`
	Until    string   `json:"until"`
	IDs      []string `json:"ids"`
	// Redact withholds secrets; absent means true, as in `telltale export`.
	Redact *bool `json:"redact"`
	// Pseudonymise withholds the identifiers of people and devices, with
	// a stable pseudonym shown instead (export --pseudonymise).
	Pseudonymise bool `json:"pseudonymise"`
}

// exportView says what a written bundle holds.
type exportView struct {
	ID         string                  `json:"id"`
	Name       string                  `json:"name"`
	Size       int64                   `json:"size"`
	SHA256     string                  `json:"sha256"`
	Captures   int                     `json:"captures"`
	Records    int                     `json:"records"`
	Skipped    int                     `json:"skipped"`
	Withheld   []evidence.Withheld     `json:"withheld"`
	Checkpoint evidence.CheckpointInfo `json:"checkpoint"`
	// Pseudonyms is how many identifiers a pseudonymised bundle shows
	// as pseudonyms.
	Pseudonyms int    `json:"pseudonyms,omitempty"`
	Download   string `json:"download"`
	// Report opens the bundle's printable report.html in the browser;
	// "" when the bundle holds none.
	Report string `json:"report,omitempty"`
}

// newExport is POST /api/exports.
func (h *Handler) newExport(w http.ResponseWriter, r *http.Request) {
	if h.opts.Evidence == nil {
		writeError(w, http.StatusNotImplemented, "this server cannot export: no log key")
		return
	}
	var in exportRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "want a JSON object {host, endpoint, since, until, ids, redact}")
		return
	}
	for _, t := range []struct{ key, v string }{{"since", in.Since}, {"until", in.Until}} {
		if _, err := time.Parse(time.RFC3339Nano, t.v); t.v != "" && err != nil {
			writeError(w, http.StatusBadRequest, t.key+": want RFC 3339 time")
			return
		}
	}
	if len(in.IDs) > 0 && (in.Host != "" || in.Since != "" || in.Until != "") {
		writeError(w, http.StatusBadRequest, "ids select captures by id: use them without host, since and until")
		return
	}
	if in.Endpoint != "" {
		if _, err := evidence.ParseEndpoint(in.Endpoint); err != nil || in.Host != "" || len(in.IDs) > 0 {
			writeError(w, http.StatusBadRequest, `endpoint: want "METHOD HOST/PATH", without host or ids`)
			return
		}
	}
	sel := evidence.Selection{Host: in.Host, Endpoint: in.Endpoint, Since: in.Since, Until: in.Until, IDs: in.IDs, Redact: in.Redact == nil || *in.Redact,
		Pseudonymise: in.Pseudonymise}
	v, err := h.exports.write(r, h.opts.Evidence, sel)
	switch {
	case errors.Is(err, evidence.ErrEmptyLog):
		writeError(w, http.StatusConflict, "nothing to export yet: the log is empty")
		return
	case err != nil:
		h.fail(w, err)
		return
	}
	writeJSON(w, v)
}

func (e *exports) write(r *http.Request, ev Evidence, sel evidence.Selection) (*exportView, error) {
	f, err := os.CreateTemp(e.dir, "telltale-export-*.zip")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	sum := sha256.New()
	cw := &exportRun{w: io.MultiWriter(f, sum), started: e.now()}
	e.mu.Lock()
	e.running[cw] = true
	e.mu.Unlock()
	m, skipped, err := ev.Export(r.Context(), cw, sel)
	e.mu.Lock()
	delete(e.running, cw)
	e.mu.Unlock()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	now := e.now()
	id := secret()
	name := "telltale-evidence-" + now.UTC().Format("20060102-150405") + ".zip"
	e.mu.Lock()
	e.sweep()
	e.files[id] = &exportFile{path: f.Name(), name: name, created: now}
	e.mu.Unlock()
	v := &exportView{ID: id, Name: name, Size: cw.n.Load(), SHA256: hex.EncodeToString(sum.Sum(nil)), Skipped: skipped,
		Captures: m.Captures, Records: m.Records, Withheld: m.Withheld, Checkpoint: m.Checkpoint, Pseudonyms: len(m.Pseudonyms),
		Download: "/api/exports/" + id}
	if v.Withheld == nil {
		v.Withheld = []evidence.Withheld{}
	}
	if rc, err := openReport(f.Name()); err == nil {
		rc.Close()
		v.Report = v.Download + "/report"
	}
	return v, nil
}

// reportFile is the printable report inside a bundle.
const reportFile = "report.html"

// openReport opens the report.html of the bundle at path.
func openReport(path string) (io.ReadCloser, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, err
	}
	for _, f := range zr.File {
		if f.Name == reportFile {
			rc, err := f.Open()
			if err != nil {
				zr.Close()
				return nil, err
			}
			return struct {
				io.Reader
				io.Closer
			}{rc, zr}, nil
		}
	}
	zr.Close()
	return nil, fmt.Errorf("%s: %w", reportFile, os.ErrNotExist)
}

// report is GET /api/exports/{id}/report: the bundle's printable report,
// as a page. It has no script; the policy allows none, nor anything from
// outside it.
func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	f := h.exports.lookup(w, r)
	if f == nil {
		return
	}
	rc, err := openReport(f.path)
	if err != nil {
		writeError(w, http.StatusNotFound, "this bundle holds no report.html")
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	io.Copy(w, io.LimitReader(rc, 64<<20))
}

// lookup finds the bundle the request names, or answers 404.
func (e *exports) lookup(w http.ResponseWriter, r *http.Request) *exportFile {
	e.mu.Lock()
	e.sweep()
	f := e.files[r.PathValue("id")]
	e.mu.Unlock()
	if f == nil {
		writeError(w, http.StatusNotFound, "no such bundle, or it expired: export again")
	}
	return f
}

// download is GET /api/exports/{id}.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	f := h.exports.lookup(w, r)
	if f == nil {
		return
	}
	file, err := os.Open(f.path)
	if err != nil {
		h.fail(w, err)
		return
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.Header().Set("Content-Disposition", `attachment; filename="`+f.name+`"`)
	io.Copy(w, file)
}
