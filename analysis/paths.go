package analysis

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/telltale/telltale/inspect"
)

// glob is a compiled path pattern with inspect's syntax: "*" within one
// segment (no ".", "/", ":", "[" or "]"), "**" anything, "[]" or "[*]"
// any index; a pattern that starts with "$" or "/" and has no ":" also
// matches the document part of a deeper path.
type glob struct {
	re    *regexp.Regexp
	inDoc bool
}

func compileGlob(pattern string) *glob {
	re, inDoc := inspect.GlobRegexp(strings.ReplaceAll(pattern, "[*]", "[]"))
	return &glob{re: re, inDoc: inDoc}
}

func (g *glob) match(path string) bool {
	sh := indexFree(path)
	if g.re.MatchString(path) || g.re.MatchString(sh) {
		return true
	}
	if !g.inDoc {
		return false
	}
	_, doc := splitDoc(sh)
	return doc != sh && g.re.MatchString(doc)
}

var digitRuns = regexp.MustCompile(`[0-9]{5,}`)

// indexFree writes every "[digits]" of a path as "[]".
func indexFree(p string) string {
	if !strings.Contains(p, "[") {
		return p
	}
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '[' {
			j := i + 1
			for j < len(p) && p[j] >= '0' && p[j] <= '9' {
				j++
			}
			if j > i+1 && j < len(p) && p[j] == ']' {
				b.WriteString("[]")
				i = j
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// splitDoc splits a field path into its container steps and the path
// inside the innermost document ("$..." or "/..."); steps is "" for a
// top-level document, doc is "" for a text or bytes part.
func splitDoc(p string) (steps, doc string) {
	if i := lastDocStart(p); i > 0 {
		return p[:i-1], p[i:]
	}
	if strings.HasPrefix(p, "$") || strings.HasPrefix(p, "/") {
		return "", p
	}
	return p, ""
}

func lastDocStart(p string) int {
	i := max(strings.LastIndex(p, ":$"), strings.LastIndex(p, ":/"))
	if i < 0 {
		return -1
	}
	return i + 1
}

// shapeOf writes a path's indexes as "[]" and long digit runs in its
// container steps as "#", as inspect.Shape does, so that paths from
// different captures of one endpoint agree.
func shapeOf(p string) string {
	p = indexFree(p)
	steps, doc := splitDoc(p)
	steps = digitRuns.ReplaceAllString(steps, "#")
	switch {
	case steps == "":
		return doc
	case doc == "":
		return steps
	}
	return steps + ":" + doc
}

// lastSeg returns where the last segment of a document path starts:
// ".name", `["name"]` or "[index]" in JSON, "/@attr", "/name" or
// "/name[index]" in XML; -1 at a document's root or outside one.
func lastSeg(p string) int {
	_, doc := splitDoc(p)
	if doc == "" || doc == "$" {
		return -1
	}
	base := len(p) - len(doc)
	if doc[0] == '/' {
		if i := strings.LastIndexByte(doc, '/'); i > 0 {
			return base + i
		}
		return -1
	}
	if strings.HasSuffix(doc, "\"]") {
		for i := strings.LastIndex(doc, `["`); i > 0; i = strings.LastIndex(doc[:i], `["`) {
			if _, err := strconv.Unquote(doc[i+1 : len(doc)-1]); err == nil {
				return base + i
			}
		}
		return -1
	}
	if strings.HasSuffix(doc, "]") {
		return base + strings.LastIndexByte(doc, '[')
	}
	return base + strings.LastIndexByte(doc, '.')
}

// parentPath strips the last segment of a document path; ok is false at a
// document's root.
func parentPath(p string) (string, bool) {
	i := lastSeg(p)
	if i <= 0 || p[i-1] == ':' {
		return "", false
	}
	return p[:i], true
}

// memberName is the name of the member or attribute a path ends in,
// looking through array indexes: "$.a.CCUDevices[3]" -> "CCUDevices".
// A text or bytes part's name is its last step.
func memberName(p string) string {
	if _, doc := splitDoc(p); doc == "" {
		return p[strings.LastIndexByte(p, '/')+1:]
	}
	for {
		i := lastSeg(p)
		if i < 0 {
			return ""
		}
		seg := p[i:]
		switch {
		case strings.HasPrefix(seg, `["`):
			s, _ := strconv.Unquote(seg[1 : len(seg)-1])
			return s
		case seg[0] == '[':
			p = p[:i]
		case strings.HasPrefix(seg, "/@"):
			return seg[2:]
		case seg[0] == '/':
			name, _, _ := strings.Cut(seg[1:], "[")
			return name
		default:
			return seg[1:]
		}
	}
}

// childPath is the path of member key of the object at p, in JSON or XML.
func childPaths(p, key string) []string {
	_, doc := splitDoc(p)
	if strings.HasPrefix(doc, "/") {
		return []string{p + "/@" + key, p + "/" + key + "[1]"}
	}
	return []string{p + inspect.KeySegment(key)}
}
