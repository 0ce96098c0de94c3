package analysis

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// Analyzer decodes, compares and learns from the captures of one store.
// Its methods are safe for concurrent use.
type Analyzer struct {
	st    *store.Store
	opts  Options
	rules []*compiledRule
	log   zerolog.Logger
	db    derivedDB

	// readOnly: derived data lives in memory, caught up on first query.
	readOnly   bool
	catchUp    sync.Once
	catchUpErr error

	// scanMu serialises scans: the scanning goroutine is the only writer
	// of derived data and of the fields below.
	scanMu    sync.Mutex
	cursor    uint64                   // next record to look at
	startSize uint64                   // records in the log when New ran: unfinished ones are dead
	endpoints map[string]*EndpointInfo // baselines read or written so far
	live      bool                     // scans after catch-up report drift to OnDrift
	last      [2]lastBody              // request and response body analysed last (learn.go)

	w *worker // nil until Start
}

// New returns an Analyzer over st. On a writable store derived data is
// kept in the store's derived buckets, rebuilt when the rules changed;
// on a read-only store it is read into memory and brought up to date
// there, in memory only, on the first query.
func New(st *store.Store, opts Options) (*Analyzer, error) {
	a := &Analyzer{
		st: st, opts: opts, rules: compileRules(opts.Rules),
		log:       opts.Logger.With().Str("component", "analysis").Logger(),
		endpoints: map[string]*EndpointInfo{},
	}
	size, err := st.Size()
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	a.startSize = size
	if a.db, err = openDerived(st); err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	_, a.readOnly = a.db.(*memDB)
	if a.cursor, err = prepare(a.db, opts.fingerprint()); err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	return a, nil
}

// side is one body of a capture, decoded.
type side struct {
	msg  *store.Message
	part *inspect.Part // nil when there is no body to decode
	note string        // why the body is missing or partial
}

// load reads a capture and checks that it is a complete exchange.
func (a *Analyzer) load(id string) (*store.Capture, Endpoint, error) {
	c, err := a.st.Capture(id)
	if err != nil {
		return nil, Endpoint{}, err
	}
	if c.Kind != store.CaptureExchange || !c.Complete || c.Request == nil {
		return nil, Endpoint{}, fmt.Errorf("capture %s (%s): %w", id, c.Kind, ErrNotExchange)
	}
	return c, a.endpointOf(c), nil
}

func (a *Analyzer) endpointOf(c *store.Capture) Endpoint {
	return EndpointOf(c.Method, c.Host, c.URL, a.opts.Templates)
}

// decode decodes one side of a capture. A body that is empty, was
// pruned or was never stored yields no part, and a note.
func (a *Analyzer) decode(c *store.Capture, m *store.Message) (side, error) {
	s := side{msg: m}
	switch {
	case m == nil:
		s.note = "no message"
		return s, nil
	case m.Pruned:
		s.note = "body pruned by retention"
		return s, nil
	case m.BodySize == 0:
		s.note = "empty body"
		return s, nil
	}
	key := store.BodyRef{SHA256: m.BodySHA256, Truncated: m.Truncated, StoredSHA256: m.StoredSHA256}.StoredKey()
	rc, size, err := a.st.OpenBody(key)
	if errors.Is(err, store.ErrNotFound) {
		s.note = "body not stored"
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("capture %s body: %w", c.ID, err)
	}
	defer rc.Close()
	if a.opts.MaxBody > 0 && size > a.opts.MaxBody {
		s.note = fmt.Sprintf("not analysed live: %d stored bytes, more than inspect.max_analysed_bytes (%d); `telltale diff` decodes it", size, a.opts.MaxBody)
		return s, nil
	}
	b, err := io.ReadAll(rc)
	if err != nil {
		return s, fmt.Errorf("capture %s body: %w", c.ID, err)
	}
	s.part = inspect.Decode(b, metaOf(c, m), a.opts.Decode)
	if m.Truncated {
		s.note = fmt.Sprintf("stored truncated: %d of %d bytes", len(b), m.BodySize)
	}
	return s, nil
}

// metaOf is what the headers say about a body, and a file name from the
// URL when its last segment has an extension.
func metaOf(c *store.Capture, m *store.Message) inspect.Meta {
	meta := inspect.Meta{ContentType: header(m.Headers, "Content-Type"), ContentEncoding: header(m.Headers, "Content-Encoding")}
	if m.Method != "" {
		p := c.URL
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			p = p[:i]
		}
		if base := path.Base(p); path.Ext(base) != "" && !strings.Contains(base, ":") {
			meta.Name = base
		}
	}
	if _, params, err := mime.ParseMediaType(header(m.Headers, "Content-Disposition")); err == nil && params["filename"] != "" {
		meta.Name = params["filename"]
	}
	return meta
}

// header is the value of the first header named name, any case.
func header(hs []store.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Previous returns the id of the latest capture of the same endpoint
// before capture id: a complete exchange with the same method, host and
// path template. It fails with ErrNoPrevious for the first one.
func (a *Analyzer) Previous(id string) (string, error) {
	c, ep, err := a.load(id)
	if err != nil {
		return "", err
	}
	t, err := time.Parse(time.RFC3339Nano, c.Time)
	if err != nil {
		return "", fmt.Errorf("capture %s: time %q: %w", id, c.Time, err)
	}
	caps, err := a.st.List(store.Query{Host: c.Host, Until: t.Add(1)})
	if err != nil {
		return "", err
	}
	for i := len(caps) - 1; i >= 0; i-- {
		p := caps[i]
		if p.ID == id || !before(p, *c) || p.Kind != store.CaptureExchange || !p.Complete {
			continue
		}
		if a.endpointOf(&p) == ep {
			return p.ID, nil
		}
	}
	return "", fmt.Errorf("capture %s is the first of %s: %w", id, ep, ErrNoPrevious)
}

// before orders captures as List does: by time, then by id.
func before(p, c store.Capture) bool {
	if p.Time != c.Time {
		return p.Time < c.Time
	}
	return len(p.ID) < len(c.ID) || len(p.ID) == len(c.ID) && p.ID < c.ID
}
