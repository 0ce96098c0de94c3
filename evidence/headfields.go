package evidence

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/telltale/telltale/store"
)

// HeadField is one field of a v2 head in a bundle (store.HeadFields): in
// clear with its salt, from which the verifier recomputes its commitment,
// or, when withheld, only its commitment: no value, no salt, no length.
type HeadField struct {
	Kind       string  `json:"kind"`
	Name       string  `json:"name,omitempty"`
	Value      *string `json:"value,omitempty"`
	Salt       string  `json:"salt,omitempty"`       // hex, store.SaltSize bytes
	Commitment string  `json:"commitment,omitempty"` // hex, only when withheld
}

// withholds reports whether a head field holds a secret: a header named in
// Headers or Fields, a query pair whose key is in Fields, or a URL with a
// password.
func (r Redactor) withholds(f store.Field) bool {
	switch f.Kind {
	case store.FieldHeader, store.FieldTrailer:
		return r.header(f.Name)
	case store.FieldQuery:
		name, err := url.QueryUnescape(f.Name)
		if err != nil {
			name = f.Name
		}
		return r.field(name)
	case store.FieldURL:
		u, err := url.Parse(f.Value)
		if err != nil {
			return false
		}
		_, ok := u.User.Password()
		return ok
	}
	return false
}

// sizeOfSealed reports whether f is the Content-Length of a sealed body:
// with the redacted copy beside it, it would give away the secrets'
// length.
func sizeOfSealed(r *store.Record, f store.Field) bool {
	return r.Seal != nil && (f.Kind == store.FieldHeader || f.Kind == store.FieldTrailer) &&
		strings.EqualFold(f.Name, "Content-Length")
}

// fieldLabel names a withheld field in Withheld.Fields: "header
// Authorization", "query access_token", "url".
func fieldLabel(f store.Field) string {
	if f.Name == "" && f.Kind != store.FieldQuery {
		return f.Kind
	}
	return f.Kind + " " + f.Name
}

// headFields makes the bundle's fields of a v2 head, withholding secrets
// when redact is set; it returns the labels of the withheld ones.
func headFields(r *store.Record, red Redactor, redact bool) ([]HeadField, []string, error) {
	fs, cs, err := store.HeadCommitments(r.Head, r.Salts.Head)
	if err != nil {
		return nil, nil, err
	}
	out := make([]HeadField, len(fs))
	var withheld []string
	for i, f := range fs {
		out[i] = HeadField{Kind: f.Kind, Name: f.Name}
		if redact && (red.withholds(f) || sizeOfSealed(r, f)) {
			out[i].Commitment = cs[i]
			withheld = append(withheld, fieldLabel(f))
			continue
		}
		v := f.Value
		out[i].Value, out[i].Salt = &v, hex.EncodeToString(r.Salts.HeadSalt(i))
	}
	return out, withheld, nil
}

// checkHeadFields recomputes the head line from a bundle's fields; it
// returns it and the labels of the withheld fields.
func checkHeadFields(hf []HeadField) (string, []string, error) {
	cs := make([]string, len(hf))
	var withheld []string
	for i, f := range hf {
		sf := store.Field{Kind: f.Kind, Name: f.Name}
		switch {
		case f.Value != nil && f.Commitment == "":
			salt, err := hex.DecodeString(f.Salt)
			if err != nil || len(salt) != store.SaltSize || hex.EncodeToString(salt) != f.Salt {
				return "", nil, fmt.Errorf("head field %d: salt %q is not %d bytes in lowercase hex", i, f.Salt, store.SaltSize)
			}
			sf.Value = *f.Value
			cs[i] = store.Commit(salt, sf)
		case f.Value == nil && f.Salt == "" && isHex256(f.Commitment):
			cs[i] = f.Commitment
			withheld = append(withheld, fieldLabel(sf))
		default:
			return "", nil, fmt.Errorf("head field %d: want a value and its salt, or only a commitment", i)
		}
	}
	return store.CommitmentsHash(cs), withheld, nil
}

func isHex256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && hex.EncodeToString(b) == s
}

// shownHead rebuilds a v2 head from a bundle's fields, a withheld value
// shown as Redacted.
func shownHead(hf []HeadField) (*store.Head, error) {
	fs := make([]store.Field, len(hf))
	for i, f := range hf {
		fs[i] = store.Field{Kind: f.Kind, Name: f.Name}
		switch {
		case f.Value != nil:
			fs[i].Value = *f.Value
		case f.Kind == store.FieldQuery:
			fs[i].Value = f.Name + "=" + url.QueryEscape(Redacted)
		default:
			fs[i].Value = Redacted
		}
	}
	return store.HeadOf(fs)
}

// headFields checks the fields of a v2 head against the leaf, and that
// exactly the withheld fields are listed as withheld.
func (v *bundleVerifier) headFields(fail func(string, ...any), e *Entry, l store.Leaf, w *Withheld) {
	switch {
	case e.Head != nil || e.HeadRedacted != nil:
		fail("head: a v1 head for a v2 leaf")
	case l.Head == "" && e.HeadFields != nil:
		fail("head: fields of a head the leaf does not have")
	case l.Head != "" && e.HeadFields == nil:
		fail("head: missing")
	}
	if e.HeadFields == nil {
		return
	}
	got, withheld, err := checkHeadFields(e.HeadFields)
	switch {
	case err != nil:
		fail("%v", err)
	case got != l.Head:
		fail("head: its fields commit to %s, but the leaf says %s", got, l.Head)
	case len(withheld) == 0 && w != nil:
		fail("head: listed as withheld, but every field is shipped")
	case len(withheld) > 0 && (w == nil || w.Reason != ReasonRedacted || !slices.Equal(w.Fields, withheld)):
		fail("head: fields %s are withheld, but not listed as redacted", strings.Join(withheld, ", "))
	}
}
