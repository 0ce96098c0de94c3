package admin

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/telltale/telltale/analysis"
)

// The list's columns beyond the log's own: the date a payload reports on,
// sorting, search snippets, and capture numbers.

// reportedTTL is how long the reported-for dates are reused while the log
// grows: reading every figure point is the costly part of a list page on
// a large store, and a date a few seconds late does no harm.
const reportedTTL = 10 * time.Second

// reportedIndex maps captures to the time their payload reports on, from
// the figures the analysis dated by their endpoint's rule; rebuilt at
// most every reportedTTL.
type reportedIndex struct {
	mu    sync.Mutex
	at    time.Time
	times map[uint64]string
}

// reported returns the usage day (YYYY-MM-DD) each capture reports on;
// nil without analysis.
func (h *Handler) reported() map[uint64]string {
	if h.opts.Analysis == nil || h.cat == nil {
		return nil
	}
	d := &h.reportedFor
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.times != nil && time.Since(d.at) < reportedTTL {
		return d.times
	}
	points, err := h.opts.Analysis.Figures(analysis.Query{})
	if err != nil {
		h.opts.Logger.Warn().Err(err).Str("component", "admin").Msg("admin: reported-for dates unavailable")
		return d.times
	}
	times := make(map[uint64]string)
	for _, p := range points {
		if p.Time == p.Captured {
			continue // dated by its capture: the payload names no date
		}
		// The usage day, not the reported time: a usage bundle's last
		// EventEnd falls on 23:59:59.999 one day and 00:00 the next, and
		// a day would repeat or go missing.
		if id, err := strconv.ParseUint(p.ID, 10, 64); err == nil && p.Date() > times[id] {
			times[id] = p.Date()
		}
	}
	d.times, d.at = times, time.Now()
	return times
}

// sortKeys are the columns the list sorts by (sort=), besides time.
var sortKeys = []string{"time", "number", "reported", "name", "host", "method", "status", "kind", "sent", "received", "duration"}

// sorter orders entries by a column, then by time; c.mu is held while it
// runs.
func sorter(key string, reported map[uint64]string) func(a, b *entry) int {
	by := func(a, b *entry) int { return 0 }
	switch key {
	case "reported":
		by = func(a, b *entry) int { return strings.Compare(reported[a.seq], reported[b.seq]) }
	case "name":
		by = func(a, b *entry) int { return strings.Compare(a.name+" "+a.endpoint, b.name+" "+b.endpoint) }
	case "host":
		by = func(a, b *entry) int { return strings.Compare(a.host, b.host) }
	case "method":
		by = func(a, b *entry) int { return strings.Compare(a.method, b.method) }
	case "status":
		by = func(a, b *entry) int { return cmp.Compare(a.status, b.status) }
	case "kind":
		by = func(a, b *entry) int { return strings.Compare(a.kind, b.kind) }
	case "sent":
		by = func(a, b *entry) int { return cmp.Compare(a.reqBytes, b.reqBytes) }
	case "received":
		by = func(a, b *entry) int { return cmp.Compare(a.resBytes, b.resBytes) }
	case "duration":
		by = func(a, b *entry) int { return cmp.Compare(a.end-a.time, b.end-b.time) }
	}
	return func(a, b *entry) int {
		if c := by(a, b); c != 0 {
			return c
		}
		if a.less(b) {
			return -1
		}
		return 1
	}
}

// scanSorted answers a page sorted by a column other than time: every
// match, sorted, then the page at offset.
func (c *catalog) scanSorted(f filter, entries []*entry, drifted map[uint64]int, reported map[uint64]string, p page) page {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var matches []*entry
	for _, e := range entries {
		if f.matchMeta(e, drifted) {
			matches = append(matches, e)
		}
	}
	by := sorter(f.sort, reported)
	slices.SortStableFunc(matches, func(a, b *entry) int {
		if f.desc {
			return by(b, a)
		}
		return by(a, b)
	})
	p.total = len(matches)
	for _, e := range matches[min(f.offset, len(matches)):min(f.offset+f.limit, len(matches))] {
		p.items = append(p.items, e.item())
	}
	return p
}

func parseSort(s string) (string, error) {
	if s == "" || s == "time" || slices.Contains(sortKeys, s) {
		return s, nil
	}
	return "", fmt.Errorf("sort: want one of %s", strings.Join(sortKeys, ", "))
}

// addSnippet sets the text around the search's first hit in an item.
func (h *Handler) addSnippet(it *Item, q string) {
	h.cat.mu.RLock()
	e := h.cat.bySeq[it.seq()]
	var url string
	var req, res bodyInfo
	if e != nil {
		url, req, res = e.url, e.req, e.res
	}
	h.cat.mu.RUnlock()
	if e != nil {
		it.Snippet = h.search.snippet(q, url, req, res)
	}
}

// snippetRadius is how much text a search snippet shows on each side of
// the hit.
const snippetRadius = 48

// snippet is the text around the first hit of q (lowercase) in a URL or
// a body's decoded text, on one line; "" when there is none.
func (s *searcher) snippet(q, url string, bodies ...bodyInfo) string {
	if i := strings.Index(strings.ToLower(url), q); i >= 0 {
		return around(url, i, len(q))
	}
	for _, b := range bodies {
		if b.key == "" {
			continue
		}
		c := s.entry(b)
		if i := strings.Index(c.text, q); i >= 0 {
			if len(c.orig) == len(c.text) { // the same byte offsets: show the text as sent
				return around(c.orig, i, len(q))
			}
			return around(c.text, i, len(q))
		}
	}
	return ""
}

func around(t string, i, n int) string {
	from, to := max(0, i-snippetRadius), min(len(t), i+n+snippetRadius)
	for from > 0 && from < i && !utf8Start(t[from]) {
		from++
	}
	for to < len(t) && !utf8Start(t[to]) {
		to++
	}
	out := strings.Join(strings.Fields(t[from:to]), " ")
	if from > 0 {
		out = "…" + out
	}
	if to < len(t) {
		out += "…"
	}
	return out
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// numbers is GET /api/numbers: the id of every capture in number order,
// so that `telltale list` and `show NO` print and read the UI's numbers.
func (h *Handler) numbers(w http.ResponseWriter, r *http.Request) {
	if err := h.cat.refresh(); err != nil {
		h.fail(w, err)
		return
	}
	h.cat.mu.RLock()
	ids := h.cat.numbers.IDs()
	h.cat.mu.RUnlock()
	writeJSON(w, struct {
		IDs []uint64 `json:"ids"`
	}{ids})
}

// Numbers is GET /api/numbers through the client.
func (c *Client) Numbers() (*analysis.Numbers, error) {
	var out struct {
		IDs []uint64 `json:"ids"`
	}
	if err := c.getJSON("/api/numbers", &out); err != nil {
		return nil, err
	}
	return analysis.NumbersOf(out.IDs), nil
}

// profile is GET /api/profile: what the UI masks until revealed.
func (h *Handler) profile(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, struct {
		SecretHeaders []string `json:"secret_headers"`
		SecretFields  []string `json:"secret_fields"`
	}{nonNil(h.opts.SecretHeaders), nonNil(h.opts.SecretFields)})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
