package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// Reader is the part of the store the API serves. *store.Store implements it.
type Reader interface {
	List(q store.Query) ([]store.Capture, error)
	Capture(id string) (*store.Capture, error)
	OpenBody(sha256hex string) (io.ReadCloser, int64, error)
}

var _ Reader = (*store.Store)(nil)

// Options configure the admin API.
type Options struct {
	Store  Reader // required
	Token  string // required: the admin token
	Logger zerolog.Logger
	// Snapshot and Checkpoint serve the evidence routes (snapshot.go);
	// nil answers 404.
	Snapshot   io.WriterTo
	Checkpoint func(context.Context) ([]byte, error)

	// Evidence runs the review UI's verify and export (review.go); nil
	// turns them off, and the page says so.
	Evidence Evidence
	// Analysis serves the analysis routes (analysis.go); nil answers 503.
	Analysis Analyst
	// Templates are the configured endpoint path templates
	// (inspect.templates), so that the list names endpoints as Analysis does.
	Templates analysis.Templates
	// Names are the endpoints' names ("Compliance upload"), from the
	// inspect rules; the zero value names none.
	Names analysis.Names
	// Catalog names license feature codes (nil: the built-in catalog);
	// Entitlements are the contract's (the config's licenses.entitlements),
	// for the position. EntitlementsPath is the file that keeps the ones
	// entered in the UI (DATA/entitlements.json, entitlements.go); ""
	// lets the UI show entitlements but not enter them.
	Catalog          *analysis.Catalog
	Entitlements     []analysis.Entitlement
	EntitlementsPath string
	// SecretHeaders and SecretFields are masked on screen until revealed
	// (evidence.redact_headers and redact_fields); the UI reads them from
	// GET /api/profile.
	SecretHeaders, SecretFields []string
	// TempDir holds export bundles until they are downloaded; "" means
	// os.TempDir().
	TempDir string
	// Now is the clock of sessions and exports; nil means time.Now.
	Now func() time.Time
	// Archive, when set, reports the object-store archive's lag for the
	// evidence page (archive.go); nil: no archive is configured.
	Archive func() ArchiveView
}

// Handler is the admin API and the review UI.
type Handler struct {
	opts Options
	mux  *routes
	ents *entitlements
	*review
}

// NewHandler builds the API's routes.
func NewHandler(opts Options) *Handler {
	h := &Handler{opts: opts, mux: newRoutes(), ents: &entitlements{path: opts.EntitlementsPath, catalog: opts.Catalog, config: opts.Entitlements}}
	h.review = newReview(opts)
	h.mux.HandleFunc("GET /api/captures", h.list)
	h.mux.HandleFunc("GET /api/captures/{id}", h.capture)
	h.mux.HandleFunc("GET /api/captures/{id}/body/{side}", h.captureBody)
	h.mux.HandleFunc("GET /api/bodies/{sha}", h.body)
	h.routeEvidence()
	h.reviewRoutes()
	h.routeAnalysis()
	h.routeMeasurements() // measurements.go
	return h
}

// ServeHTTP serves the page, checks the token or session (auth.go), then
// routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r, done := h.guard(w, r); !done {
		h.mux.ServeHTTP(w, r)
	}
}

// HeaderBehind, on an answer of GET /api/captures, is the number of
// acknowledged records the answer lacks because the store's indexer is
// behind (store.ErrBehind): the list is partial.
const HeaderBehind = "X-Index-Behind"

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	if h.cat != nil && paged(r.URL.Query()) {
		h.page(w, r)
		return
	}
	q, err := parseQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	caps, err := h.opts.Store.List(q)
	var behind *store.BehindError
	if errors.As(err, &behind) {
		w.Header().Set(HeaderBehind, strconv.FormatUint(behind.Missing, 10))
		err = nil
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	if caps == nil {
		caps = []store.Capture{}
	}
	writeJSON(w, caps)
}

func parseQuery(r *http.Request) (store.Query, error) {
	v := r.URL.Query()
	q := store.Query{Host: v.Get("host")}
	var err error
	if s := v.Get("since"); s != "" {
		if q.Since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return q, errors.New("since: want RFC 3339 time")
		}
	}
	if s := v.Get("until"); s != "" {
		if q.Until, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return q, errors.New("until: want RFC 3339 time")
		}
	}
	if s := v.Get("limit"); s != "" {
		if q.Limit, err = strconv.Atoi(s); err != nil || q.Limit < 0 {
			return q, errors.New("limit: want a number >= 0")
		}
	}
	return q, nil
}

func (h *Handler) capture(w http.ResponseWriter, r *http.Request) {
	c, err := h.opts.Store.Capture(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, c)
}

func (h *Handler) captureBody(w http.ResponseWriter, r *http.Request) {
	c, err := h.opts.Store.Capture(r.PathValue("id"))
	if err != nil {
		h.fail(w, err)
		return
	}
	m := c.Request
	if r.PathValue("side") == "response" {
		m = c.Response
	} else if r.PathValue("side") != "request" {
		writeError(w, http.StatusNotFound, "body side must be request or response")
		return
	}
	if m == nil {
		writeError(w, http.StatusNotFound, "capture "+c.ID+" has no "+r.PathValue("side"))
		return
	}
	h.serveBody(w, store.BodyRef{SHA256: m.BodySHA256, Truncated: m.Truncated, StoredSHA256: m.StoredSHA256}.StoredKey())
}

func (h *Handler) body(w http.ResponseWriter, r *http.Request) {
	h.serveBody(w, r.PathValue("sha"))
}

func (h *Handler) serveBody(w http.ResponseWriter, sha string) {
	if sha == "" {
		w.Header().Set("Content-Length", "0")
		return
	}
	rc, size, err := h.opts.Store.OpenBody(sha)
	if err != nil {
		h.fail(w, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	io.Copy(w, rc)
}

// fail translates a store error to an HTTP status, once, here.
func (h *Handler) fail(w http.ResponseWriter, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	h.opts.Logger.Error().Err(err).Str("component", "admin").Msg("request failed")
	writeError(w, http.StatusInternalServerError, err.Error())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
