package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/telltale/telltale/store"
)

// Paging of GET /api/captures.
const (
	defaultPage = 100
	maxPage     = 1000
	// searchBudget bounds the time one page of a free-text search spends
	// reading bodies; a page that runs out returns what it found and a
	// cursor to go on from.
	searchBudget = 80 * time.Millisecond
)

// pageParams are the parameters that make GET /api/captures page through
// the catalog; without any of them it answers as it always did (Store.List:
// host, since, until, the newest limit, oldest first).
var pageParams = []string{"offset", "cursor", "order", "sort", "method", "status", "kind", "q", "changed", "drift", "endpoint",
	"usage_since", "usage_until", "sent_by"}

func paged(v url.Values) bool {
	for _, p := range pageParams {
		if v.Has(p) {
			return true
		}
	}
	return false
}

// filter is a parsed page query. Lists are alternatives (comma-separated
// in the query).
type filter struct {
	hosts, methods, kinds, endpoints []string
	statuses                         []statusMatch
	since, until                     int64 // unix ns; 0: unbounded
	// usageSince and usageUntil bound the usage day a capture reports on
	// (YYYY-MM-DD, both included; Item.ReportedFor): a capture that
	// reports none does not match. reported holds the days.
	usageSince, usageUntil string
	reported               map[uint64]string
	q                      string
	changed, drift         bool
	// sentBy matches the program that sent a capture (store.Process.Matches).
	sentBy string

	desc   bool
	sort   string // a column (sortKeys); "" or "time": the log's order
	offset int
	limit  int
	cursor uint64
}

// statusMatch is one status alternative: an exact code, a class ("4xx"),
// "none" (no response status) or "error" (the capture records an error).
type statusMatch struct {
	code, class int
	none, err   bool
}

func parseFilter(v url.Values) (filter, error) {
	f := filter{limit: defaultPage}
	f.hosts = splitList(strings.ToLower(v.Get("host")))
	f.methods = splitList(strings.ToUpper(v.Get("method")))
	f.kinds = splitList(strings.ToLower(v.Get("kind")))
	f.endpoints = nonEmpty(v["endpoint"])
	f.q = strings.ToLower(strings.TrimSpace(v.Get("q")))
	f.sentBy = strings.TrimSpace(v.Get("sent_by"))
	for _, k := range f.kinds {
		if k != store.CaptureExchange && k != store.CaptureTunnel && k != store.CaptureDenied && k != store.CaptureLost {
			return f, fmt.Errorf("kind: %q is not exchange, tunnel, denied or lost", k)
		}
	}
	for _, s := range splitList(strings.ToLower(v.Get("status"))) {
		m, err := parseStatus(s)
		if err != nil {
			return f, err
		}
		f.statuses = append(f.statuses, m)
	}
	var err error
	if f.since, err = timeParam(v, "since"); err != nil {
		return f, err
	}
	if f.until, err = timeParam(v, "until"); err != nil {
		return f, err
	}
	if f.usageSince, err = dayParam(v, "usage_since"); err != nil {
		return f, err
	}
	if f.usageUntil, err = dayParam(v, "usage_until"); err != nil {
		return f, err
	}
	if f.changed, err = boolParam(v, "changed"); err != nil {
		return f, err
	}
	if f.drift, err = boolParam(v, "drift"); err != nil {
		return f, err
	}
	return f, f.parsePaging(v)
}

func (f *filter) parsePaging(v url.Values) error {
	switch v.Get("order") {
	case "", "asc":
	case "desc":
		f.desc = true
	default:
		return errors.New("order: want asc or desc")
	}
	var err error
	if f.sort, err = parseSort(v.Get("sort")); err != nil {
		return err
	}
	if s := v.Get("limit"); s != "" {
		if f.limit, err = strconv.Atoi(s); err != nil || f.limit < 1 || f.limit > maxPage {
			return fmt.Errorf("limit: want 1 to %d", maxPage)
		}
	}
	if s := v.Get("offset"); s != "" {
		if f.offset, err = strconv.Atoi(s); err != nil || f.offset < 0 {
			return errors.New("offset: want a number >= 0")
		}
	}
	if s := v.Get("cursor"); s != "" {
		if f.cursor, err = strconv.ParseUint(s, 10, 64); err != nil || f.cursor == 0 {
			return errors.New("cursor: want the X-Next-Cursor of the previous page")
		}
	}
	return nil
}

func parseStatus(s string) (statusMatch, error) {
	switch {
	case s == "none" || s == "0":
		return statusMatch{none: true}, nil
	case s == "error":
		return statusMatch{err: true}, nil
	case len(s) == 3 && s[1:] == "xx" && s[0] >= '1' && s[0] <= '5':
		return statusMatch{class: int(s[0] - '0')}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 999 {
		return statusMatch{}, fmt.Errorf("status: %q is not a code (200), a class (4xx), none or error", s)
	}
	return statusMatch{code: n}, nil
}

func (m statusMatch) match(e *entry) bool {
	switch {
	case m.none:
		return e.status == 0
	case m.err:
		return e.err != ""
	case m.class != 0:
		return e.status/100 == m.class
	}
	return e.status == m.code
}

func timeParam(v url.Values, key string) (int64, error) {
	s := v.Get(key)
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%s: want RFC 3339 time", key)
	}
	return t.UnixNano(), nil
}

func dayParam(v url.Values, key string) (string, error) {
	s := v.Get(key)
	if _, err := time.Parse(time.DateOnly, s); s != "" && err != nil {
		return "", fmt.Errorf("%s: want a usage day, YYYY-MM-DD", key)
	}
	return s, nil
}

// matchUsage tests the usage day a capture reports on.
func (f *filter) matchUsage(e *entry) bool {
	if f.usageSince == "" && f.usageUntil == "" {
		return true
	}
	d := f.reported[e.seq]
	return d != "" && (f.usageSince == "" || d >= f.usageSince) && (f.usageUntil == "" || d <= f.usageUntil)
}

func boolParam(v url.Values, key string) (bool, error) {
	switch v.Get(key) {
	case "", "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	}
	return false, fmt.Errorf("%s: want 1 or 0", key)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// matchMeta tests everything but the free text; c.mu is held.
func (f *filter) matchMeta(e *entry, drifted map[uint64]int) bool {
	switch {
	case f.since != 0 && e.time < f.since, f.until != 0 && e.time >= f.until:
		return false
	case len(f.hosts) > 0 && !matchHosts(f.hosts, e.host),
		len(f.methods) > 0 && !contains(f.methods, e.method),
		len(f.kinds) > 0 && !contains(f.kinds, e.kind),
		len(f.endpoints) > 0 && !contains(f.endpoints, e.endpoint):
		return false
	case f.changed && !e.changed, !f.matchUsage(e):
		return false
	case f.sentBy != "" && !e.process.Matches(f.sentBy):
		return false
	case f.drift && drifted[e.seq] == 0:
		return false
	}
	if len(f.statuses) == 0 {
		return true
	}
	for _, m := range f.statuses {
		if m.match(e) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// page is one answer of the list endpoint.
type page struct {
	items   []Item
	total   int    // matches in all; -1 when a slow filter did not count them
	all     int    // captures in the catalog
	next    uint64 // cursor to go on from; 0 at the end
	partial bool   // the budget ran out before the page was full
}

// slowFilter is a test that reads bodies or decodes them (free text,
// changes by field); it is called without c.mu held.
type slowFilter func(*entry) bool

// query answers a page. With only cheap filters it counts every match (a
// scan of the in-memory catalog); with a slow one it stops at a full
// page or when the budget is spent, and answers no total.
func (c *catalog) query(f filter, slow slowFilter, budget time.Duration, drifted map[uint64]int, reported map[uint64]string) page {
	c.mu.RLock()
	entries, all := c.entries, len(c.entries)
	start, ok := c.startAt(f)
	c.mu.RUnlock()
	// entries only grows at its end (or by a rare insertion near it, which
	// copies into a new array): the slice header taken above stays a
	// consistent snapshot, and entry fields that change are read under mu.
	p := page{all: all, total: -1}
	if !ok {
		p.total = 0
		return p
	}
	if slow == nil && f.sort != "" && f.sort != "time" {
		return c.scanSorted(f, entries, drifted, reported, p)
	}
	if slow == nil {
		return c.scanMeta(f, entries, start, drifted, p)
	}
	return c.scanSlow(f, slow, budget, entries, start, drifted, p)
}

// startAt is the index the scan starts from: the first entry, or the one
// after the cursor, in the page's order. ok is false for an unknown cursor.
func (c *catalog) startAt(f filter) (int, bool) {
	if f.cursor == 0 {
		if f.desc {
			return len(c.entries) - 1, true
		}
		return 0, true
	}
	e := c.bySeq[f.cursor]
	if e == nil {
		return 0, false
	}
	i := c.indexOf(e)
	if f.desc {
		return i - 1, true
	}
	return i + 1, true
}

func (c *catalog) indexOf(e *entry) int {
	lo, hi := 0, len(c.entries)
	for lo < hi {
		m := (lo + hi) / 2
		if c.entries[m].less(e) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func step(desc bool) int {
	if desc {
		return -1
	}
	return 1
}

func (c *catalog) scanMeta(f filter, entries []*entry, start int, drifted map[uint64]int, p page) page {
	c.mu.RLock()
	defer c.mu.RUnlock()
	// Count every match for the total, collect only from start on.
	p.total = 0
	skip, d := f.offset, step(f.desc)
	first := 0
	if f.desc {
		first = len(entries) - 1
	}
	var last *entry
	for i := first; i >= 0 && i < len(entries); i += d {
		e := entries[i]
		if !f.matchMeta(e, drifted) {
			continue
		}
		p.total++
		switch {
		case (i-start)*d < 0: // before the cursor
		case skip > 0:
			skip--
		case len(p.items) < f.limit:
			p.items = append(p.items, e.item())
			last = e
		default:
			p.next = last.seq // there is more
		}
	}
	return p
}

func (c *catalog) scanSlow(f filter, slow slowFilter, budget time.Duration, entries []*entry, start int, drifted map[uint64]int, p page) page {
	deadline := time.Now().Add(budget)
	skip := f.offset
	for i := start; i >= 0 && i < len(entries); i += step(f.desc) {
		e := entries[i]
		c.mu.RLock()
		ok := f.matchMeta(e, drifted)
		c.mu.RUnlock()
		if ok && slow(e) {
			if skip > 0 {
				skip--
			} else {
				c.mu.RLock()
				p.items = append(p.items, e.item())
				c.mu.RUnlock()
			}
		}
		if len(p.items) == f.limit || time.Now().After(deadline) {
			if j := i + step(f.desc); j >= 0 && j < len(entries) {
				p.partial, p.next = len(p.items) < f.limit, e.seq
			}
			return p
		}
	}
	return p
}

// page answers GET /api/captures with paging or filters: a JSON array of
// Items, with the paging in headers (README: "Admin API").
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := h.cat.refresh(); err != nil {
		h.fail(w, err)
		return
	}
	drifted, reported := h.drifted(), h.reported()
	if (f.usageSince != "" || f.usageUntil != "") && h.opts.Analysis == nil {
		writeError(w, http.StatusServiceUnavailable, "usage_since, usage_until: the usage day a capture reports on needs the analysis")
		return
	}
	f.reported = reported
	p := h.cat.query(f, h.slowFilter(f), h.search.budget, drifted, reported)
	for i := range p.items {
		p.items[i].Drift = drifted[p.items[i].seq()]
		p.items[i].ReportedFor = reported[p.items[i].seq()]
		if f.q != "" {
			h.addSnippet(&p.items[i], f.q)
		}
	}
	hd := w.Header()
	hd.Set("X-Catalog-Count", strconv.Itoa(p.all))
	if p.total >= 0 {
		hd.Set("X-Total-Count", strconv.Itoa(p.total))
	}
	if p.partial {
		hd.Set("X-Partial", "1")
	}
	if n := h.cat.behind.Load(); n > 0 {
		hd.Set(HeaderBehind, strconv.FormatUint(n, 10))
	}
	if p.next != 0 {
		next := strconv.FormatUint(p.next, 10)
		hd.Set("X-Next-Cursor", next)
		v := r.URL.Query()
		v.Set("cursor", next)
		v.Del("offset")
		hd.Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, v.Encode()))
	}
	if p.items == nil {
		p.items = []Item{}
	}
	writeJSON(w, p.items)
}

// timeString formats unix nanoseconds as store.TimeFormat, in UTC.
func timeString(ns int64) string {
	return time.Unix(0, ns).UTC().Format(store.TimeFormat)
}
