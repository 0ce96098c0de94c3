package analysis

import (
	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// Decoded is one capture decoded, for review.
type Decoded struct {
	ID       string       `json:"id"`
	Time     string       `json:"time"`
	Endpoint string       `json:"endpoint"`
	Request  *DecodedBody `json:"request"`
	Response *DecodedBody `json:"response"` // nil when the exchange got no response
}

// DecodedBody is one decoded body.
type DecodedBody struct {
	ContentType     string `json:"content_type"`
	ContentEncoding string `json:"content_encoding,omitempty"`
	Size            int64  `json:"size"` // on the wire
	SHA256          string `json:"sha256"`
	Truncated       bool   `json:"truncated,omitempty"`
	Pruned          bool   `json:"pruned,omitempty"`
	// Note says why there is no tree, or why it is partial.
	Note string `json:"note,omitempty"`
	// Tree is the decoded structure (nil for an empty, pruned or missing
	// body); Fields its values by path.
	Tree     *Node           `json:"tree"`
	Fields   []DecodedField  `json:"fields"`
	Personal []PersonalField `json:"personal"`
	// Identities are the distinct personal identifiers a request carries
	// (at most maxDecodedIdentities), IdentityCount how many there are.
	Identities    []Found `json:"identities,omitempty"`
	IdentityCount int     `json:"identity_count,omitempty"`
	// IdentityCounts count them all as every surface does
	// (CountIdentities); nil when the request carries none.
	IdentityCounts *IdentityCounts `json:"identity_counts,omitempty"`
	// Figures are the figures a request reports.
	Figures []Point `json:"figures,omitempty"`
	// Usage is what a usage upload's per-slice files say: distinct users
	// and devices, check-outs and check-ins per feature per usage day.
	Usage []UsageRow `json:"usage,omitempty"`
}

// DecodedField is one value at its path.
type DecodedField struct {
	inspect.Field
	// Volatile: the endpoint's rule expects it to change every time.
	Volatile bool `json:"volatile,omitempty"`
}

// Node is one part of a decoded body (inspect.Part without its bytes).
type Node struct {
	Type        string  `json:"type"`
	Name        string  `json:"name,omitempty"`
	Filename    string  `json:"filename,omitempty"`
	ContentType string  `json:"content_type,omitempty"`
	Size        int64   `json:"size"`
	Offset      int64   `json:"offset"` // in the parent's decoded bytes; -1 when not a slice of them
	Error       string  `json:"error,omitempty"`
	Note        string  `json:"note,omitempty"`
	Hex         string  `json:"hex,omitempty"` // hexdump of the first 512 bytes of an undecoded part
	Children    []*Node `json:"children,omitempty"`
}

func nodeOf(p *inspect.Part) *Node {
	n := &Node{Type: p.Type, Name: p.Name, Filename: p.Filename, ContentType: p.ContentType,
		Size: p.Size, Offset: p.Offset, Error: p.Error, Note: p.Note}
	if p.Type == inspect.TypeBytes {
		n.Hex = p.Hex(512)
	}
	for _, c := range p.Children {
		n.Children = append(n.Children, nodeOf(c))
	}
	return n
}

// Decoded decodes both bodies of a capture and flags their volatile
// fields, personal data and figures.
func (a *Analyzer) Decoded(id string) (*Decoded, error) {
	c, ep, err := a.load(id)
	if err != nil {
		return nil, err
	}
	r := a.rule(ep)
	var vol []*glob
	for _, p := range a.diffOptions(r).Volatile {
		vol = append(vol, compileGlob(p))
	}
	d := &Decoded{ID: c.ID, Time: c.Time, Endpoint: ep.String()}
	for i, m := range []*store.Message{c.Request, c.Response} {
		if m == nil {
			continue
		}
		s, err := a.decode(c, m)
		if err != nil {
			return nil, err
		}
		b := &DecodedBody{ContentType: header(m.Headers, "Content-Type"), ContentEncoding: header(m.Headers, "Content-Encoding"),
			Size: m.BodySize, SHA256: m.BodySHA256, Truncated: m.Truncated, Pruned: m.Pruned, Note: s.note,
			Fields: []DecodedField{}, Personal: []PersonalField{}}
		if s.part != nil {
			b.Tree = nodeOf(s.part)
			fields := inspect.Fields(s.part)
			for _, f := range fields {
				b.Fields = append(b.Fields, DecodedField{Field: f, Volatile: anyGlob(vol, f.Path)})
			}
			b.Personal = append(b.Personal, Personal(fields)...)
			if i == 0 {
				b.Figures = a.points(c, ep, s.part, indexFields(fields))
				b.Usage = UsageIn(fields)
				ids := identitiesOf(fields)
				b.IdentityCount = len(ids)
				if len(ids) > 0 {
					n := CountIdentities(IdentitiesIn(&Decoded{ID: c.ID, Time: c.Time, Endpoint: d.Endpoint, Request: b}))
					b.IdentityCounts = &n
				}
				for _, f := range ids[:min(len(ids), maxDecodedIdentities)] {
					b.Identities = append(b.Identities, Found{Category: f.category, Value: f.value})
				}
			}
		}
		if i == 0 {
			d.Request = b
		} else {
			d.Response = b
		}
	}
	return d, nil
}

// maxDecodedIdentities bounds the identifiers a decoded body lists.
const maxDecodedIdentities = 200

// Found is one personal identifier in one body.
type Found struct {
	Category string `json:"category"`
	Value    string `json:"value"`
}

func anyGlob(gs []*glob, path string) bool {
	for _, g := range gs {
		if g.match(path) {
			return true
		}
	}
	return false
}
