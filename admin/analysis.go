package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// Analyst is what the analysis routes serve: decoded captures, diffs,
// drift, figures and endpoints. *analysis.Analyzer implements it, and so
// does *Client over the API.
type Analyst interface {
	Compare(from, to string, o analysis.CompareOptions) (*analysis.Comparison, error)
	Decoded(id string) (*analysis.Decoded, error)
	Drift(q analysis.Query) ([]analysis.DriftEvent, error)
	Figures(q analysis.Query) ([]analysis.Point, error)
	Endpoints() ([]analysis.EndpointInfo, error)
	Licensing(from, to string, o analysis.CompareOptions) (*analysis.LicenseDiff, error)
	Identities() ([]analysis.Identity, error)
}

var (
	_ Analyst = (*analysis.Analyzer)(nil)
	_ Analyst = (*Client)(nil)
)

// The analysis routes. All are GET, need the admin token like every
// route, and answer JSON (types in package analysis):
//
//	GET /api/diff?to=ID[&from=ID][&side=request|response|both][&headers=1]
//	    analysis.Comparison: {"from", "to", "endpoint", "from_endpoint",
//	    "from_time", "to_time", "side", "changes": [{"path", "op"
//	    (added|removed|changed), "from", "to", "side", "volatile",
//	    "type_changed", "unified", "personal"}], "counted", "volatile",
//	    "notes"}. Without from: against the previous capture of to's
//	    endpoint. side defaults to request; headers=1 adds header fields
//	    as "@header:Name" paths.
//	GET /api/captures/{id}/decoded
//	    analysis.Decoded: {"id", "time", "endpoint", "request",
//	    "response"}, each body {"content_type", "content_encoding",
//	    "size", "sha256", "truncated", "pruned", "note", "tree" (nodes
//	    {"type", "name", "filename", "content_type", "size", "offset",
//	    "error", "note", "hex", "children"}), "fields" ([{"path", "type",
//	    "value", "volatile"}]), "personal" ([{"path", "category", "why",
//	    "count"}]), "figures" (request only, as /api/figures)}.
//	GET /api/drift[?since=T][&until=T][&host=H]
//	    [analysis.DriftEvent]: [{"id", "time", "endpoint", "side", "kind"
//	    (new_endpoint|new_field|type_changed), "path", "old", "new"}],
//	    oldest first.
//	GET /api/figures[?name=N][&since=T][&until=T][&host=H]
//	    [analysis.Point]: [{"id", "time" (the time the figure is for),
//	    "captured", "endpoint", "name", "value" (number, or string for a
//	    version), "unit", "path"}], ordered by time. name may be a glob
//	    ("*.CountUsedMax").
//	GET /api/licensing?to=ID[&from=ID][&side=...][&headers=1]
//	    analysis.LicenseDiff: /api/diff's answer plus "name" (the
//	    endpoint's name), "summary" ([{"kind", "subject", "figure",
//	    "from", "to", "delta", "text"}], in licensing terms) and "first"
//	    (true, with no changes, for the first capture of an endpoint,
//	    which is no error here).
//	GET /api/personal[?format=csv]
//	    {"identities": [analysis.Identity: {"category", "value",
//	    "uploads", "endpoints", "first_id", "first_time", "last_id",
//	    "last_time", "plain"}], "anonymisation": {"in_effect", "plain",
//	    "example", "endpoints"}}; format=csv: the identities as CSV.
//	GET /api/endpoints
//	    [analysis.EndpointInfo]: [{"endpoint" ("METHOD host /template"),
//	    "method", "host", "template", "captures", "first_id",
//	    "first_time", "last_id", "last_time", "name", "request_shape",
//	    "response_shape" ({shape path: type}), "personal"}].
//
// Times are RFC 3339. Errors are {"error": message, "code": code}: 404
// not_found (no such capture) or no_previous (the first capture of its
// endpoint), 422 not_exchange (a tunnel, a refusal, or no response yet),
// 400 bad_input, 503 unavailable when serve runs no analysis.
func (h *Handler) routeAnalysis() {
	h.mux.HandleFunc("GET /api/diff", h.diff)
	h.mux.HandleFunc("GET /api/captures/{id}/decoded", h.decoded)
	h.mux.HandleFunc("GET /api/drift", h.drift)
	h.mux.HandleFunc("GET /api/figures", h.figures)
	h.mux.HandleFunc("GET /api/endpoints", h.endpoints)
	h.mux.HandleFunc("GET /api/licensing", h.licensing)
	h.mux.HandleFunc("GET /api/personal", h.personal)
	h.mux.HandleFunc("GET /api/position", h.position)            // position.go
	h.mux.HandleFunc("GET /api/entitlements", h.getEntitlements) // entitlements.go
	h.mux.HandleFunc("PUT /api/entitlements", h.putEntitlements)
}

// Error codes of the analysis routes.
const (
	codeNotFound    = "not_found"
	codeNoPrevious  = "no_previous"
	codeNotExchange = "not_exchange"
	codeBadInput    = "bad_input"
	codeUnavailable = "unavailable"
)

func (h *Handler) analyst(w http.ResponseWriter) Analyst {
	if h.opts.Analysis == nil {
		writeCodedError(w, http.StatusServiceUnavailable, codeUnavailable, "this server runs no analysis")
	}
	return h.opts.Analysis
}

func (h *Handler) diff(w http.ResponseWriter, r *http.Request) {
	a := h.analyst(w)
	if a == nil {
		return
	}
	v := r.URL.Query()
	if v.Get("to") == "" {
		writeCodedError(w, http.StatusBadRequest, codeBadInput, "to: want a capture id")
		return
	}
	c, err := a.Compare(v.Get("from"), v.Get("to"), analysis.CompareOptions{Side: v.Get("side"), Headers: v.Get("headers") == "1"})
	h.answer(w, c, err)
}

func (h *Handler) licensing(w http.ResponseWriter, r *http.Request) {
	a := h.analyst(w)
	if a == nil {
		return
	}
	v := r.URL.Query()
	if v.Get("to") == "" {
		writeCodedError(w, http.StatusBadRequest, codeBadInput, "to: want a capture id")
		return
	}
	d, err := a.Licensing(v.Get("from"), v.Get("to"), analysis.CompareOptions{Side: v.Get("side"), Headers: v.Get("headers") == "1"})
	h.answer(w, d, err)
}

func (h *Handler) decoded(w http.ResponseWriter, r *http.Request) {
	if a := h.analyst(w); a != nil {
		d, err := a.Decoded(r.PathValue("id"))
		h.answer(w, d, err)
	}
}

func (h *Handler) drift(w http.ResponseWriter, r *http.Request) {
	a := h.analyst(w)
	if a == nil {
		return
	}
	q, err := analysisQuery(r)
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	d, err := a.Drift(q)
	h.answer(w, d, err)
}

func (h *Handler) figures(w http.ResponseWriter, r *http.Request) {
	a := h.analyst(w)
	if a == nil {
		return
	}
	q, err := analysisQuery(r)
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	p, err := a.Figures(q)
	h.answer(w, p, err)
}

func (h *Handler) endpoints(w http.ResponseWriter, r *http.Request) {
	if a := h.analyst(w); a != nil {
		e, err := a.Endpoints()
		for i := range e {
			e[i].Name = h.opts.Names.Of(e[i].Endpoint)
		}
		h.answer(w, e, err)
	}
}

func analysisQuery(r *http.Request) (analysis.Query, error) {
	v := r.URL.Query()
	q := analysis.Query{Name: v.Get("name"), Host: v.Get("host")}
	for _, p := range []struct {
		key string
		t   *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := v.Get(p.key); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, fmt.Errorf("%w: %s: want an RFC 3339 time", analysis.ErrBadInput, p.key)
			}
			*p.t = t
		}
	}
	return q, nil
}

// answer writes v, or translates err to a status, once, here.
func (h *Handler) answer(w http.ResponseWriter, v any, err error) {
	switch {
	case err == nil:
		writeJSON(w, v)
	case errors.Is(err, analysis.ErrNoPrevious):
		writeCodedError(w, http.StatusNotFound, codeNoPrevious, err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeCodedError(w, http.StatusNotFound, codeNotFound, err.Error())
	case errors.Is(err, analysis.ErrNotExchange):
		writeCodedError(w, http.StatusUnprocessableEntity, codeNotExchange, err.Error())
	case errors.Is(err, analysis.ErrBadInput):
		writeCodedError(w, http.StatusBadRequest, codeBadInput, err.Error())
	default:
		h.fail(w, err)
	}
}

func writeCodedError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg, "code": code})
}

// Compare is Analyzer.Compare over the API.
func (c *Client) Compare(from, to string, o analysis.CompareOptions) (*analysis.Comparison, error) {
	var out analysis.Comparison
	return &out, c.analysisGet("/api/diff?"+compareQuery(from, to, o), &out)
}

// Licensing is Analyzer.Licensing over the API.
func (c *Client) Licensing(from, to string, o analysis.CompareOptions) (*analysis.LicenseDiff, error) {
	var out analysis.LicenseDiff
	return &out, c.analysisGet("/api/licensing?"+compareQuery(from, to, o), &out)
}

// compareQuery is the query of /api/diff and /api/licensing.
func compareQuery(from, to string, o analysis.CompareOptions) string {
	v := url.Values{"to": {to}}
	if from != "" {
		v.Set("from", from)
	}
	if o.Side != "" {
		v.Set("side", o.Side)
	}
	if o.Headers {
		v.Set("headers", "1")
	}
	return v.Encode()
}

// Identities is Analyzer.Identities over the API.
func (c *Client) Identities() ([]analysis.Identity, error) {
	var out struct {
		Identities []analysis.Identity `json:"identities"`
	}
	return out.Identities, c.analysisGet("/api/personal", &out)
}

// Decoded is Analyzer.Decoded over the API.
func (c *Client) Decoded(id string) (*analysis.Decoded, error) {
	var out analysis.Decoded
	return &out, c.analysisGet("/api/captures/"+url.PathEscape(id)+"/decoded", &out)
}

// Drift is Analyzer.Drift over the API.
func (c *Client) Drift(q analysis.Query) ([]analysis.DriftEvent, error) {
	var out []analysis.DriftEvent
	return out, c.analysisGet("/api/drift?"+queryValues(q).Encode(), &out)
}

// Figures is Analyzer.Figures over the API.
func (c *Client) Figures(q analysis.Query) ([]analysis.Point, error) {
	var out []analysis.Point
	return out, c.analysisGet("/api/figures?"+queryValues(q).Encode(), &out)
}

// Endpoints is Analyzer.Endpoints over the API.
func (c *Client) Endpoints() ([]analysis.EndpointInfo, error) {
	var out []analysis.EndpointInfo
	return out, c.analysisGet("/api/endpoints", &out)
}

func queryValues(q analysis.Query) url.Values {
	v := url.Values{}
	if q.Name != "" {
		v.Set("name", q.Name)
	}
	if q.Host != "" {
		v.Set("host", q.Host)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	return v
}

// analysisGet calls an analysis route and turns its error codes back into
// the errors Analyzer returns. Numbers decode as json.Number, so values
// print as they were sent.
func (c *Client) analysisGet(path string, v any) error {
	req, err := http.NewRequest(http.MethodGet, c.Base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute} // a rebuild or a large diff takes a while
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin API of the running server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error, Code string }
		json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&e)
		return codedError(path, resp.Status, e.Code, e.Error)
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("admin API %s: bad answer: %w", path, err)
	}
	return nil
}

func codedError(path, status, code, msg string) error {
	switch code {
	case codeNoPrevious:
		return remoteError{msg, analysis.ErrNoPrevious}
	case codeNotFound:
		return remoteError{msg, store.ErrNotFound}
	case codeNotExchange:
		return remoteError{msg, analysis.ErrNotExchange}
	case codeBadInput:
		return remoteError{msg, analysis.ErrBadInput}
	}
	if status == "404 Not Found" {
		return fmt.Errorf("admin API %s: %s: %s (is the running serve older than this command?)", path, status, msg)
	}
	return fmt.Errorf("admin API %s: %s: %s", path, status, msg)
}

// remoteError is the server's message for one of the sentinel errors.
type remoteError struct {
	msg string
	err error
}

func (e remoteError) Error() string { return e.msg }
func (e remoteError) Unwrap() error { return e.err }
