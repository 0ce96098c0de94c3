package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// entry proves one record and writes its body, or its redacted copy.
func (x *exporter) entry(seq uint64, capture string, files map[string][]byte) (*Entry, error) {
	r, err := x.st.Record(seq)
	if err != nil {
		return nil, err
	}
	data, err := store.LeafData(r)
	if err != nil {
		return nil, err
	}
	leaf, err := store.ParseLeaf(data)
	if err != nil {
		return nil, err
	}
	e := &Entry{Seq: seq, LeafIndex: seq - 1, Leaf: string(data)}
	if e.Proof, err = x.prove(seq-1, data); err != nil {
		return nil, err
	}
	meta := store.MetaOf(r)
	mb, err := json.Marshal(&meta)
	if err != nil {
		return nil, err
	}
	e.Meta = string(mb)
	if err := x.head(e, r, leaf, capture); err != nil {
		return nil, err
	}
	if err := x.body(e, r, capture, files); err != nil {
		return nil, err
	}
	return e, nil
}

func (x *exporter) prove(index uint64, leaf []byte) ([]tlog.Hash, error) {
	p, err := tlog.ProveRecord(int64(x.ck.Size), int64(index), x.hashes)
	if err == nil {
		err = tlog.CheckRecord(p, int64(x.ck.Size), x.ck.Root, int64(index), tlog.RecordHash(leaf))
	}
	if err != nil {
		return nil, fmt.Errorf("record %d is not proven by checkpoint %d (%v): the store does not match its checkpoint; run `telltale verify`",
			index+1, x.cp.Index, err)
	}
	return p, nil
}

func (x *exporter) head(e *Entry, r *store.Record, leaf store.Leaf, capture string) error {
	if r.Head == nil {
		return nil
	}
	if r.Salts != nil {
		fields, withheld, err := headFields(r, x.opts.Redactor, x.opts.Selection.Redact)
		if err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		e.HeadFields = fields
		if len(withheld) > 0 {
			e.Withheld = append(e.Withheld, Withheld{Capture: capture, Seq: r.Seq, Part: partName(r.Kind, "head"),
				SHA256: leaf.Head, Reason: ReasonRedacted, Fields: withheld})
		}
		return nil
	}
	if x.opts.Selection.Redact {
		if c, fields := x.opts.Redactor.Head(r.Head); c != nil {
			e.HeadRedacted = c
			e.Withheld = append(e.Withheld, Withheld{Capture: capture, Seq: r.Seq, Part: partName(r.Kind, "head"),
				SHA256: leaf.Head, Reason: ReasonRedacted, Fields: fields})
			return nil
		}
	}
	b, err := json.Marshal(r.Head)
	if err != nil {
		return err
	}
	s := string(b)
	e.Head = &s
	return nil
}

func (x *exporter) body(e *Entry, r *store.Record, capture string, files map[string][]byte) error {
	key := r.Body.StoredKey()
	if key == "" {
		return nil
	}
	w := Withheld{Capture: capture, Seq: r.Seq, Part: partName(r.Kind, "body"), SHA256: key}
	if done, err := x.pseudonymise(e, r, w, files); done || err != nil {
		return err
	}
	if r.Seal != nil {
		return x.sealedBody(e, r, w, files)
	}
	if r.Body.Pruned {
		w.Reason = ReasonPruned
		e.Withheld = append(e.Withheld, w)
		return nil
	}
	data, err := x.read(key)
	if err != nil {
		return fmt.Errorf("record %d: %w", r.Seq, err)
	}
	if x.opts.Selection.Redact {
		red := x.redactBody(r, data)
		switch {
		case red.Withhold != "":
			w.Reason = "not redactable: " + red.Withhold
			e.Withheld = append(e.Withheld, w)
			return nil
		case red.Copy != nil:
			sum := sha256.Sum256(red.Copy)
			name := DirRedacted + hex.EncodeToString(sum[:])
			w.Reason, w.Fields, w.Copy = ReasonRedacted, red.Fields, name
			e.Withheld = append(e.Withheld, w)
			e.BodyRedacted, e.BodyRedactedDecoded = name, red.Decoded
			files[name] = red.Copy
			return x.ship(name, red.Copy)
		}
	}
	e.Body = DirBodies + key
	files[e.Body] = data
	return x.ship(e.Body, data)
}

// read reads stored bytes and checks that they hash to their address.
func (x *exporter) read(key string) ([]byte, error) {
	rc, _, err := x.st.OpenBody(key)
	if err != nil {
		return nil, fmt.Errorf("body %s: %w; run `telltale verify`", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("body %s: %w", key, err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != key {
		return nil, fmt.Errorf("body %s: the stored bytes do not hash to it: run `telltale verify`", key)
	}
	return data, nil
}

// ship writes a body file once: bodies are content-addressed.
func (x *exporter) ship(name string, data []byte) error {
	if x.bw.has(name) {
		return nil
	}
	return x.bw.addBytes(name, data)
}
