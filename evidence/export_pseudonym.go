package evidence

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/telltale/telltale/inspect"
	"github.com/telltale/telltale/store"
)

// Pseudonymiser withholds the identifiers of people and devices from a
// bundle (export --pseudonymise). A body that carries any ships as a
// copy: every decoded field of it (FormatPseudonymised), each identifier
// replaced by a stable pseudonym and each secret by [REDACTED]; the body
// itself is withheld, proven by its hash in the leaf like any withheld
// part. The manifest lists every pseudonym with a salted commitment to
// its identifier, SHA-256(salt || ns(category) || ns(value)), as head
// fields are committed: the salt is not in the bundle, so a guess cannot
// be tested against it, and the exporter can later prove who a pseudonym
// is by giving the value and its salt (PseudonymSalt).
//
// What the copy cannot hide: a body that was not sealed when it was
// logged (a store seals only bodies with secrets) has its plain SHA-256
// in the leaf, which the bundle needs to prove it. Whoever can rebuild
// the rest of such a body byte for byte from its copy can test a guessed
// identifier against that hash; the withholding says so
// (ReasonUnsealedHash), as the exporter prints.
//
// Pseudonyms are HMAC-SHA256 under Key: the same person gets the same
// pseudonym in every bundle exported with the same key, so that counts
// and the license position can be checked across bundles by someone who
// never sees a name.
type Pseudonymiser struct {
	Key []byte // secret, 32 bytes (DATA/ca/pseudonym.key)
	// Find lists the identifiers of people and devices among a body's
	// decoded fields (analysis.IdentifiersIn).
	Find func([]inspect.Field) []Identifier
}

// Identifier is one identifier of a person or device in a body.
type Identifier struct {
	Category string `json:"category"` // email, user_name, host_name, ...
	Value    string `json:"value"`
}

// PseudonymInfo is one pseudonym of a bundle's manifest.
type PseudonymInfo struct {
	Pseudonym  string `json:"pseudonym"`
	Category   string `json:"category"`
	Commitment string `json:"commitment"` // SHA-256(salt || ns(category) || ns(value)), hex
}

// ReasonUnsealedHash is added to the reason of a pseudonymised body
// whose leaf holds its plain hash.
const ReasonUnsealedHash = "the leaf holds the body's plain SHA-256 (it was not sealed when logged): " +
	"whoever can rebuild the rest of the body byte for byte can test a guessed identifier against it"

// FormatPseudonymised is the format of a pseudonymised copy.
const FormatPseudonymised = "telltale-pseudonymised-fields/v1"

// Pseudonym is the stable pseudonym of an identifier under key:
// "pn_<category>_<16 hex digits of HMAC-SHA256>".
func Pseudonym(key []byte, category, value string) string {
	return "pn_" + category + "_" + hex.EncodeToString(mac(key, "pseudonym", category, value)[:8])
}

// PseudonymSalt is the salt of an identifier's commitment under key,
// which opens it: whoever holds the key can prove who a pseudonym is.
func PseudonymSalt(key []byte, category, value string) []byte {
	return mac(key, "salt", category, value)[:store.SaltSize]
}

// PseudonymCommitment is SHA-256(salt || ns(category) || ns(value)).
func PseudonymCommitment(salt []byte, category, value string) string {
	h := sha256.New()
	h.Write(salt)
	fmt.Fprintf(h, "%d:%s,%d:%s,", len(category), category, len(value), value)
	return hex.EncodeToString(h.Sum(nil))
}

func mac(key []byte, what, category, value string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(what + "\x00" + category + "\x00" + value))
	return m.Sum(nil)
}

// pseudonymCopy is a pseudonymised copy: fields as inspect lists them.
type pseudonymCopy struct {
	Format string          `json:"format"`
	Fields []inspect.Field `json:"fields"`
}

// pseudonymise ships a body that carries identifiers as its
// pseudonymised copy, withheld otherwise; it reports false when the body
// carries none (or there is no pseudonymiser), leaving it to body().
func (x *exporter) pseudonymise(e *Entry, r *store.Record, w Withheld, files map[string][]byte) (bool, error) {
	p := x.opts.Pseudonymise
	if p == nil || r.Body.Pruned {
		return false, nil
	}
	data, err := x.read(r.Body.StoredKey())
	if err != nil {
		return false, fmt.Errorf("record %d: %w", r.Seq, err)
	}
	fields, _ := decodeAll(r.Head, data)
	ids := p.Find(fields)
	if len(ids) == 0 {
		return false, nil
	}
	names := x.pseudonyms(ids)
	w.Reason = ReasonPseudonymised
	w.Fields = []string{fmt.Sprintf("%d identifiers of people or devices", len(ids))}
	if r.Seal != nil {
		// The seal names its own redacted copy; another copy would not
		// verify against it, so the body goes without one.
		w.SHA256, _ = store.SealHash(r)
		w.Reason += "; its secrets were sealed when it was logged, so no pseudonymised copy is shipped"
		e.Withheld = append(e.Withheld, w)
		return true, nil
	}
	w.Reason += "; " + ReasonUnsealedHash
	c := pseudonymCopy{Format: FormatPseudonymised, Fields: replaceIdentifiers(fields, names, x.secretFields(fields))}
	b, err := json.Marshal(c)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(b)
	name := DirRedacted + hex.EncodeToString(sum[:])
	w.Copy = name
	e.Withheld = append(e.Withheld, w)
	e.BodyRedacted, e.BodyRedactedDecoded = name, FormatPseudonymised
	files[name] = b
	return true, x.ship(name, b)
}

// secretFields are the fields of a copy that the export's redaction
// withholds, when it redacts.
func (x *exporter) secretFields(fields []inspect.Field) map[int]bool {
	out := map[int]bool{}
	if x.opts.Selection.Redact {
		for _, i := range x.opts.Redactor.exposed(fields) {
			out[i] = true
		}
	}
	return out
}

// pseudonyms gives each identifier its pseudonym, and lists it in the
// manifest once.
func (x *exporter) pseudonyms(ids []Identifier) map[string]string {
	names := map[string]string{}
	for _, id := range ids {
		pn := Pseudonym(x.opts.Pseudonymise.Key, id.Category, id.Value)
		if _, ok := names[id.Value]; !ok {
			names[id.Value] = pn
		}
		if _, ok := x.pseudonymOf[id.Value]; !ok {
			x.pseudonymOf[id.Value] = pn
		}
		if !x.listed[pn] {
			x.listed[pn] = true
			salt := PseudonymSalt(x.opts.Pseudonymise.Key, id.Category, id.Value)
			x.m.Pseudonyms = append(x.m.Pseudonyms, PseudonymInfo{Pseudonym: pn, Category: id.Category,
				Commitment: PseudonymCommitment(salt, id.Category, id.Value)})
		}
	}
	return names
}

// replaceIdentifiers copies fields with each identifier's value replaced
// by its pseudonym: a string that is one, and each cell or word of a text
// that is one; secret fields become [REDACTED].
func replaceIdentifiers(fields []inspect.Field, names map[string]string, secret map[int]bool) []inspect.Field {
	out := slices.Clone(fields)
	for i, f := range out {
		s, ok := f.Value.(string)
		switch {
		case secret[i]:
			out[i].Value = Redacted
		case !ok:
		case f.Type == inspect.KindText:
			out[i].Value = replaceInText(s, names)
		case names[strings.TrimSpace(s)] != "":
			out[i].Value = names[strings.TrimSpace(s)]
		}
	}
	return out
}

// replaceInText replaces identifiers in a text, cell by cell of each
// line (a CSV), and inside a cell at word boundaries.
func replaceInText(s string, names map[string]string) string {
	var b strings.Builder
	start := 0
	flush := func(end int) {
		tok := s[start:end]
		if pn, ok := names[strings.Trim(tok, `"' `)]; ok {
			tok = pn
		}
		b.WriteString(tok)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ';', '\t', '\r', '\n', ' ', '|':
			flush(i)
			b.WriteByte(s[i])
			start = i + 1
		}
	}
	flush(len(s))
	return b.String()
}
