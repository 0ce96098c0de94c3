package evidence

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/telltale/telltale/store"
)

// Reasons for withholding a body whole that Redactor.Body does not give.
const (
	reasonUnsealed = "not redactable: it holds secrets that were not sealed when it was captured (too large, or other rules); " +
		"a copy without them would let a guess be tested against the leaf's hash"
	reasonNewSecrets = "not redactable: its sealed copy shows values that the export's rules call secret"
)

// redactBody decides how an unsealed body ships in a redacted bundle. A
// v2 record's body has no secrets under the capture's rules, or it would
// be sealed: if the export's rules find one, in any layer, it is withheld
// whole, since the leaf's plain hash would let each guess be tested. A v1
// record keeps the v1 redaction (README.txt says what it does not hide),
// and is withheld whole when a secret sits where it cannot reach.
func (x *exporter) redactBody(r *store.Record, data []byte) BodyRedaction {
	red := x.opts.Redactor
	if r.Salts != nil {
		if red.exposes(r.Head, data, false) {
			return BodyRedaction{Withhold: strings.TrimPrefix(reasonUnsealed, "not redactable: ")}
		}
		return BodyRedaction{}
	}
	b := red.Body(r.Head, data, !r.Body.Truncated)
	switch {
	case b.Withhold != "":
	case b.Copy != nil && red.exposes(r.Head, b.Copy, true),
		b.Copy == nil && !r.Body.Truncated && red.exposes(r.Head, data, false):
		return BodyRedaction{Withhold: "it holds secrets inside a layer that only sealing at capture can redact"}
	}
	return b
}

// sealedBody ships a sealed body: redacted, the copy the seal names (kept
// when retention prunes the body: it holds no secret); not redacted, the
// body with the salt that opens the seal's body line.
func (x *exporter) sealedBody(e *Entry, r *store.Record, w Withheld, files map[string][]byte) error {
	text, err := store.SealText(r)
	if err != nil {
		return fmt.Errorf("record %d: %w", r.Seq, err)
	}
	sealed, _ := store.SealHash(r)
	e.Seal = &EntrySeal{Text: string(text)}
	w.SHA256 = sealed
	if r.Body.Pruned && !x.opts.Selection.Redact {
		w.Reason = ReasonPruned
		e.Withheld = append(e.Withheld, w)
		return nil
	}
	if !x.opts.Selection.Redact {
		data, err := x.read(r.Body.StoredKey())
		if err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		e.Seal.Salt, e.Seal.SHA256, e.Seal.Size = hex.EncodeToString(r.Salts.Body), r.Body.SHA256, r.Body.Size
		e.Body = DirBodies + r.Body.StoredKey()
		files[e.Body] = data
		return x.ship(e.Body, data)
	}
	copy, err := x.read(r.Seal.Copy)
	if err != nil {
		return fmt.Errorf("record %d: redacted copy: %w", r.Seq, err)
	}
	for _, s := range r.Seal.Secrets {
		w.Fields = append(w.Fields, s.Path)
	}
	if x.copyExposes(r, copy) {
		w.Reason, w.Fields = reasonNewSecrets, nil
		e.Withheld = append(e.Withheld, w)
		return nil
	}
	name := DirRedacted + r.Seal.Copy
	w.Reason, w.Copy = ReasonRedacted, name
	e.Withheld = append(e.Withheld, w)
	e.BodyRedacted, e.BodyRedactedDecoded = name, copyDecoded(r)
	files[name] = copy
	return x.ship(name, copy)
}

// copyExposes checks a sealed copy against the export's rules, which may
// name more secrets than the capture's did.
func (x *exporter) copyExposes(r *store.Record, copy []byte) bool {
	red := x.opts.Redactor
	if r.Seal.Form == store.CopyBody {
		return red.exposes(r.Head, copy, true)
	}
	var fc fieldsCopy
	if err := json.Unmarshal(copy, &fc); err != nil {
		return true
	}
	return len(red.exposed(fc.Fields)) > 0
}

// copyDecoded is Entry.BodyRedactedDecoded of a sealed copy: the content
// coding it was decoded from, or "fields" for a listing.
func copyDecoded(r *store.Record) string {
	if r.Seal.Form == store.CopyFields {
		return store.CopyFields
	}
	if cs := header(r.Head, "Content-Encoding"); len(codings(cs)) > 0 {
		return cs
	}
	return ""
}
