package admin

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

// Log is the part of the store the catalog reads: how many records there
// are, and the records from a Seq on. *store.Store implements it; when
// Options.Store does too, the list endpoint pages and filters, and
// /api/events streams new captures.
type Log interface {
	Size() (uint64, error)
	Records(from uint64, fn func(*store.Record) error) error
}

var _ Log = (*store.Store)(nil)

// entry is one capture as the catalog keeps it: what the list shows and
// filters on, without heads beyond the two content headers.
type entry struct {
	seq      uint64
	num      int   // the capture's number: 1, 2, 3… in log order (analysis.Numbers)
	time     int64 // unix nanoseconds of the opening record
	end      int64 // unix nanoseconds of the response record; 0 without one
	kind     string
	client   string
	process  *store.Process // the program on this host that sent it; nil: a remote client
	method   string
	host     string // lowercase
	url      string
	endpoint string
	exact    string // evidence.EndpointOf, what the capture index and export --endpoint name; "" for tunnels and refusals
	name     string // the endpoint's name ("Compliance upload"), or ""
	status   int
	err      string
	complete bool
	respSeq  uint64
	reqBytes int64
	resBytes int64
	req, res bodyInfo

	prev    *entry // the previous capture of the same endpoint
	changed bool   // its request body differs from prev's (or there is no prev)
	fields  int8   // whether a non-volatile field changed since prev (changes.go)
}

// bodyInfo is what search needs to read and decode a body.
type bodyInfo struct {
	key         string // stored content address; "" when nothing is stored
	contentType string
	encoding    string
}

// less orders entries like the by_time index: time, then Seq.
func (e *entry) less(o *entry) bool {
	return e.time < o.time || e.time == o.time && e.seq < o.seq
}

// catalog is an in-memory index of every capture, read from the log once
// and then only the records appended since, so that listing, filtering and
// paging 100,000 captures never decodes a record. It holds about 500
// bytes a capture (48 MiB for 100,000); reading it first decodes every
// record once (seconds for 100,000), which `telltale ui` starts ahead of
// the browser (review.warm).
type catalog struct {
	log       Log
	templates analysis.Templates
	names     analysis.Names

	// behind is how many acknowledged records the last refresh could not
	// read: the indexer was behind (store.ErrBehind).
	behind atomic.Uint64
	// refreshMu serializes refresh, so that a reader that waited for it
	// sees the log as of its own call.
	refreshMu sync.Mutex

	mu       sync.RWMutex
	size     uint64   // records applied
	entries  []*entry // by time, then Seq
	bySeq    map[uint64]*entry
	last     map[string]*entry // endpoint -> newest capture
	numbers  analysis.Numbers  // capture numbers, in log order
	strs     map[string]string // interned hosts, methods, endpoints, content types
	onChange func([]*entry)    // called by refresh, outside mu, with new and completed captures
}

func newCatalog(log Log, templates analysis.Templates, names analysis.Names) *catalog {
	return &catalog{log: log, templates: templates, names: names, bySeq: map[uint64]*entry{}, last: map[string]*entry{}, strs: map[string]string{}}
}

var errStop = errors.New("stop")

// acknowledged is what the log has acknowledged, when it says
// (store.Store.Acknowledged); 0 otherwise.
func acknowledged(log Log) uint64 {
	if a, ok := log.(interface{ Acknowledged() uint64 }); ok {
		return a.Acknowledged()
	}
	return 0
}

// refresh applies the records appended since the last call.
func (c *catalog) refresh() error {
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	acked := acknowledged(c.log)
	n, err := c.log.Size()
	if err != nil {
		return err
	}
	c.behind.Store(acked - min(acked, n))
	c.mu.RLock()
	from := c.size + 1
	c.mu.RUnlock()
	if n < from {
		return nil
	}
	var touched []*entry
	err = c.log.Records(from, func(r *store.Record) error {
		c.mu.Lock()
		if e := c.apply(r); e != nil {
			touched = append(touched, e)
		}
		c.size = r.Seq
		c.mu.Unlock()
		if r.Seq >= n {
			return errStop // appended after Size: the next refresh has them
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return err
	}
	if c.onChange != nil && len(touched) > 0 {
		c.onChange(touched)
	}
	return nil
}

// apply adds an opening record or completes its capture; c.mu is held.
func (c *catalog) apply(r *store.Record) *entry {
	if r.Kind == store.KindIndex {
		return nil // the log's capture index, not a capture
	}
	if r.Kind == store.KindResponse {
		e := c.bySeq[r.Capture]
		if e != nil {
			c.complete(e, r)
		}
		return e
	}
	e := &entry{seq: r.Seq, time: r.Time.UnixNano(), client: r.Client, process: r.Process, host: c.intern(strings.ToLower(r.Host)), err: r.Error}
	if r.Head != nil {
		e.method, e.url = c.intern(r.Head.Method), r.Head.URL
		e.req = c.bodyInfo(r.Head, r.Body)
	}
	switch r.Kind {
	case store.KindRequest:
		e.kind, e.reqBytes = store.CaptureExchange, r.Body.Size
	case store.KindDenied:
		e.kind, e.complete, e.reqBytes, e.resBytes = store.CaptureDenied, true, r.BytesUp, r.BytesDown
	case store.KindLost:
		e.kind, e.complete = store.CaptureLost, true
	default:
		e.kind, e.complete, e.reqBytes, e.resBytes = store.CaptureTunnel, true, r.BytesUp, r.BytesDown
	}
	e.endpoint = c.intern(c.endpointOf(e))
	if e.kind == store.CaptureExchange {
		e.exact = c.intern(evidence.EndpointOf(e.method, e.url))
	}
	e.name = c.intern(c.names.Of(e.endpoint))
	c.numbers.Add(e.seq)
	e.num = c.numbers.Len()
	e.prev = c.last[e.endpoint]
	e.changed = e.prev == nil || e.prev.req.key != e.req.key
	c.last[e.endpoint] = e
	c.bySeq[e.seq] = e
	c.insert(e)
	return e
}

func (c *catalog) complete(e *entry, r *store.Record) {
	e.complete, e.respSeq, e.end = true, r.Seq, r.Time.UnixNano()
	if e.err == "" {
		e.err = r.Error
	}
	if r.Head != nil {
		e.status = r.Head.Status
		e.res = c.bodyInfo(r.Head, r.Body)
	}
	e.resBytes = r.Body.Size
	if e.reqBytes < 0 && r.RequestBody != nil {
		e.reqBytes = r.RequestBody.Size
	}
}

// insert keeps entries sorted; records come almost in time order, so the
// search starts at the end.
func (c *catalog) insert(e *entry) {
	n := len(c.entries)
	if n == 0 || c.entries[n-1].less(e) {
		c.entries = append(c.entries, e)
		return
	}
	i, _ := slices.BinarySearchFunc(c.entries, e, func(a, b *entry) int {
		if a.less(b) {
			return -1
		}
		return 1
	})
	// A new array, never a shift in place: readers scan a snapshot of the
	// slice without the lock (list.go).
	c.entries = slices.Concat(c.entries[:i], []*entry{e}, c.entries[i:])
}

func (c *catalog) bodyInfo(h *store.Head, b store.BodyRef) bodyInfo {
	bi := bodyInfo{key: b.StoredKey()}
	for _, f := range h.Headers {
		switch {
		case strings.EqualFold(f.Name, "Content-Type"):
			bi.contentType = c.intern(f.Value)
		case strings.EqualFold(f.Name, "Content-Encoding"):
			bi.encoding = c.intern(f.Value)
		}
	}
	return bi
}

func (c *catalog) intern(s string) string {
	if v, ok := c.strs[s]; ok {
		return v
	}
	c.strs[s] = s
	return s
}

// endpointOf names what a capture talks to as package analysis does
// ("POST cis.citrix.com /api/upload/{id}"), so that the list's endpoint
// filter, the timeline and the diffs agree; a tunnel or a refusal is
// "tunnel HOST" or "denied HOST".
func (c *catalog) endpointOf(e *entry) string {
	if e.kind != store.CaptureExchange {
		return e.kind + " " + e.host
	}
	return analysis.EndpointOf(e.method, e.host, e.url, c.templates).String()
}

// item is the API view of an entry; c.mu is held for reading.
func (e *entry) item() Item {
	it := Item{Capture: store.Capture{
		ID:            strconv.FormatUint(e.seq, 10),
		Time:          timeString(e.time),
		Client:        e.client,
		Process:       e.process,
		Kind:          e.kind,
		Method:        e.method,
		Host:          e.host,
		URL:           e.url,
		Status:        e.status,
		RequestBytes:  e.reqBytes,
		ResponseBytes: e.resBytes,
		Error:         e.err,
		Complete:      e.complete,
		Leaves:        []uint64{e.seq - 1},
	}, Endpoint: e.endpoint, BodyChanged: e.changed, Number: e.num, Name: e.name, ContentType: e.req.contentType}
	if e.end > e.time {
		it.DurationMS = float64(e.end-e.time) / 1e6
	}
	if e.respSeq != 0 {
		it.Leaves = append(it.Leaves, e.respSeq-1)
	}
	if e.prev != nil {
		it.Prev = strconv.FormatUint(e.prev.seq, 10)
	}
	return it
}

// Item is one capture in the list: what `telltale list --json` prints, and
// the endpoint it belongs to with its previous capture there.
type Item struct {
	store.Capture
	// Endpoint is analysis's "METHOD host /template"; "tunnel HOST" or
	// "denied HOST" for the other kinds.
	Endpoint string `json:"endpoint"`
	// Prev is the id of the previous capture of the same endpoint.
	Prev string `json:"prev,omitempty"`
	// BodyChanged is true when the request body differs from Prev's, byte
	// for byte, or there is no Prev. (The changed=1 filter asks more: a
	// field that is not volatile changed; changes.go.)
	BodyChanged bool `json:"body_changed"`
	// Drift counts the capture's drift events (a new endpoint, a new
	// field, a changed type); 0 without analysis.
	Drift int `json:"drift,omitempty"`
	// Number is the capture's number, 1, 2, 3… in log order, as `telltale
	// list` prints it (ids skip: a response record sits between two
	// captures).
	Number int `json:"number"`
	// Name is the endpoint's name from the inspect rules ("Compliance
	// upload"); "" when it has none.
	Name string `json:"name,omitempty"`
	// ReportedFor is the usage day the payload describes, YYYY-MM-DD
	// (the endpoint's usage_day rule: a compliance upload sent on 2 June
	// reports 1 June), when it says one; "" otherwise.
	ReportedFor string `json:"reported_for,omitempty"`
	// DurationMS is from the request to the end of the response.
	DurationMS float64 `json:"duration_ms,omitempty"`
	// ContentType is the request's.
	ContentType string `json:"content_type,omitempty"`
	// Snippet is the text around a free-text search's first hit.
	Snippet string `json:"snippet,omitempty"`
}

func (it Item) seq() uint64 {
	n, _ := strconv.ParseUint(it.ID, 10, 64)
	return n
}

// get returns the item of one capture, and the ids of the previous and
// next capture of its endpoint.
func (c *catalog) get(seq uint64) (it Item, next string, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.bySeq[seq]
	if e == nil {
		return Item{}, "", false
	}
	// The next one is the newest whose prev chain reaches e; walk back
	// from the endpoint's newest.
	for n := c.last[e.endpoint]; n != nil && n != e; n = n.prev {
		if n.prev == e {
			next = strconv.FormatUint(n.seq, 10)
			break
		}
	}
	return e.item(), next, true
}

// facet is one value of a field and how many captures have it.
type facet struct {
	Value string `json:"value"`
	Count int    `json:"count"`
	// Name is an exact endpoint's name from the profile ("Compliance
	// upload"), when it has one.
	Name string `json:"name,omitempty"`
}

// facets counts captures by host, method, kind and endpoint, for the
// filters' choices, and by exact endpoint ("POST host/path", as the
// signed capture index and an export by endpoint name it), for the
// export form's.
func (c *catalog) facets() map[string][]facet {
	counts := map[string]map[string]int{"hosts": {}, "methods": {}, "kinds": {}, "endpoints": {}, "exact_endpoints": {}}
	names := map[string]string{}
	c.mu.RLock()
	for _, e := range c.entries {
		counts["hosts"][e.host]++
		counts["kinds"][e.kind]++
		counts["endpoints"][e.endpoint]++
		if e.method != "" {
			counts["methods"][e.method]++
		}
		if e.exact != "" {
			counts["exact_endpoints"][e.exact]++
			names[e.exact] = e.name
		}
	}
	c.mu.RUnlock()
	out := map[string][]facet{}
	for name, m := range counts {
		list := make([]facet, 0, len(m))
		for v, n := range m {
			f := facet{Value: v, Count: n}
			if name == "exact_endpoints" {
				f.Name = names[v]
			}
			list = append(list, f)
		}
		slices.SortFunc(list, func(a, b facet) int {
			if a.Count != b.Count {
				return b.Count - a.Count
			}
			return strings.Compare(a.Value, b.Value)
		})
		out[name] = list
	}
	return out
}
