package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/telltale/telltale/store"
)

// Redacted replaces every secret value.
const Redacted = "[REDACTED]"

// Defaults for a zero Redactor; configs/telltale.yaml repeats them.
var (
	DefaultRedactFields  = []string{"clientSecret", "secret", "password", "token", "access_token", "api_key", "authorization"}
	DefaultRedactHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}
)

// Redactor replaces secret values in heads and bodies before export.
//
// A field matches when its name, lowercased and without '_' and '-', ends
// with an entry of Fields so treated: "secret" matches clientSecret and
// client_secret, "token" matches access_token and X-Auth-Token. Fields
// apply to JSON object keys at any depth, form fields, URL query
// parameters and header names; Headers are header names matched exactly
// (case-insensitively). A body that holds a field's name but is neither
// JSON nor form data (XML, multipart, a truncated JSON prefix, a coding
// Telltale cannot undo) cannot be redacted and is withheld whole.
type Redactor struct {
	Fields  []string // nil means DefaultRedactFields
	Headers []string // nil means DefaultRedactHeaders
}

func (r Redactor) fields() []string {
	if r.Fields == nil {
		return DefaultRedactFields
	}
	return r.Fields
}

func (r Redactor) headers() []string {
	if r.Headers == nil {
		return DefaultRedactHeaders
	}
	return r.Headers
}

// normalize lowercases a name and drops '_' and '-'. It runs for every
// field of every small body at capture (Seal), so it builds no Replacer.
func normalize(name string) string {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '_' || c == '-':
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 0x80:
			return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// field reports whether a field name is a secret's.
func (r Redactor) field(name string) bool {
	n := normalize(name)
	for _, f := range r.fields() {
		if f := normalize(f); f != "" && strings.HasSuffix(n, f) {
			return true
		}
	}
	return false
}

func (r Redactor) header(name string) bool {
	for _, h := range r.headers() {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return r.field(name)
}

// Head returns a copy of h with secret values replaced, and what was
// replaced ("header Authorization", "query access_token"); nil, nil when
// there is nothing to replace.
func (r Redactor) Head(h *store.Head) (*store.Head, []string) {
	if h == nil {
		return nil, nil
	}
	c := *h
	var what []string
	c.Headers, what = r.headerList(h.Headers, "header ", what)
	c.Trailers, what = r.headerList(h.Trailers, "trailer ", what)
	c.URL, what = r.url(h.URL, what)
	if len(what) == 0 {
		return nil, nil
	}
	return &c, what
}

func (r Redactor) headerList(hs []store.Header, label string, what []string) ([]store.Header, []string) {
	var out []store.Header
	for i, f := range hs {
		if !r.header(f.Name) {
			continue
		}
		if out == nil {
			out = slices.Clone(hs)
		}
		out[i].Value = redactHeaderValue(f.Name, f.Value)
		what = addOnce(what, label+f.Name)
	}
	if out == nil {
		return hs, what
	}
	return out, what
}

// redactHeaderValue keeps what is not secret in a few well-known headers:
// the auth scheme, cookie names and Set-Cookie attributes.
func redactHeaderValue(name, value string) string {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization":
		if scheme, _, ok := strings.Cut(value, " "); ok && scheme != "" {
			return scheme + " " + Redacted
		}
	case "cookie":
		parts := strings.Split(value, ";")
		for i, p := range parts {
			if n, _, ok := strings.Cut(p, "="); ok {
				parts[i] = n + "=" + Redacted
			} else {
				parts[i] = Redacted
			}
		}
		return strings.Join(parts, ";")
	case "set-cookie":
		pair, attrs, _ := strings.Cut(value, ";")
		if n, _, ok := strings.Cut(pair, "="); ok {
			if attrs != "" {
				return n + "=" + Redacted + ";" + attrs
			}
			return n + "=" + Redacted
		}
	}
	return Redacted
}

// url replaces secret query parameters and a password in the userinfo.
func (r Redactor) url(raw string, what []string) (string, []string) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, what
	}
	changed := false
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), Redacted)
		what, changed = addOnce(what, "url password"), true
	}
	if u.RawQuery != "" {
		q, names := r.pairs(u.RawQuery, url.QueryEscape(Redacted))
		for _, n := range names {
			what, changed = addOnce(what, "query "+n), true
		}
		u.RawQuery = q
	}
	if !changed {
		return raw, what
	}
	return u.String(), what
}

// pairs replaces the values of secret fields in a&b=c form encoding,
// keeping every other byte; it returns the names replaced.
func (r Redactor) pairs(s, replacement string) (string, []string) {
	parts := strings.Split(s, "&")
	var names []string
	for i, p := range parts {
		k, _, ok := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if ok && r.field(name) {
			parts[i] = k + "=" + replacement
			names = addOnce(names, name)
		}
	}
	return strings.Join(parts, "&"), names
}

func addOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// BodyRedaction is what Redactor.Body decided for a body.
type BodyRedaction struct {
	// Copy is the redacted copy; nil when nothing needed redacting (ship
	// the body as logged) or it is withheld whole.
	Copy []byte
	// Decoded is the content coding removed from Copy, if any.
	Decoded string
	// Fields says what was replaced ("json clientSecret", "form password").
	Fields []string
	// Withhold, when not "", says why the body must be withheld whole.
	Withhold string
}

// Body decides how a body with head h can be shipped: data is its stored
// bytes, complete is false when they are only a prefix of the body.
func (r Redactor) Body(h *store.Head, data []byte, complete bool) BodyRedaction {
	plain, coding := data, header(h, "Content-Encoding")
	if len(codings(coding)) > 0 {
		var err error
		if !complete {
			err = errors.New("only a prefix is stored")
		} else {
			plain, err = decodeContent(coding, data)
		}
		if err != nil {
			return BodyRedaction{Withhold: fmt.Sprintf("encoded (%s) and cannot be decoded to look for secrets: %v", coding, err)}
		}
	} else {
		coding = ""
	}
	mt := mediaType(header(h, "Content-Type"))
	var out []byte
	var fields []string
	switch {
	case json.Valid(plain) && len(bytes.TrimSpace(plain)) > 0:
		out, fields = r.json(plain)
	case mt == "application/x-www-form-urlencoded" && complete:
		var s string
		s, fields = r.pairs(string(plain), url.QueryEscape(Redacted))
		for i := range fields {
			fields[i] = "form " + fields[i]
		}
		out = []byte(s)
	default:
		if name := r.mentions(plain); name != "" {
			return BodyRedaction{Withhold: fmt.Sprintf("mentions %q but is not JSON or form data that Telltale can redact (%s)",
				name, cmpOr(mt, "no Content-Type"))}
		}
	}
	if len(fields) == 0 {
		return BodyRedaction{}
	}
	return BodyRedaction{Copy: out, Decoded: coding, Fields: fields}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// mentions returns the first field name that data contains, ignoring case.
func (r Redactor) mentions(data []byte) string {
	lower := bytes.ToLower(data)
	for _, f := range r.fields() {
		if f != "" && bytes.Contains(lower, []byte(strings.ToLower(f))) {
			return f
		}
	}
	return ""
}

// json replaces the values of secret keys, at any depth, with
// "[REDACTED]", keeping every other byte as it was. data is valid JSON.
func (r Redactor) json(data []byte) ([]byte, []string) {
	type span struct{ lo, hi int64 }
	var spans []span
	var fields []string
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var inObject []bool // per open container: is it an object
	key := false        // the next token is an object key
	for {
		tok, err := dec.Token()
		if err != nil {
			break // io.EOF; data is valid JSON
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				inObject = append(inObject, t == '{')
				key = t == '{'
				continue
			}
			inObject = inObject[:len(inObject)-1]
		case string:
			if key {
				if !r.field(t) {
					key = false
					continue
				}
				lo := valueStart(data, dec.InputOffset())
				if skipValue(dec) != nil {
					break
				}
				spans = append(spans, span{lo, dec.InputOffset()})
				fields = addOnce(fields, "json "+t)
			}
		}
		key = len(inObject) > 0 && inObject[len(inObject)-1]
	}
	out := slices.Clone(data)
	for i := len(spans) - 1; i >= 0; i-- {
		out = slices.Replace(out, int(spans[i].lo), int(spans[i].hi), []byte(`"`+Redacted+`"`)...)
	}
	return out, fields
}

// valueStart skips the whitespace and colon after an object key.
func valueStart(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n:", data[off]) >= 0 {
		off++
	}
	return off
}

// skipValue reads one whole value from dec.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}
