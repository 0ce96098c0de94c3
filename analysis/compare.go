package analysis

import (
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"

	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// Sides of an exchange a comparison covers.
const (
	SideRequest  = "request"
	SideResponse = "response"
	SideBoth     = "both"
)

// CompareOptions say what Compare compares.
type CompareOptions struct {
	// Side is SideRequest (also when ""), SideResponse or SideBoth.
	Side string
	// Headers adds the header fields of the sides compared, as paths
	// "@header:Name".
	Headers bool
}

// Comparison is what changed from one capture to another.
type Comparison struct {
	From         string   `json:"from"`
	To           string   `json:"to"`
	Endpoint     string   `json:"endpoint"`      // the endpoint of To
	FromEndpoint string   `json:"from_endpoint"` // the endpoint of From, usually the same
	FromTime     string   `json:"from_time"`
	ToTime       string   `json:"to_time"`
	Side         string   `json:"side"`
	Changes      []Change `json:"changes"`
	// Counted is the number of changes that are not volatile; Volatile
	// the number that are.
	Counted  int `json:"counted"`
	Volatile int `json:"volatile"`
	// Notes say why a body could not be compared in full (pruned,
	// truncated, a decoding limit).
	Notes []string `json:"notes,omitempty"`
}

// Change is one difference: inspect.Change with the side it is on.
type Change struct {
	Path string `json:"path"`
	Op   string `json:"op"` // added, removed, changed
	From any    `json:"from"`
	To   any    `json:"to"`
	// Side is request or response.
	Side        string `json:"side"`
	Volatile    bool   `json:"volatile,omitempty"`
	TypeChanged bool   `json:"type_changed,omitempty"`
	// Unified is a unified line diff when both values are texts.
	Unified string `json:"unified,omitempty"`
	// Personal is the personal-data category of the value, if any.
	Personal string `json:"personal,omitempty"`
}

// Compare diffs capture from with capture to. With from "", it compares
// to with the previous capture of its endpoint (Previous). Arrays are
// matched and changes marked volatile by the rule of to's endpoint.
func (a *Analyzer) Compare(from, to string, o CompareOptions) (*Comparison, error) {
	if o.Side == "" {
		o.Side = SideRequest
	}
	if o.Side != SideRequest && o.Side != SideResponse && o.Side != SideBoth {
		return nil, errf("side %q: want request, response or both", o.Side)
	}
	if from == "" {
		var err error
		if from, err = a.Previous(to); err != nil {
			return nil, err
		}
	}
	ca, epa, err := a.load(from)
	if err != nil {
		return nil, err
	}
	cb, epb, err := a.load(to)
	if err != nil {
		return nil, err
	}
	cmp := &Comparison{From: from, To: to, Endpoint: epb.String(), FromEndpoint: epa.String(),
		FromTime: ca.Time, ToTime: cb.Time, Side: o.Side, Changes: []Change{}}
	opts := a.diffOptions(a.rule(epb))
	for i, name := range sides {
		if o.Side != SideBoth && o.Side != name {
			continue
		}
		ma, mb := pick(ca, i), pick(cb, i)
		if err := a.compareSide(cmp, ca, cb, ma, mb, name, opts); err != nil {
			return nil, err
		}
		if o.Headers {
			cmp.Changes = append(cmp.Changes, a.compareHeaders(ma, mb, name)...)
		}
	}
	for _, c := range cmp.Changes {
		if c.Volatile {
			cmp.Volatile++
		} else {
			cmp.Counted++
		}
	}
	return cmp, nil
}

func pick(c *store.Capture, i int) *store.Message {
	if i == 0 {
		return c.Request
	}
	return c.Response
}

func (a *Analyzer) compareSide(cmp *Comparison, ca, cb *store.Capture, ma, mb *store.Message, name string, opts inspect.DiffOptions) error {
	sa, err := a.decode(ca, ma)
	if err != nil {
		return err
	}
	sb, err := a.decode(cb, mb)
	if err != nil {
		return err
	}
	for _, s := range []struct {
		id string
		side
	}{{ca.ID, sa}, {cb.ID, sb}} {
		if s.note != "" && s.note != "empty body" {
			cmp.Notes = append(cmp.Notes, fmt.Sprintf("capture %s %s: %s", s.id, name, s.note))
		}
		if s.part != nil {
			for _, n := range partNotes(s.part) {
				cmp.Notes = append(cmp.Notes, fmt.Sprintf("capture %s %s: %s", s.id, name, n))
			}
		}
	}
	pa, pb := sa.part, sb.part
	if pa == nil {
		pa = inspect.Decode(nil, inspect.Meta{}, a.opts.Decode)
	}
	if pb == nil {
		pb = inspect.Decode(nil, inspect.Meta{}, a.opts.Decode)
	}
	for _, c := range inspect.Diff(pa, pb, opts) {
		cmp.Changes = append(cmp.Changes, Change{Path: c.Path, Op: c.Op, From: c.From, To: c.To, Side: name,
			Volatile: c.Volatile, TypeChanged: c.TypeChanged, Unified: c.Unified, Personal: personalChange(c)})
	}
	return nil
}

// personalChange is the personal-data category of a changed value, by
// the same rules as Personal, looking at the change alone.
func personalChange(c inspect.Change) string {
	for _, v := range []any{c.To, c.From} {
		switch x := v.(type) {
		case string:
			if c.Unified != "" {
				if ps := personalText(c.Path, x); len(ps) > 0 {
					return ps[0].Category
				}
				continue
			}
			if p, ok := personalValue(c.Path, x); ok {
				return p.Category
			}
		case []any:
			if keyIn(memberName(c.Path), deviceListKeys, nil) {
				return PersonalDeviceID
			}
		}
	}
	return ""
}

// partNotes lists the notes and errors in a decoded tree, with where.
func partNotes(p *inspect.Part) []string {
	var out []string
	var walk func(p *inspect.Part, at string)
	walk = func(p *inspect.Part, at string) {
		if p.Name != "" {
			at = strings.TrimPrefix(at+"/"+p.Name, "/")
		}
		where := at
		if where == "" {
			where = "body"
		}
		if p.Error != "" {
			out = append(out, where+": "+p.Error)
		}
		if p.Note != "" {
			out = append(out, where+": "+p.Note)
		}
		for _, c := range p.Children {
			walk(c, at)
		}
	}
	walk(p, "")
	return out
}

// compareHeaders diffs header fields by canonical name; repeated fields
// are joined with ", ".
func (a *Analyzer) compareHeaders(ma, mb *store.Message, name string) []Change {
	ha, hb := headerMap(ma), headerMap(mb)
	keys := map[string]bool{}
	for k := range ha {
		keys[k] = true
	}
	for k := range hb {
		keys[k] = true
	}
	var out []Change
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		va, ina := ha[k]
		vb, inb := hb[k]
		c := Change{Path: "@header:" + k, Side: name, Volatile: a.volatileHeader(k)}
		switch {
		case ina && !inb:
			c.Op, c.From = inspect.OpRemoved, va
		case !ina && inb:
			c.Op, c.To = inspect.OpAdded, vb
		case va != vb:
			c.Op, c.From, c.To = inspect.OpChanged, va, vb
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

func (a *Analyzer) volatileHeader(name string) bool {
	return slices.ContainsFunc(a.opts.VolatileHeaders, func(v string) bool { return strings.EqualFold(v, name) })
}

func headerMap(m *store.Message) map[string]string {
	out := map[string]string{}
	if m == nil {
		return out
	}
	for _, h := range m.Headers {
		n := textproto.CanonicalMIMEHeaderKey(h.Name)
		if v, ok := out[n]; ok {
			out[n] = v + ", " + h.Value
			continue
		}
		out[n] = h.Value
	}
	return out
}
