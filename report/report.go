package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// Source is the analysis the report reads. *analysis.Analyzer implements
// it, over the store the captures come from.
type Source interface {
	Figures(q analysis.Query) ([]analysis.Point, error)
	Decoded(id string) (*analysis.Decoded, error)
}

var _ Source = (*analysis.Analyzer)(nil)

// Options say what the report covers and how to word it. The zero value
// reports without reconciliation, checkpoint or commands.
type Options struct {
	// Templates name endpoints as the analysis does (inspect.templates).
	Templates analysis.Templates
	// Scope says in words which captures were selected ("all captures",
	// "host cis.citrix.com, from 2026-05-01").
	Scope string
	// Measured is the user's own measurement; nil leaves the
	// reconciliation out, with a note on how to add it.
	Measured     []analysis.Measurement
	MeasuredName string // the file it came from
	Tolerance    analysis.Tolerance
	// Catalog names the licenses; nil is the built-in one. Entitlements
	// are the contract's, for the position.
	Catalog      *analysis.Catalog
	Entitlements []analysis.Entitlement
	// Numbers give the captures the numbers the review UI and `telltale
	// list` show; nil shows their ids.
	Numbers *analysis.Numbers

	// Checkpoint is the signed checkpoint the captures are proven
	// against; nil when the log has none yet.
	Checkpoint *Checkpoint
	// Verify are the commands that check the evidence, shown as they are.
	Verify []string
	// InBundle words the page for a copy inside an export bundle.
	InBundle bool

	Tool string           // the program and version, shown in the footer
	Now  func() time.Time // when the report is made; nil means time.Now
}

// Checkpoint is a signed checkpoint of the evidence log.
type Checkpoint struct {
	TreeSize    uint64
	RootHash    string
	Time        string // when it was signed
	Origin      string // the log's name
	Key         string // the verifier key (log.pub)
	Fingerprint string // SHA-256 of the public key (evidence.Fingerprint)
	Note        string // the signed note, as checkpoint.txt holds it
	// Timestamp is what its RFC 3161 timestamp proves, "proven no later
	// than <genTime> by <TSA>"; "" when it has none.
	Timestamp string
}

// Report is the content of the page, built by Build.
type Report struct {
	Generated string
	Tool      string
	Scope     string
	InBundle  bool

	// Totals over the captures.
	Captures           int
	First, Last        string
	BytesUp, BytesDown int64

	Endpoints []Endpoint
	Figures   []Series
	Groups    []Group // Figures by feature, for the page
	// Points are every figure the captures reported, by reported time:
	// figures.csv.
	Points []analysis.Point

	Reconciliation *analysis.Reconciliation // nil without a measurement
	MeasuredName   string

	// Position is the license position over every usage day reported,
	// the report's first section; PositionRows word it.
	Position     analysis.Position
	PositionRows []PositionRow

	Personal   Personal
	Checkpoint *Checkpoint
	Verify     []string

	// Numbered: captures are shown by their numbers (Options.Numbers).
	Numbered bool
	numbers  *analysis.Numbers
}

// No is how the page names capture id: its number when the report has
// them, else the id.
func (r *Report) No(id string) string {
	if r.numbers != nil {
		if n := r.numbers.Number(id); n > 0 {
			return strconv.Itoa(n)
		}
	}
	return id
}

// Endpoint is one row of "what was sent": one endpoint's captures.
type Endpoint struct {
	Name               string
	Captures           int
	First, Last        string
	BytesUp, BytesDown int64
	Statuses           string // "200 ×28, 503 ×2"
	// SentBy names the programs on the proxy's host that sent them:
	// "CitrixLicensingTelemetry.exe (service CitrixLicensingTelemetry) ×28";
	// "" when every client was on another host.
	SentBy string
}

// Build gathers the report of caps (oldest first) from src.
func Build(src Source, caps []store.Capture, o Options) (*Report, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	r := &Report{Generated: now().UTC().Format(displayTime), Tool: o.Tool, Scope: o.Scope, InBundle: o.InBundle,
		Checkpoint: o.Checkpoint, Verify: o.Verify, MeasuredName: o.MeasuredName, Captures: len(caps)}
	if r.Scope == "" {
		r.Scope = "all captures"
	}
	r.Endpoints = endpoints(caps, o.Templates, r)
	pts, err := points(src, caps)
	if err != nil {
		return nil, err
	}
	r.Points = pts
	r.Figures = series(pts)
	r.Groups = groups(r.Figures)
	numberRows(r.Groups, o.Numbers)
	r.numbers, r.Numbered = o.Numbers, o.Numbers != nil
	r.Judge(o)
	if err := r.personal(src, caps); err != nil {
		return nil, err
	}
	return r, nil
}

// endpoints sums the captures per endpoint, and the totals into r.
func endpoints(caps []store.Capture, templates analysis.Templates, r *Report) []Endpoint {
	byName := map[string]*Endpoint{}
	statuses := map[string]map[int]int{}
	senders := map[string]*counts{}
	var order []string
	for _, c := range caps {
		name := endpointName(c, templates)
		e := byName[name]
		if e == nil {
			e = &Endpoint{Name: name, First: c.Time}
			byName[name], statuses[name], senders[name] = e, map[int]int{}, &counts{}
			order = append(order, name)
		}
		e.Captures++
		e.Last = c.Time
		e.BytesUp += max(c.RequestBytes, 0)
		e.BytesDown += max(c.ResponseBytes, 0)
		statuses[name][c.Status]++
		if c.Process != nil {
			senders[name].add(c.Process.Program())
		}
		r.BytesUp += max(c.RequestBytes, 0)
		r.BytesDown += max(c.ResponseBytes, 0)
	}
	if len(caps) > 0 {
		r.First, r.Last = caps[0].Time, caps[len(caps)-1].Time
	}
	out := make([]Endpoint, 0, len(order))
	for _, name := range order {
		e := byName[name]
		e.Statuses = statusText(statuses[name])
		e.SentBy = senders[name].String()
		out = append(out, *e)
	}
	slices.SortStableFunc(out, func(a, b Endpoint) int { return b.Captures - a.Captures })
	return out
}

// endpointName is the analysis's "METHOD host /template" for an
// exchange, "tunnel HOST" or "denied HOST" for the others.
func endpointName(c store.Capture, templates analysis.Templates) string {
	if c.Kind != store.CaptureExchange {
		return c.Kind + " " + strings.ToLower(c.Host)
	}
	return analysis.EndpointOf(c.Method, c.Host, c.URL, templates).String()
}

// counts counts strings in the order first seen: "a ×2, b ×1".
type counts struct {
	order []string
	n     map[string]int
}

func (c *counts) add(s string) {
	if c.n == nil {
		c.n = map[string]int{}
	}
	if c.n[s] == 0 {
		c.order = append(c.order, s)
	}
	c.n[s]++
}

func (c *counts) String() string {
	parts := make([]string, len(c.order))
	for i, s := range c.order {
		parts[i] = fmt.Sprintf("%s ×%d", s, c.n[s])
	}
	return strings.Join(parts, ", ")
}

func statusText(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		s := strconv.Itoa(c)
		if c == 0 {
			s = "none"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", s, m[c]))
	}
	return strings.Join(parts, ", ")
}

// points are the figures the captures reported, by reported time, then
// capture.
func points(src Source, caps []store.Capture) ([]analysis.Point, error) {
	if len(caps) == 0 {
		return nil, nil
	}
	all, err := src.Figures(analysis.Query{})
	if err != nil {
		return nil, fmt.Errorf("report: figures: %w", err)
	}
	ids := make(map[string]bool, len(caps))
	for _, c := range caps {
		ids[c.ID] = true
	}
	var out []analysis.Point
	for _, p := range all {
		if ids[p.ID] {
			out = append(out, p)
		}
	}
	return SortPoints(out), nil
}

// SortPoints orders figures as the report and figures.csv list them: by
// reported time, then capture id; a capture's own in the order given.
func SortPoints(pts []analysis.Point) []analysis.Point {
	slices.SortStableFunc(pts, func(a, b analysis.Point) int {
		if c := strings.Compare(a.Time, b.Time); c != 0 {
			return c
		}
		return cmpID(a.ID, b.ID)
	})
	return pts
}

func cmpID(a, b string) int {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// displayTime is how the page shows times: UTC, to the second.
const displayTime = "2006-01-02 15:04:05 UTC"

// showTime formats a stored time for the page.
func showTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format(displayTime)
}

// PositionRow is one license of the position, in words.
type PositionRow struct {
	analysis.LicensePosition
	Headline string
	Lines    []string
}

// position works out the position over every usage day the points
// report (not only the last 30).
// Judge works out the position, and with a measurement the
// reconciliation, of r's figures (Points) with o's licenses and
// measurement; Build does, and so does `telltale verify` over a bundle's
// figures made again, with the bundle's licenses.json.
func (r *Report) Judge(o Options) {
	r.position(r.Points, o)
	r.Reconciliation = nil
	if o.Measured != nil {
		rec := analysis.Reconcile(analysis.WithOverdraft(r.Points), o.Measured, o.Tolerance)
		slices.SortFunc(rec.Mismatches, func(a, b analysis.Mismatch) int {
			return strings.Compare(a.Date+"\x00"+a.Name, b.Date+"\x00"+b.Name)
		})
		r.Reconciliation = &rec
	}
}

func (r *Report) position(pts []analysis.Point, o Options) {
	r.PositionRows = nil
	since := ""
	for _, p := range pts {
		if strings.HasSuffix(p.Name, ".CountUsedMax") && (since == "" || p.Date() < since) {
			since = p.Date()
		}
	}
	r.Position = analysis.ComputePosition(pts, analysis.PositionOptions{Since: since, Catalog: o.Catalog,
		Entitlements: o.Entitlements, Measured: o.Measured, Numbers: o.Numbers})
	for _, l := range r.Position.Licenses {
		r.PositionRows = append(r.PositionRows, PositionRow{l, l.Headline(), analysis.PositionLines(l)})
	}
}
