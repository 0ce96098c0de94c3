package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/telltale/telltale/analysis"
)

// maxLeaves bounds the lines one added or removed subtree prints.
const maxLeaves = 60

// printLicenseDiff writes the summary in licensing terms, then the
// comparison; for the first capture of an endpoint, only that.
func printLicenseDiff(w io.Writer, d *analysis.LicenseDiff, pal palette, volatile bool) {
	if d.First {
		for _, l := range d.Summary {
			fmt.Fprintln(w, l.Text)
		}
		return
	}
	name := d.Name
	if name == "" {
		name = d.Endpoint
	}
	fmt.Fprintln(w, pal.paint(ansiBold, fmt.Sprintf("%s: capture %s (%s) against capture %s (%s)", name, pal.capture(d.To), d.ToTime, pal.capture(d.From), d.FromTime)))
	if d.Position != "" {
		fmt.Fprintln(w, d.Position)
	}
	if len(d.Summary) == 0 {
		fmt.Fprintln(w, "Summary: nothing that matters changed.")
	} else {
		fmt.Fprintln(w, "Summary:")
		for _, l := range d.Summary {
			fmt.Fprintln(w, "  "+l.Text)
		}
	}
	fmt.Fprintln(w)
	printComparison(w, d.Comparison, pal, volatile)
}

// printComparison writes a comparison as a unified view: a header, the
// counted changes ("-" old, "+" new, "@@ path @@" before each), then,
// with volatile, the volatile ones, one line each.
func printComparison(w io.Writer, c *analysis.Comparison, pal palette, volatile bool) {
	fmt.Fprintln(w, pal.paint(ansiBold, "--- capture "+pal.capture(c.From)+"  "+timeMS(c.FromTime)))
	fmt.Fprintln(w, pal.paint(ansiBold, "+++ capture "+pal.capture(c.To)+"  "+timeMS(c.ToTime)))
	fmt.Fprintf(w, "%s  %s: %d %s, %d volatile (not counted)\n", c.Endpoint, sideText(c.Side), c.Counted, plural(c.Counted, "change"), c.Volatile)
	if c.FromEndpoint != c.Endpoint {
		fmt.Fprintf(w, "note: capture %s is of another endpoint: %s\n", pal.capture(c.From), c.FromEndpoint)
	}
	for _, n := range c.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
	for _, ch := range c.Changes {
		if !ch.Volatile {
			printChange(w, ch, c.Side == analysis.SideBoth, pal)
		}
	}
	if c.Volatile == 0 {
		return
	}
	if !volatile {
		fmt.Fprintln(w, pal.paint(ansiDim, fmt.Sprintf("\n%d volatile %s hidden (not counted; --volatile lists them)", c.Volatile, plural(c.Volatile, "change"))))
		return
	}
	fmt.Fprintln(w, pal.paint(ansiDim, "\nvolatile (not counted):"))
	for _, g := range volatileGroups(c.Changes) {
		line := volatileLine(g[0], c.Side == analysis.SideBoth)
		if len(g) > 1 {
			line = fmt.Sprintf("%d changes at %s", len(g), shapePath(g[0].Path))
			if c.Side == analysis.SideBoth {
				line = fmt.Sprintf("%d changes at %s %s", len(g), g[0].Side, shapePath(g[0].Path))
			}
		}
		fmt.Fprintln(w, pal.paint(ansiDim, "  "+line))
	}
}

// volatileGroups groups volatile changes by side and shape path, so that
// a list of devices that changed is one line, in order of first change.
func volatileGroups(chs []analysis.Change) [][]analysis.Change {
	var out [][]analysis.Change
	at := map[string]int{}
	for _, ch := range chs {
		if !ch.Volatile {
			continue
		}
		k := ch.Side + " " + shapePath(ch.Path)
		if i, ok := at[k]; ok {
			out[i] = append(out[i], ch)
			continue
		}
		at[k] = len(out)
		out = append(out, []analysis.Change{ch})
	}
	return out
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// shapePath writes a path's indexes as "[]".
func shapePath(p string) string { return indexRE.ReplaceAllString(p, "[]") }

func sideText(side string) string {
	if side == analysis.SideBoth {
		return "request and response bodies"
	}
	return side + " body"
}

func plural(n int, word string) string {
	switch {
	case n == 1:
		return word
	case strings.HasSuffix(word, "ch"), strings.HasSuffix(word, "s"):
		return word + "es"
	}
	return word + "s"
}

func printChange(w io.Writer, ch analysis.Change, withSide bool, pal palette) {
	head := ch.Path
	if withSide {
		head = ch.Side + " " + head
	}
	var tags []string
	if ch.Op != "changed" {
		tags = append(tags, ch.Op)
	}
	if ch.TypeChanged {
		tags = append(tags, "type changed")
	}
	if ch.Personal != "" {
		tags = append(tags, "personal data: "+ch.Personal)
	}
	if len(tags) > 0 {
		head += " (" + strings.Join(tags, ", ") + ")"
	}
	fmt.Fprintln(w, pal.paint(ansiCyan, "@@ "+head+" @@"))
	switch {
	case ch.Unified != "":
		for _, l := range strings.Split(strings.TrimRight(ch.Unified, "\n"), "\n") {
			fmt.Fprintln(w, colourLine(l, pal))
		}
	case ch.Op == "added":
		printLeaves(w, "+", ch.Path, ch.To, pal)
	case ch.Op == "removed":
		printLeaves(w, "-", ch.Path, ch.From, pal)
	default:
		fmt.Fprintln(w, pal.paint(ansiRed, "- "+valueText(ch.From)))
		fmt.Fprintln(w, pal.paint(ansiGreen, "+ "+valueText(ch.To)))
	}
}

// colourLine colours a line of a unified text diff.
func colourLine(l string, pal palette) string {
	switch {
	case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		return pal.paint(ansiBold, l)
	case strings.HasPrefix(l, "+"):
		return pal.paint(ansiGreen, l)
	case strings.HasPrefix(l, "-"):
		return pal.paint(ansiRed, l)
	case strings.HasPrefix(l, "@@"):
		return pal.paint(ansiCyan, l)
	}
	return l
}

// printLeaves writes every scalar of an added or removed subtree with
// its path, so a new object shows each of its fields.
func printLeaves(w io.Writer, sign, path string, v any, pal palette) {
	code := ansiGreen
	if sign == "-" {
		code = ansiRed
	}
	n := 0
	leaves(path, v, func(p string, s any) {
		if n < maxLeaves {
			fmt.Fprintln(w, pal.paint(code, sign+" "+p+" = "+valueText(s)))
		}
		n++
	})
	if n > maxLeaves {
		fmt.Fprintln(w, pal.paint(code, fmt.Sprintf("%s … %d more (telltale diff --json shows all)", sign, n-maxLeaves)))
	}
}

// leaves walks a value, calling fn for each scalar and each empty object
// or array, in key order.
func leaves(path string, v any, fn func(string, any)) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			fn(path, x)
		}
		for _, k := range slices.Sorted(maps.Keys(x)) {
			leaves(path+memberSeg(k), x[k], fn)
		}
	case []any:
		if len(x) == 0 {
			fn(path, x)
		}
		for i, e := range x {
			leaves(path+"["+strconv.Itoa(i)+"]", e, fn)
		}
	default:
		fn(path, v)
	}
}

func memberSeg(k string) string {
	for i, r := range k {
		letter := r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return "[" + strconv.Quote(k) + "]"
		}
	}
	if k == "" {
		return `[""]`
	}
	return "." + k
}

// valueText writes a value as JSON (strings quoted), shortened.
func valueText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return shorten(string(b), 300)
}

func volatileLine(ch analysis.Change, withSide bool) string {
	p := ch.Path
	if withSide {
		p = ch.Side + " " + p
	}
	switch ch.Op {
	case "added":
		return "+ " + p + " = " + shorten(valueText(ch.To), 80)
	case "removed":
		return "- " + p + " = " + shorten(valueText(ch.From), 80)
	}
	return "~ " + p + ": " + shorten(valueText(ch.From), 60) + " → " + shorten(valueText(ch.To), 60)
}
