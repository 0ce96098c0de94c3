package inspect

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// errTooDeep marks a document that nests deeper than MaxNesting.
var errTooDeep = errors.New("nesting limit reached")

// json decodes a JSON document, keeping numbers as json.Number, and then
// the strings in it that hold encoded documents.
func (d *decoder) json(raw []byte, depth int) (*Part, error) {
	if jsonNestsDeeper(raw, d.opts.MaxNesting) {
		return nil, fmt.Errorf("the JSON nests deeper than %d (MaxNesting): %w", d.opts.MaxNesting, errTooDeep)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("invalid JSON: data after the value")
	}
	p := d.newPart(TypeJSON, raw)
	p.Value = v
	p.tree = jsonTree(v)
	d.linkStrings(p, "$", depth)
	return p, nil
}

// jsonNestsDeeper reports whether arrays and objects in raw nest deeper
// than limit, without recursion, so a 100000-deep array costs one pass.
func jsonNestsDeeper(raw []byte, limit int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range raw {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			if depth++; depth > limit {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

// linkStrings decodes each string of p's document that holds an encoded
// document, as a child of p named by the string's path.
func (d *decoder) linkStrings(p *Part, root string, depth int) {
	visitStrings(p.tree, root, func(n *node, path string) bool {
		s, _ := n.val.(string)
		kind, dec := embedded(s)
		if kind == "" {
			return true
		}
		if !d.reserve() {
			addNote(p, d.partsNote())
			return false
		}
		c := d.decodeEmbedded(kind, s, dec, depth+1)
		c.Name = path
		n.sub = c
		p.Children = append(p.Children, c)
		return true
	})
}

// XMLElement is an XML element as Decode keeps it: names without prefixes
// (the namespace URL aside), attributes in order, text trimmed of
// surrounding space, child elements in order. Comments and processing
// instructions are dropped.
type XMLElement struct {
	Name     string        `json:"name"`
	Space    string        `json:"space,omitempty"`
	Attrs    []XMLAttr     `json:"attrs,omitempty"`
	Text     string        `json:"text,omitempty"`
	Children []*XMLElement `json:"children,omitempty"`
}

// XMLAttr is one attribute of an XMLElement.
type XMLAttr struct {
	Name  string `json:"name"`
	Space string `json:"space,omitempty"`
	Value string `json:"value"`
}

// xml decodes an XML document with one root element.
func (d *decoder) xml(raw []byte, depth int) (*Part, error) {
	root, err := parseXML(raw, d.opts.MaxNesting)
	if err != nil {
		return nil, err
	}
	p := d.newPart(TypeXML, raw)
	p.Value = root
	p.tree = xmlTree(root)
	d.linkStrings(p, "/"+root.Name, depth)
	return p, nil
}

// xmlBuilder assembles elements from tokens.
type xmlBuilder struct {
	root  *XMLElement
	stack []*XMLElement
	texts []*strings.Builder
}

func parseXML(raw []byte, maxNesting int) (*XMLElement, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var b xmlBuilder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("invalid XML: %w", err)
		}
		if err := b.add(tok, maxNesting); err != nil {
			return nil, err
		}
	}
	if b.root == nil || len(b.stack) > 0 {
		return nil, errors.New("invalid XML: no complete root element")
	}
	return b.root, nil
}

func (b *xmlBuilder) add(tok xml.Token, maxNesting int) error {
	switch t := tok.(type) {
	case xml.StartElement:
		return b.start(t, maxNesting)
	case xml.EndElement:
		top := len(b.stack) - 1
		b.stack[top].Text = strings.TrimSpace(b.texts[top].String())
		b.stack, b.texts = b.stack[:top], b.texts[:top]
	case xml.CharData:
		if len(b.stack) == 0 {
			if len(bytes.TrimSpace(t)) > 0 {
				return errors.New("invalid XML: text outside the root element")
			}
			return nil
		}
		b.texts[len(b.texts)-1].Write(t)
	}
	return nil
}

func (b *xmlBuilder) start(t xml.StartElement, maxNesting int) error {
	if b.root != nil && len(b.stack) == 0 {
		return errors.New("invalid XML: more than one root element")
	}
	if len(b.stack) >= maxNesting {
		return fmt.Errorf("the XML nests deeper than %d (MaxNesting): %w", maxNesting, errTooDeep)
	}
	e := &XMLElement{Name: t.Name.Local, Space: t.Name.Space}
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue // namespace declarations are in Space already
		}
		e.Attrs = append(e.Attrs, XMLAttr{Name: a.Name.Local, Space: a.Name.Space, Value: a.Value})
	}
	if len(b.stack) == 0 {
		b.root = e
	} else {
		parent := b.stack[len(b.stack)-1]
		parent.Children = append(parent.Children, e)
	}
	b.stack = append(b.stack, e)
	b.texts = append(b.texts, &strings.Builder{})
	return nil
}
