package admin

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// The review UI's API, beside the CLI's (server.go), the evidence routes
// (snapshot.go) and the analysis routes (analysis.go):
//
//	GET  /api/captures?offset=&cursor=&order=&sort=&limit=&host=&method=&status=&kind=&endpoint=&since=&until=&q=&changed=&drift=
//	                                 a page of Items (list.go)
//	GET  /api/facets                 hosts, methods, kinds, endpoints and exact endpoints, with their counts
//	GET  /api/numbers                {"ids": [...]}: capture ids in number order (1, 2, 3…)
//	GET  /api/profile                {"secret_headers", "secret_fields"}: what the UI masks until revealed
//	GET  /api/personal               every personal identifier sent (analysis.go)
//	GET  /api/licensing              a diff in licensing terms (analysis.go)
//	GET  /api/events                 server-sent events: a "capture" event per capture opened or completed
//	GET  /api/captures/{id}/related  the capture's Item and the previous and next of its endpoint
//	GET  /api/captures/{id}/inclusion its leaves and their inclusion in the latest checkpoint
//	GET  /api/evidence               latest checkpoint, its signature, the last verify
//	POST /api/verify                 start verifying the whole store
//	POST /api/exports                write an export bundle {host, endpoint, since, until, ids, redact}
//	GET  /api/exports/{id}           download it
//	GET  /api/exports/{id}/report    its report.html, as a page
//	POST /api/reconcile              measured figures {csv, tolerance, endpoint} against the reported ones
//	POST /api/login/nonce            a one-time login link (Bearer only; telltale ui)
//	POST /api/login                  trade the link's nonce for a session cookie
//	GET  /api/session                the caller and the session's CSRF token
//	POST /api/logout                 end the session
type review struct {
	cat     *catalog // nil when Options.Store is not a Log
	hub     *hub
	search  *searcher
	sess    *sessions
	exports *exports
	verify  *verifyJob
	drifts  driftIndex

	reportedFor reportedIndex

	// warming reads the log into the catalog in the background once a
	// login link is asked for, so that the first page is quick.
	warmOnce sync.Once
	warming  sync.WaitGroup
}

// warm starts reading the catalog, once, in the background.
func (rv *review) warm() {
	if rv.cat == nil {
		return
	}
	rv.warmOnce.Do(func() {
		rv.warming.Go(func() { rv.cat.refresh() }) // an error shows on the next list request
	})
}

func newReview(opts Options) *review {
	rv := &review{sess: newSessions(opts.Now), exports: newExports(opts.TempDir, opts.Now), verify: &verifyJob{}}
	if log, ok := opts.Store.(Log); ok {
		rv.cat = newCatalog(log, opts.Templates, opts.Names)
		rv.hub = newHub(rv.cat)
		rv.search = newSearcher(opts.Store.OpenBody)
	}
	return rv
}

func (h *Handler) reviewRoutes() {
	h.mux.HandleFunc("POST /api/login/nonce", h.newNonce)
	h.mux.HandleFunc("GET /api/session", h.session)
	h.mux.HandleFunc("POST /api/logout", h.logout)
	h.mux.HandleFunc("GET /api/events", h.needCatalog(h.events))
	h.mux.HandleFunc("GET /api/facets", h.needCatalog(h.facets))
	h.mux.HandleFunc("GET /api/numbers", h.needCatalog(h.numbers))
	h.mux.HandleFunc("GET /api/profile", h.profile)
	h.mux.HandleFunc("GET /api/captures/{id}/related", h.needCatalog(h.related))
	h.mux.HandleFunc("GET /api/captures/{id}/inclusion", h.inclusion)
	h.mux.HandleFunc("GET /api/evidence", h.evidenceStatus)
	h.mux.HandleFunc("POST /api/verify", h.startVerify)
	h.mux.HandleFunc("POST /api/exports", h.newExport)
	h.mux.HandleFunc("GET /api/exports/running", h.runningExports)
	h.mux.HandleFunc("GET /api/exports/{id}", h.download)
	h.mux.HandleFunc("GET /api/exports/{id}/report", h.report)
	h.mux.HandleFunc("POST /api/reconcile", h.reconcile)
}

// Close ends the event streams, waits for a running verify and removes
// export bundles not yet downloaded. serve calls it when it shuts down
// (http.Server.RegisterOnShutdown), since a stream never goes idle.
func (h *Handler) Close() {
	if h.hub != nil {
		h.hub.close()
	}
	h.warmOnce.Do(func() {}) // no warming from now on
	h.warming.Wait()
	h.verify.wait()
	h.exports.close()
}

func (h *Handler) needCatalog(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.cat == nil {
			writeError(w, http.StatusNotImplemented, "this server's store cannot be paged")
			return
		}
		fn(w, r)
	}
}

// related is GET /api/captures/{id}/related.
func (h *Handler) related(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "capture "+r.PathValue("id")+": "+store.ErrNotFound.Error())
		return
	}
	if err := h.cat.refresh(); err != nil {
		h.fail(w, err)
		return
	}
	it, next, ok := h.cat.get(seq)
	if !ok {
		writeError(w, http.StatusNotFound, "capture "+r.PathValue("id")+": "+store.ErrNotFound.Error())
		return
	}
	it.Drift = h.drifted()[seq]
	it.ReportedFor = h.reported()[seq]
	out := struct {
		Item Item   `json:"item"`
		Prev string `json:"prev,omitempty"`
		Next string `json:"next,omitempty"`
	}{it, it.Prev, next}
	writeJSON(w, out)
}

// facets is GET /api/facets.
func (h *Handler) facets(w http.ResponseWriter, r *http.Request) {
	if err := h.cat.refresh(); err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, h.cat.facets())
}

// driftTTL is how long the drift marks of the list are reused.
const driftTTL = 2 * time.Second

// driftIndex counts drift events by capture (Analysis.Drift), for the
// list's drift filter and marks; it is rebuilt when the log grew or
// driftTTL passed, since the analyzer finds drift after the capture.
type driftIndex struct {
	mu     sync.Mutex
	at     time.Time
	size   int
	counts map[uint64]int
}

// drifted returns the drift events per capture; nil without analysis.
func (h *Handler) drifted() map[uint64]int {
	if h.opts.Analysis == nil || h.cat == nil {
		return nil
	}
	d := &h.drifts
	h.cat.mu.RLock()
	size := len(h.cat.entries)
	h.cat.mu.RUnlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.counts != nil && d.size == size && time.Since(d.at) < driftTTL {
		return d.counts
	}
	events, err := h.opts.Analysis.Drift(analysis.Query{})
	if err != nil {
		h.opts.Logger.Warn().Err(err).Str("component", "admin").Msg("admin: drift marks unavailable")
		return d.counts
	}
	counts := make(map[uint64]int)
	for _, e := range events {
		if id, err := strconv.ParseUint(e.ID, 10, 64); err == nil {
			counts[id]++
		}
	}
	d.counts, d.size, d.at = counts, size, time.Now()
	return counts
}
