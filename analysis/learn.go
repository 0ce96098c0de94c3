package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// Drift kinds: inspect's, and the first capture of an endpoint.
const (
	DriftNewEndpoint = "new_endpoint"
	DriftNewField    = inspect.DriftNewField
	DriftTypeChanged = inspect.DriftTypeChanged
)

// DriftEvent is one way a capture differs from what its endpoint sent
// before: the endpoint itself is new, a field is new, or a field's type
// changed. Fields that stop being sent are not drift (optional fields
// come and go); a diff shows them.
type DriftEvent struct {
	ID       string `json:"id"`   // the capture
	Time     string `json:"time"` // when it was captured, TimeFormat
	Endpoint string `json:"endpoint"`
	Side     string `json:"side,omitempty"` // request or response; "" for new_endpoint
	Kind     string `json:"kind"`
	Path     string `json:"path,omitempty"` // a shape path: indexes as "[]"
	Old      string `json:"old,omitempty"`  // types seen before, "|"-joined
	New      string `json:"new,omitempty"`  // types seen now
}

// EndpointInfo is what Telltale learnt about one endpoint.
type EndpointInfo struct {
	Endpoint string `json:"endpoint"`
	// Name is the endpoint's name (Names), filled in by the admin API.
	Name      string `json:"name,omitempty"`
	Method    string `json:"method"`
	Host      string `json:"host"`
	Template  string `json:"template"`
	Captures  int    `json:"captures"`
	FirstID   string `json:"first_id"`
	FirstTime string `json:"first_time"`
	LastID    string `json:"last_id"`
	LastTime  string `json:"last_time"`
	// RequestShape and ResponseShape map each shape path to its types.
	RequestShape  map[string]string `json:"request_shape"`
	ResponseShape map[string]string `json:"response_shape"`
	// Personal lists the request fields that carried personal data, by
	// shape path, with how many captures sent each.
	Personal []PersonalField `json:"personal"`
}

// learned is what one capture taught.
type learned struct {
	id         uint64
	time       time.Time
	ep         Endpoint
	shapes     [2]map[string]string // request, response; nil when no body
	personal   []PersonalField
	identities []found
	points     []Point
	events     []DriftEvent // filled by apply
}

var sides = [2]string{"request", "response"}

// learn decodes a complete exchange and extracts its shapes, figures and
// personal data.
func (a *Analyzer) learn(c *store.Capture, r *store.Record) (*learned, error) {
	ep := a.endpointOf(c)
	l := &learned{id: r.Seq, time: r.Time.UTC(), ep: ep}
	for i, m := range []*store.Message{c.Request, c.Response} {
		b, err := a.lastOrDecode(i, c, m)
		if err != nil {
			return nil, err
		}
		if b.part == nil {
			continue
		}
		l.shapes[i] = b.shape
		if i == 0 {
			l.personal, l.identities = b.personal, b.identities
			l.points = a.points(c, ep, b.part, b.index)
		}
	}
	return l, nil
}

// lastBody is what learn derived from a body, kept for the next capture:
// a License Server sends many byte-identical bodies (token requests,
// unchanged uploads, empty answers), and decoding one again would only
// cost the CPU the proxy needs. The maps and slices are read-only once
// made.
type lastBody struct {
	key        string
	meta       inspect.Meta
	part       *inspect.Part
	shape      map[string]string
	personal   []PersonalField
	identities []found
	index      *fieldIndex
}

// maxLastBody bounds the bodies kept as lastBody, and so the memory a
// decoded one holds between captures.
const maxLastBody = 1 << 20

// lastOrDecode returns what side i (request 0, response 1) of c yields,
// from the previous capture's when its body was the same bytes with the
// same content headers. Called with scanMu held.
func (a *Analyzer) lastOrDecode(i int, c *store.Capture, m *store.Message) (lastBody, error) {
	var key string
	var meta inspect.Meta
	if m != nil && !m.Pruned && m.BodySize > 0 {
		key = store.BodyRef{SHA256: m.BodySHA256, Truncated: m.Truncated, StoredSHA256: m.StoredSHA256}.StoredKey()
		meta = metaOf(c, m)
	}
	if key != "" && a.last[i].key == key && a.last[i].meta == meta {
		return a.last[i], nil
	}
	s, err := a.decode(c, m)
	if err != nil || s.part == nil {
		return lastBody{}, err
	}
	b := lastBody{key: key, meta: meta, part: s.part, shape: inspect.Shape(s.part)}
	if i == 0 {
		fields := inspect.Fields(s.part)
		b.personal, b.index, b.identities = Personal(fields), indexFields(fields), identitiesOf(fields)
	}
	if key != "" && s.note == "" && m.BodySize <= maxLastBody {
		a.last[i] = b
	}
	return b, nil
}

// points are the figures of a request body, dated.
func (a *Analyzer) points(c *store.Capture, ep Endpoint, p *inspect.Part, ix *fieldIndex) []Point {
	r := a.rule(ep)
	var pts []Point
	switch {
	case r != nil && len(r.figures) > 0:
		pts = r.extract(ix)
	case a.opts.HeuristicFigures:
		pts = heuristicFigures(p)
	}
	when, spec := c.Time, ""
	if r != nil {
		if t, ok := ix.reportedTime(r.Time); ok {
			when = t.Format(store.TimeFormat)
		}
		spec = r.UsageDay
	}
	day := ix.usageDay(spec, when)
	pts = append(pts, usagePoints(ix.usage())...)
	for i := range pts {
		pts[i].ID, pts[i].Time, pts[i].Captured, pts[i].Endpoint = c.ID, when, c.Time, ep.String()
		if pts[i].Day == "" { // a usage row carries its own
			pts[i].Day = day
		}
	}
	return pts
}

// apply merges what a capture taught into its endpoint's baseline and
// returns the endpoint, to be written.
func (a *Analyzer) apply(t table, l *learned) (*EndpointInfo, error) {
	key := l.ep.String()
	id := strconv.FormatUint(l.id, 10)
	at := l.time.Format(store.TimeFormat)
	e, err := a.endpoint(t, key)
	if err != nil {
		return nil, err
	}
	if e == nil {
		e = &EndpointInfo{Endpoint: key, Method: l.ep.Method, Host: l.ep.Host, Template: l.ep.Template,
			FirstID: id, FirstTime: at, RequestShape: map[string]string{}, ResponseShape: map[string]string{}}
		a.endpoints[key] = e
		l.events = append(l.events, DriftEvent{ID: id, Time: at, Endpoint: key, Kind: DriftNewEndpoint})
	} else {
		for i, base := range []map[string]string{e.RequestShape, e.ResponseShape} {
			if l.shapes[i] == nil || e.Captures == 0 {
				continue
			}
			for _, d := range inspect.Drift(base, l.shapes[i]) {
				if d.Kind == inspect.DriftRemovedField || len(base) == 0 {
					continue
				}
				l.events = append(l.events, DriftEvent{ID: id, Time: at, Endpoint: key, Side: sides[i],
					Kind: d.Kind, Path: d.Path, Old: d.Old, New: d.New})
			}
		}
	}
	if l.shapes[0] != nil {
		e.RequestShape = inspect.Merge(e.RequestShape, l.shapes[0])
	}
	if l.shapes[1] != nil {
		e.ResponseShape = inspect.Merge(e.ResponseShape, l.shapes[1])
	}
	e.Captures++
	e.LastID, e.LastTime = id, at
	e.Personal = mergePersonal(e.Personal, l.personal)
	return e, nil
}

// endpoint returns an endpoint's baseline from the cache or the table.
func (a *Analyzer) endpoint(t table, key string) (*EndpointInfo, error) {
	if e, ok := a.endpoints[key]; ok {
		return e, nil
	}
	v := t.Get(store.DerivedEndpoints, []byte(key))
	if v == nil {
		return nil, nil
	}
	var e EndpointInfo
	if err := json.Unmarshal(v, &e); err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", key, err)
	}
	a.endpoints[key] = &e
	return &e, nil
}

// mergePersonal adds one capture's personal fields, by shape path and
// category, to an endpoint's summary, counting captures.
func mergePersonal(sum []PersonalField, fields []PersonalField) []PersonalField {
	idx := map[[2]string]int{}
	for i, p := range sum {
		idx[[2]string{p.Path, p.Category}] = i
	}
	seen := map[[2]string]bool{}
	for _, f := range fields {
		k := [2]string{shapeOf(f.Path), f.Category}
		if seen[k] {
			continue
		}
		seen[k] = true
		if i, ok := idx[k]; ok {
			sum[i].Count++
			continue
		}
		idx[k] = len(sum)
		sum = append(sum, PersonalField{Path: k[0], Category: f.Category, Why: f.Why, Count: 1, Side: "request"})
	}
	slices.SortFunc(sum, func(x, y PersonalField) int {
		if x.Path != y.Path {
			return compareStrings(x.Path, y.Path)
		}
		return compareStrings(x.Category, y.Category)
	})
	return sum
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// save writes a batch of learned captures and the cursor in one
// transaction, and reports their drift. On error the cache is dropped,
// since it may hold what was not written.
func (a *Analyzer) save(batch []*learned, next uint64) error {
	err := a.db.write(func(t table) error {
		dirty := map[string]*EndpointInfo{}
		for _, l := range batch {
			e, err := a.apply(t, l)
			if err != nil {
				return err
			}
			dirty[e.Endpoint] = e
			if err := putAll(t, store.DerivedDrift, l.time, l.id, l.events); err != nil {
				return err
			}
			if err := putPoints(t, l); err != nil {
				return err
			}
			if err := mergeIdentities(t, l); err != nil {
				return err
			}
		}
		for _, key := range slices.Sorted(maps.Keys(dirty)) {
			b, _ := json.Marshal(dirty[key])
			if err := t.Put(store.DerivedEndpoints, []byte(key), b); err != nil {
				return err
			}
		}
		return t.Put(store.DerivedMeta, keyCursor, cursorValue(next))
	})
	if err != nil {
		clear(a.endpoints)
		return fmt.Errorf("save derived data: %w", err)
	}
	a.cursor = next
	a.report(batch)
	return nil
}

func putAll[T any](t table, bucket string, at time.Time, seq uint64, items []T) error {
	for i, it := range items {
		b, _ := json.Marshal(it)
		if err := t.Put(bucket, eventKey(at, seq, i), b); err != nil {
			return err
		}
	}
	return nil
}

// putPoints keys figures by the time they are for.
func putPoints(t table, l *learned) error {
	for i, p := range l.points {
		at, err := time.Parse(time.RFC3339Nano, p.Time)
		if err != nil {
			at = l.time
		}
		b, _ := json.Marshal(p)
		if err := t.Put(store.DerivedFigures, eventKey(at, l.id, i), b); err != nil {
			return err
		}
	}
	return nil
}

// report logs drift and hands it to OnDrift, a capture at a time, when
// live. Each drift is logged once: at warn level here, unless OnDrift
// takes it over (serve raises an alert, whose line is the log), and at
// debug level during catch-up (which sums up at the end).
func (a *Analyzer) report(batch []*learned) {
	for _, l := range batch {
		for _, d := range l.events {
			ev := a.log.Debug()
			if a.live && a.opts.OnDrift == nil {
				ev = a.log.Warn()
			}
			ev = ev.Str("id", d.ID).Str("endpoint", d.Endpoint).Str("kind", d.Kind)
			for k, v := range map[string]string{"side": d.Side, "path": d.Path, "old": d.Old, "new": d.New} {
				if v != "" {
					ev = ev.Str(k, v)
				}
			}
			ev.Msg("analysis: drift")
		}
		if a.live && a.opts.OnDrift != nil && len(l.events) > 0 {
			a.opts.OnDrift(l.events)
		}
		if p, ok := l.plainUsers(); ok && a.live && a.opts.OnPlainUsers != nil {
			a.opts.OnPlainUsers(p)
		}
	}
}

// Sentinels that stop a scan early.
var (
	errWaiting = errors.New("waiting for a response")
	errStopped = errors.New("analyzer stopping")
)

// scan analyses every complete exchange from the cursor on, in log
// order, saving in batches. It stops at an exchange still waiting for its
// response, unless that exchange can no longer complete: it was open
// when the Analyzer was made (the process that would finish it is gone),
// or it is older than StaleAfter. It returns how many drift events it
// found.
func (a *Analyzer) scan(stop <-chan struct{}) (int, error) {
	a.scanMu.Lock()
	defer a.scanMu.Unlock()
	var batch []*learned
	next, total := a.cursor, 0
	flush := func() error {
		if len(batch) == 0 && next == a.cursor {
			return nil
		}
		err := a.save(batch, next)
		for _, l := range batch {
			total += len(l.events)
		}
		batch = batch[:0]
		return err
	}
	err := a.st.Captures(a.cursor, func(r *store.Record, c *store.Capture) error {
		select {
		case <-stop:
			return errStopped
		default:
		}
		if r.Kind == store.KindRequest {
			l, err := a.analyse(r, c)
			if err != nil {
				return err
			}
			if l != nil {
				batch = append(batch, l)
			}
		}
		next = r.Seq + 1
		if len(batch) >= a.opts.batch() {
			return flush()
		}
		return nil
	})
	if err != nil && !errors.Is(err, errWaiting) && !errors.Is(err, errStopped) {
		return total, err
	}
	return total, flush()
}

// analyse learns from the capture c that request record r opened; nil
// when it is not complete and never will be.
func (a *Analyzer) analyse(r *store.Record, c *store.Capture) (*learned, error) {
	if !c.Complete {
		if r.Seq <= a.startSize || a.opts.now().Sub(r.Time) > a.opts.staleAfter() {
			return nil, nil
		}
		return nil, errWaiting
	}
	l, err := a.learn(c, r)
	if errors.Is(err, store.ErrClosed) {
		return nil, err
	}
	if err != nil {
		// One unreadable body must not stop the analysis of the rest.
		a.log.Error().Err(err).Str("id", c.ID).Msg("analysis: capture skipped")
		return nil, nil
	}
	return l, nil
}
