package inspect

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Field is one value of a decoded tree at its path.
type Field struct {
	Path string `json:"path"`
	// Type is object, array, string, number, bool, null, text or bytes.
	Type string `json:"type"`
	// Value is the scalar (string, json.Number, bool, nil), the text of a
	// text part, "sha256:<hex>" for bytes, and nil for objects and arrays.
	Value any `json:"value"`
}

// Fields flattens p to its fields in document order: every object, array
// and scalar of each JSON or XML document, one text field per text part and
// one bytes field per undecoded part. Encoding layers are transparent.
func Fields(p *Part) []Field {
	c := &collector{}
	c.part(p, loc{})
	out := make([]Field, len(c.recs))
	for i, r := range c.recs {
		out[i] = r.Field
	}
	return out
}

// rec is a field with what Shape and Figures need besides.
type rec struct {
	Field
	shape string
	key   string // the member name the value sits under, "@" stripped
	name  string // figure name: nearest id, then member names below it
	num   string // the number the value reads as, or ""
}

// collector walks a tree into recs. It tracks the member names from the
// document root and the objects on the way that carry an id, for Figures.
type collector struct {
	recs   []rec
	idKeys []string
	keys   []string
	ids    []idMark
	xml    bool // inside an XML document, whose numbers are strings
}

type idMark struct {
	value string
	depth int // len(keys) at the object that carries the id
}

func (c *collector) part(p *Part, at loc) {
	p = p.Content()
	switch unitKind(p) {
	case "container":
		for _, cs := range childSteps(p) {
			c.part(cs.part, at.step(cs.step, cs.shape))
		}
	case TypeJSON, TypeXML:
		t, root := docRoot(p)
		wasXML := c.xml
		c.xml = p.Type == TypeXML
		c.node(t, at.in(root, root))
		c.xml = wasXML
	case TypeText:
		s, _ := p.Value.(string)
		c.emit(at, KindText, s)
	default:
		c.emit(at, KindBytes, digest(p.Raw))
	}
}

func (c *collector) node(n *node, at loc) {
	if n.sub != nil {
		c.part(n.sub, at.descend())
		return
	}
	if !n.implicit {
		c.emit(at, n.kind, n.val)
	}
	switch n.kind {
	case KindObject:
		pushed := c.pushID(n)
		for i, k := range n.keys {
			if k != "#text" {
				c.keys = append(c.keys, trimAt(k))
			}
			c.node(n.kids[i], at.in(n.segs[i], n.segs[i]))
			if k != "#text" {
				c.keys = c.keys[:len(c.keys)-1]
			}
		}
		if pushed {
			c.ids = c.ids[:len(c.ids)-1]
		}
	case KindArray:
		for i, kid := range n.kids {
			c.node(kid, at.in(n.indexSeg(i), anyIndex))
		}
	}
}

// pushID notes the object's id, if it has one of idKeys.
func (c *collector) pushID(n *node) bool {
	for _, k := range c.idKeys {
		m := n.member(k)
		if m == nil {
			m = n.member("@" + k)
		}
		if m != nil && (m.kind == KindString || m.kind == KindNumber) && fmt.Sprint(m.val) != "" {
			c.ids = append(c.ids, idMark{value: fmt.Sprint(m.val), depth: len(c.keys)})
			return true
		}
	}
	return false
}

func (c *collector) emit(at loc, kind string, v any) {
	r := rec{Field: Field{Path: at.path(), Type: kind, Value: v}, shape: at.shape()}
	if len(c.keys) > 0 {
		r.key = c.keys[len(c.keys)-1]
	}
	r.name = strings.Join(c.keys, ".")
	if len(c.ids) > 0 {
		id := c.ids[len(c.ids)-1]
		r.name = strings.Join(append([]string{id.value}, c.keys[id.depth:]...), ".")
	}
	switch v := v.(type) {
	case json.Number:
		r.num = v.String()
	case string:
		if t := strings.TrimSpace(v); c.xml && kind == KindString && isNumber(t) {
			r.num = t
		}
	}
	c.recs = append(c.recs, r)
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
