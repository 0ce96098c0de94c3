package evidence

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// sealDecode bounds the decoding of a body for secrets: bodies with
// secrets are small, and a bomb must not stall capture or export.
var sealDecode = inspect.Options{MaxTotal: 16 << 20, MaxParts: 2000}

// CopyFieldsFormat is the "format" of a CopyFields redacted copy.
const CopyFieldsFormat = "telltale-redacted-fields/v1"

// fieldsCopy is a CopyFields redacted copy: every field inspect decodes,
// through every layer, in document order, each secret value replaced.
type fieldsCopy struct {
	Format string          `json:"format"`
	Fields []inspect.Field `json:"fields"`
}

// decodeFields decodes a body, with what its head says about it, to its
// fields.
func decodeFields(h *store.Head, body []byte) []inspect.Field {
	fs, _ := decodeAll(h, body)
	return fs
}

// decodeAll is decodeFields that also says whether decoding went through
// the whole body: false when a limit (sealDecode) stopped it, so that a
// secret may sit in what was not decoded.
func decodeAll(h *store.Head, body []byte) ([]inspect.Field, bool) {
	meta := inspect.Meta{ContentType: header(h, "Content-Type"), ContentEncoding: header(h, "Content-Encoding")}
	p := inspect.Decode(body, meta, sealDecode)
	return inspect.Fields(p), !stopped(p)
}

// stopped reports whether a limit stopped decoding anywhere in p: inspect
// says so in a note that names the limit ("... (MaxTotal)").
func stopped(p *inspect.Part) bool {
	if strings.Contains(p.Note, "(Max") || strings.Contains(p.Error, "(Max") {
		return true
	}
	for _, c := range p.Children {
		if stopped(c) {
			return true
		}
	}
	return false
}

// exposed returns the indexes of the fields that show a secret: a value
// under a secret name anywhere in its path (a JSON key, form field, file
// or part name, at any depth and in any layer), a text part that mentions
// a secret name, and a string whose decoded contents show one (JSON or
// base64 held in a string). A value already Redacted shows nothing.
func (r Redactor) exposed(fs []inspect.Field) []int {
	show := make([]bool, len(fs))
	for i, f := range fs {
		if f.Type == "object" || f.Type == "array" || f.Value == Redacted {
			continue
		}
		text, _ := f.Value.(string)
		show[i] = r.secretPath(f.Path) || f.Type == "text" && r.mentions([]byte(text)) != ""
	}
	var out []int
	for i, f := range fs {
		if !show[i] && f.Value != Redacted && f.Type == "string" {
			for j := i + 1; j < len(fs); j++ {
				if show[j] && (strings.HasPrefix(fs[j].Path, f.Path+":") || strings.HasPrefix(fs[j].Path, f.Path+"/")) {
					show[i] = true
					break
				}
			}
		}
		if show[i] {
			out = append(out, i)
		}
	}
	return out
}

// secretPath reports whether a word of an inspect path is a secret's name.
func (r Redactor) secretPath(path string) bool {
	words := strings.FieldsFunc(path, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')
	})
	for _, w := range words {
		if r.field(w) {
			return true
		}
	}
	return false
}

// valueText is a field's value as a secret's commitment takes it.
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

// Seal is a store.Sealer: it finds the secrets of a body in every layer
// inspect decodes and makes its redacted copy: the body itself with each
// secret replaced when the JSON or form redaction of Body hides them all,
// else a listing of every decoded field (CopyFields).
func (r Redactor) Seal(h *store.Head, body []byte) *store.Sealing {
	if !r.mayHoldSecret(h, body) {
		return nil
	}
	fs, whole := decodeAll(h, body)
	idx := r.exposed(fs)
	if len(idx) == 0 || !whole {
		return nil // no secret, or some may hide where decoding stopped: export withholds it whole
	}
	s := &store.Sealing{}
	for _, i := range idx {
		s.Secrets = append(s.Secrets, store.Secret{Path: fs[i].Path, Value: valueText(fs[i].Value)})
	}
	red := r.Body(h, body, true)
	if red.Copy != nil && len(r.exposed(decodeFields(copyHead(h), red.Copy))) == 0 {
		s.Copy, s.Form = red.Copy, store.CopyBody
		return s
	}
	for _, i := range idx {
		fs[i].Value = Redacted
	}
	s.Copy, _ = json.Marshal(fieldsCopy{Format: CopyFieldsFormat, Fields: fs})
	s.Form = store.CopyFields
	return s
}

// copyHead is the head of a body whose Content-Encoding was undone.
func copyHead(h *store.Head) *store.Head {
	return &store.Head{Headers: []store.Header{{Name: "Content-Type", Value: header(h, "Content-Type")}}}
}

// exposes reports whether a body shows a secret under r's rules, in any
// layer, or may (decoding stopped at a limit); decoded says its
// Content-Encoding is already undone.
func (r Redactor) exposes(h *store.Head, body []byte, decoded bool) bool {
	if decoded {
		h = copyHead(h)
	}
	if !r.mayHoldSecret(h, body) {
		return false
	}
	fs, whole := decodeAll(h, body)
	return !whole || len(r.exposed(fs)) > 0
}

// minEncodedRun is the shortest run of base64 characters that may be an
// encoded document inspect decodes (its minBase64 is 24; a JWT's parts
// are longer).
const minEncodedRun = 20

// mayHoldSecret is Seal's fast path, for the many bodies that are plain
// text without any secret's name: it is false only when no layer inspect
// could decode is possible (no Content-Encoding, no binary, no escapes,
// no long base64 run) and the text, lowercased and without '_' and '-',
// contains no secret name. Decoding such a body would find nothing.
func (r Redactor) mayHoldSecret(h *store.Head, body []byte) bool {
	if len(codings(header(h, "Content-Encoding"))) > 0 {
		return true
	}
	run := 0
	for _, c := range body {
		switch {
		case c >= 0x80 || c < 0x20 && c != '\t' && c != '\n' && c != '\r',
			c == '\\' || c == '%' || c == '&':
			return true // binary, or escapes that can spell a name
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '_' || c == '-' || c == '=':
			if run++; run >= minEncodedRun {
				return true
			}
		default:
			run = 0
		}
	}
	text := normalize(string(body))
	for _, f := range r.fields() {
		if f := normalize(f); f != "" && strings.Contains(text, f) {
			return true
		}
	}
	return false
}
