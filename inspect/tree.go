package inspect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Field and node kinds.
const (
	KindObject = "object"
	KindArray  = "array"
	KindString = "string"
	KindNumber = "number"
	KindBool   = "bool"
	KindNull   = "null"
	KindBytes  = "bytes"
	KindText   = "text"
)

// node is a document (JSON or XML) seen as a tree of objects, arrays and
// scalars, with each member's path segment rendered in its document's
// syntax. Fields, Diff, Shape and Figures all walk this one shape.
type node struct {
	kind     string
	keys     []string // object: member names, for key lookups
	segs     []string // object: each member's path segment, e.g. ".id" or "/@id"
	kids     []*node  // object: member values; array: items
	base     int      // array: index of the first item in paths (XML counts from 1)
	implicit bool     // array: an XML element group, which has no field of its own
	val      any      // scalar: string, json.Number, bool or nil
	sub      *Part    // string: the document it was decoded to, if any
}

func (n *node) isScalar() bool { return n.kind != KindObject && n.kind != KindArray }

// member returns the value of the object member named key, or nil.
func (n *node) member(key string) *node {
	if n.kind != KindObject {
		return nil
	}
	if i := slices.Index(n.keys, key); i >= 0 {
		return n.kids[i]
	}
	return nil
}

func (n *node) indexSeg(i int) string { return "[" + strconv.Itoa(i+n.base) + "]" }

// anyIndex stands for every index of an array in shape paths.
const anyIndex = "[]"

// jsonTree turns a value decoded with UseNumber into a tree, members in
// name order.
func jsonTree(v any) *node {
	switch v := v.(type) {
	case map[string]any:
		n := &node{kind: KindObject}
		for _, k := range sortedKeys(v) {
			n.keys = append(n.keys, k)
			n.segs = append(n.segs, KeySegment(k))
			n.kids = append(n.kids, jsonTree(v[k]))
		}
		return n
	case []any:
		n := &node{kind: KindArray}
		for _, item := range v {
			n.kids = append(n.kids, jsonTree(item))
		}
		return n
	case string:
		return &node{kind: KindString, val: v}
	case json.Number:
		return &node{kind: KindNumber, val: v}
	case float64:
		return &node{kind: KindNumber, val: json.Number(strconv.FormatFloat(v, 'g', -1, 64))}
	case bool:
		return &node{kind: KindBool, val: v}
	case nil:
		return &node{kind: KindNull}
	}
	return &node{kind: KindString, val: fmt.Sprint(v)}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// KeySegment is the path segment of a JSON member name: `.name`, or
// `["na me"]` when it is not an identifier.
func KeySegment(k string) string {
	if isIdent(k) {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// xmlTree turns an element into a tree: attributes become "@name" members,
// child elements are grouped by name into arrays counted from 1, and text
// beside attributes or children becomes a "#text" member. An element with
// neither attributes nor children is its text.
func xmlTree(e *XMLElement) *node {
	if len(e.Attrs) == 0 && len(e.Children) == 0 {
		return &node{kind: KindString, val: e.Text}
	}
	n := &node{kind: KindObject}
	index := map[string]int{}
	add := func(key, seg string, kid *node) *node {
		if i, ok := index[key]; ok {
			return n.kids[i]
		}
		index[key] = len(n.keys)
		n.keys, n.segs, n.kids = append(n.keys, key), append(n.segs, seg), append(n.kids, kid)
		return kid
	}
	for _, a := range e.Attrs {
		add("@"+a.Name, "/@"+a.Name, &node{kind: KindString, val: a.Value})
	}
	for _, c := range e.Children {
		group := add(c.Name, "/"+c.Name, &node{kind: KindArray, base: 1, implicit: true})
		group.kids = append(group.kids, xmlTree(c))
	}
	if e.Text != "" {
		add("#text", "/text()", &node{kind: KindString, val: e.Text})
	}
	return n
}

// docRoot returns a document part's tree and the path of its root: "$" for
// JSON, "/Name" for XML. It rebuilds the tree of a part made outside
// Decode, linking strings to children by name.
func docRoot(p *Part) (*node, string) {
	switch p.Type {
	case TypeJSON:
		t := p.tree
		if t == nil {
			t = linkByName(jsonTree(p.Value), "$", p.Children)
		}
		return t, "$"
	case TypeXML:
		e, _ := p.Value.(*XMLElement)
		if e == nil {
			return nil, ""
		}
		t := p.tree
		if t == nil {
			t = linkByName(xmlTree(e), "/"+e.Name, p.Children)
		}
		return t, "/" + e.Name
	}
	return nil, ""
}

func linkByName(t *node, root string, children []*Part) *node {
	if len(children) == 0 {
		return t
	}
	byName := map[string]*Part{}
	for _, c := range children {
		byName[c.Name] = c
	}
	visitStrings(t, root, func(n *node, path string) bool {
		n.sub = byName[path]
		return true
	})
	return t
}

// visitStrings calls fn with each string node of t and its path, in
// document order, until fn returns false.
func visitStrings(t *node, path string, fn func(n *node, path string) bool) bool {
	switch t.kind {
	case KindString:
		return fn(t, path)
	case KindObject:
		for i, kid := range t.kids {
			if !visitStrings(kid, path+t.segs[i], fn) {
				return false
			}
		}
	case KindArray:
		for i, kid := range t.kids {
			if !visitStrings(kid, path+t.indexSeg(i), fn) {
				return false
			}
		}
	}
	return true
}

// plain turns a tree back into plain values for Change.From and To: JSON
// objects as maps, arrays as slices.
func (n *node) plain() any {
	switch n.kind {
	case KindObject:
		m := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			m[k] = n.kids[i].plain()
		}
		return m
	case KindArray:
		s := make([]any, len(n.kids))
		for i, kid := range n.kids {
			s[i] = kid.plain()
		}
		return s
	}
	return n.val
}

// scalarKey renders a scalar for equality tests across kinds.
func (n *node) scalarKey() string {
	return n.kind + ":" + fmt.Sprint(n.val)
}

// trimAt strips the "@" XML puts before attribute member names.
func trimAt(key string) string { return strings.TrimPrefix(key, "@") }
