package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
)

// loc is a place in a decoded tree: the container steps taken to reach a
// document or leaf, and the path inside that document. Each is kept both
// concrete and as a shape (array indexes as "[]", long digit runs in entry
// names as "#").
type loc struct {
	steps, shapes []string
	doc, shapeDoc string
}

func (l loc) path() string  { return renderPath(l.steps, l.doc) }
func (l loc) shape() string { return renderPath(l.shapes, l.shapeDoc) }

// renderPath joins steps with "/" and puts ":" before the document path. A
// leaf with no steps (the whole body) is ".".
func renderPath(steps []string, doc string) string {
	s := strings.Join(steps, "/")
	switch {
	case s == "" && doc == "":
		return "."
	case doc == "":
		return s
	case s == "":
		return doc
	}
	return s + ":" + doc
}

// step enters a container's child.
func (l loc) step(step, shape string) loc {
	l.steps = append(l.steps[:len(l.steps):len(l.steps)], step)
	l.shapes = append(l.shapes[:len(l.shapes):len(l.shapes)], shape)
	l.doc, l.shapeDoc = "", ""
	return l
}

// in moves inside the current document.
func (l loc) in(seg, shapeSeg string) loc {
	l.doc += seg
	l.shapeDoc += shapeSeg
	return l
}

// descend enters the document a string at l was decoded to: the string's
// path becomes a step.
func (l loc) descend() loc { return l.step(l.doc, l.shapeDoc) }

func isContainer(t string) bool {
	switch t {
	case TypeZip, TypeTar, TypeMultipart, TypeForm, TypeJWT:
		return true
	}
	return false
}

// childStep is a container's child with the step that names it.
type childStep struct {
	part        *Part
	step, shape string
}

// childSteps names a container's children: archive entries by path,
// multipart parts by file name or else form name, form fields as
// "form:name". Children that share a name get "[k]", k counting from 0,
// and a name is never given twice.
func childSteps(p *Part) []childStep {
	names := make([]string, len(p.Children))
	count := map[string]int{}
	for i, c := range p.Children {
		names[i] = stepName(p, c, i)
		count[names[i]]++
	}
	used := map[string]bool{}
	next := map[string]int{}
	out := make([]childStep, len(p.Children))
	for i, c := range p.Children {
		base, s := names[i], names[i]
		for k := next[base]; count[base] > 1 && s == base || used[s]; k++ {
			s = base + "[" + strconv.Itoa(k) + "]"
			next[base] = k + 1
		}
		used[s] = true
		out[i] = childStep{part: c, step: s, shape: generalise(s)}
	}
	return out
}

func stepName(parent, c *Part, i int) string {
	name := c.Name
	if parent.Type == TypeMultipart && c.Filename != "" {
		name = c.Filename
	}
	switch {
	case parent.Type == TypeForm:
		return "form:" + name
	case name == "":
		return "[" + strconv.Itoa(i) + "]"
	}
	return name
}

var longDigits = regexp.MustCompile(`[0-9]{5,}`)

// generalise makes an entry name a shape: "ue_lt_1683864965.zip" becomes
// "ue_lt_#.zip", so each day's new file is not new drift.
func generalise(step string) string { return longDigits.ReplaceAllString(step, "#") }

// unitKind classifies a content part for walking and diffing.
func unitKind(p *Part) string {
	switch {
	case isContainer(p.Type):
		return "container"
	case p.Type == TypeJSON || p.Type == TypeXML:
		if t, _ := docRoot(p); t != nil {
			return p.Type
		}
	case p.Type == TypeText:
		return TypeText
	}
	return TypeBytes
}

// unitLoc is where a content part's own field is: its document root, or
// the leaf itself.
func unitLoc(p *Part, l loc) loc {
	if _, root := docRoot(p); root != "" {
		return l.in(root, root)
	}
	return l
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// partValue is a part's content as a plain value, for Change.From and To.
func partValue(p *Part) any {
	p = p.Content()
	switch unitKind(p) {
	case "container":
		m := map[string]any{}
		for _, cs := range childSteps(p) {
			m[cs.step] = partValue(cs.part)
		}
		return m
	case TypeJSON, TypeXML:
		t, _ := docRoot(p)
		return t.plain()
	case TypeText:
		s, _ := p.Value.(string)
		return s
	}
	return digest(p.Raw)
}
