package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/telltale/telltale/analysis"
)

// showDecoded prints `show NO --decoded`, naming the capture name.
func showDecoded(w io.Writer, data, config, id, name string, asJSON bool) error {
	a, err := openAnalysis(data, config)
	if err != nil {
		return err
	}
	defer a.Close()
	d, err := a.Decoded(id)
	if err != nil {
		return notFound(id, analysisErr(err))
	}
	if asJSON {
		return writeJSON(w, decodedJSON{json.Number(d.ID), d})
	}
	fmt.Fprintf(w, "Capture %s  %s  %s\n", name, timeMS(d.Time), d.Endpoint)
	for _, side := range []struct {
		name string
		b    *analysis.DecodedBody
	}{{"Request", d.Request}, {"Response", d.Response}} {
		if side.b == nil {
			continue
		}
		fmt.Fprintln(w)
		printDecodedBody(w, side.name, side.b)
	}
	return nil
}

// decodedJSON is show --decoded --json: the id a number.
type decodedJSON struct {
	ID json.Number `json:"id"`
	*analysis.Decoded
}

func printDecodedBody(w io.Writer, name string, b *analysis.DecodedBody) {
	head := []string{orDash(b.ContentType)}
	if b.ContentEncoding != "" {
		head = append(head, b.ContentEncoding)
	}
	head = append(head, fmt.Sprintf("%d bytes, SHA-256 %s", b.Size, b.SHA256))
	if b.Truncated {
		head = append(head, "stored truncated")
	}
	if b.Pruned {
		head = append(head, "pruned by retention")
	}
	fmt.Fprintf(w, "%s body: %s\n", name, strings.Join(head, ", "))
	if b.Note != "" {
		fmt.Fprintf(w, "  note: %s\n", b.Note)
	}
	if b.Tree != nil {
		printNode(w, b.Tree, "  ")
	}
	if len(b.Fields) > 0 {
		fmt.Fprintf(w, "%s fields:\n", name)
		for _, f := range b.Fields {
			if f.Value == nil && (f.Type == "object" || f.Type == "array") {
				continue // their members follow
			}
			vol := ""
			if f.Volatile {
				vol = "  (volatile)"
			}
			fmt.Fprintf(w, "  %s = %s%s\n", f.Path, fieldValue(f.Type, f.Value), vol)
		}
	}
	printFindings(w, name, b)
}

func printFindings(w io.Writer, name string, b *analysis.DecodedBody) {
	if len(b.Personal) > 0 {
		fmt.Fprintf(w, "%s personal data:\n", name)
		for _, p := range b.Personal {
			fmt.Fprintf(w, "  %s  %s (%s)\n", p.Path, p.Category, p.Why)
		}
	}
	if len(b.Figures) > 0 {
		fmt.Fprintf(w, "%s figures:\n", name)
		for _, p := range b.Figures {
			fmt.Fprintf(w, "  %s = %s %s  (for %s, at %s)\n", p.Name, formatValue(p.Value), p.Unit, p.Time, p.Path)
		}
	}
}

// printNode prints a decoded part and its children, indented.
func printNode(w io.Writer, n *analysis.Node, indent string) {
	line := n.Type
	for _, s := range []string{n.Name, n.Filename} {
		if s != "" {
			line += " " + fmt.Sprintf("%q", s)
		}
	}
	if n.ContentType != "" {
		line += " " + n.ContentType
	}
	line += fmt.Sprintf(", %d bytes", n.Size)
	if n.Error != "" {
		line += "; error: " + n.Error
	}
	if n.Note != "" {
		line += "; " + n.Note
	}
	fmt.Fprintf(w, "%s%s\n", indent, line)
	for _, c := range n.Children {
		printNode(w, c, indent+"  ")
	}
}

// fieldValue prints a value as JSON would (strings quoted) so that types
// show: "5" is a string, 5 a number.
func fieldValue(typ string, v any) string {
	if typ == "text" {
		s, _ := v.(string)
		if len(s) > 200 {
			s = s[:200] + "..."
		}
		return fmt.Sprintf("%q", s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
