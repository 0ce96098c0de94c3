package inspect

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// pattern is a compiled path glob: "*" matches within one path segment
// (no ".", "/", ":", "[" or "]"), "**" matches anything, and every other
// character is literal.
type pattern struct {
	re *regexp.Regexp
	// inDoc: the pattern names no layer (it starts with "$" or "/" and has
	// no ":"), so it also applies to the document part of deeper paths.
	inDoc bool
}

func compilePattern(glob string) *pattern {
	re, inDoc := GlobRegexp(glob)
	return &pattern{re: re, inDoc: inDoc}
}

// GlobRegexp compiles a path glob ("*" within one segment, "**" anything,
// every other character literal; doc.go) to an anchored regular
// expression. inDoc reports that the glob names no layer (it starts with
// "$" or "/" and has no ":"), so it also applies to the document part of
// deeper paths.
func GlobRegexp(glob string) (re *regexp.Regexp, inDoc bool) {
	var b strings.Builder
	b.WriteString("^")
	rest := glob
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "**"):
			b.WriteString(".*")
			rest = rest[2:]
		case rest[0] == '*':
			b.WriteString(`[^./:\[\]]*`)
			rest = rest[1:]
		default:
			r, n := utf8.DecodeRuneInString(rest)
			b.WriteString(regexp.QuoteMeta(string(r)))
			rest = rest[n:]
		}
	}
	b.WriteString("$")
	re = regexp.MustCompile(b.String()) // every rune is quoted or a class
	return re, !strings.Contains(glob, ":") && (strings.HasPrefix(glob, "$") || strings.HasPrefix(glob, "/"))
}

// match reports whether the pattern matches l's path or shape, or, for a
// pattern that names no layer, l's path or shape inside its document.
func (p *pattern) match(l loc) bool {
	if p.re.MatchString(l.path()) || p.re.MatchString(l.shape()) {
		return true
	}
	return p.inDoc && l.doc != "" && (p.re.MatchString(l.doc) || p.re.MatchString(l.shapeDoc))
}

// comparePaths orders paths naturally: runs of digits compare as numbers,
// so "$.a[2]" sorts before "$.a[10]".
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			if c := compareDigits(a[:da], b[:db]); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func compareDigits(a, b string) int {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(ta) != len(tb) {
		return len(ta) - len(tb)
	}
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return len(a) - len(b)
}
