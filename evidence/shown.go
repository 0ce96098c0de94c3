package evidence

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/telltale/telltale/store"
)

// shown is a capture as a bundle shows it, rebuilt from its entries alone:
// each record from its meta JSON, its logged head (or the redacted copy)
// and the BodyRef its leaf pins down. The capture view, the HAR entry and
// the summary row are made from it, in export and in verification alike.
type shown struct {
	line         *Line
	open, resp   *store.Record
	openE, respE *Entry
}

// showLine rebuilds the records of a captures.jsonl line.
func showLine(line *Line) (*shown, error) {
	if n := len(line.Records); n == 0 || n > 2 {
		return nil, fmt.Errorf("%d records, want the opening record and at most a response", n)
	}
	s := &shown{line: line, openE: &line.Records[0]}
	var err error
	if s.open, _, err = rebuild(s.openE); err != nil {
		return nil, err
	}
	if s.open.Kind == store.KindResponse || s.open.Head == nil && s.open.Kind == store.KindRequest {
		return nil, fmt.Errorf("record %d does not open a capture", s.open.Seq)
	}
	if len(line.Records) == 2 {
		s.respE = &line.Records[1]
		if s.resp, _, err = rebuild(s.respE); err != nil {
			return nil, err
		}
		if s.resp.Kind != store.KindResponse || s.resp.Capture != s.open.Seq || s.open.Kind != store.KindRequest {
			return nil, fmt.Errorf("record %d is not the response to record %d", s.resp.Seq, s.open.Seq)
		}
	}
	return s, nil
}

// view is the capture as `show --json` prints it.
func (s *shown) view() store.Capture {
	return store.CaptureOf(s.open, s.resp)
}

// rebuild makes a record from an entry.
func rebuild(e *Entry) (*store.Record, store.Leaf, error) {
	l, err := store.ParseLeaf([]byte(e.Leaf))
	if err != nil {
		return nil, l, err
	}
	var r store.Record
	if err := json.Unmarshal([]byte(e.Meta), &r); err != nil {
		return nil, l, fmt.Errorf("record %d: meta: %w", e.Seq, err)
	}
	switch {
	case e.Head != nil:
		r.Head = new(store.Head)
		if err := json.Unmarshal([]byte(*e.Head), r.Head); err != nil {
			return nil, l, fmt.Errorf("record %d: head: %w", e.Seq, err)
		}
	case e.HeadRedacted != nil:
		h := *e.HeadRedacted
		r.Head = &h
	case e.HeadFields != nil:
		if r.Head, err = shownHead(e.HeadFields); err != nil {
			return nil, l, fmt.Errorf("record %d: head fields: %w", e.Seq, err)
		}
	}
	r.Body = leafBody(l)
	if l.Sealed != "" {
		// The seal hides the body's size and hash unless the bundle opens it.
		r.Body = store.BodyRef{Size: -1}
		if e.Seal != nil && e.Seal.SHA256 != "" {
			r.Body = store.BodyRef{SHA256: e.Seal.SHA256, Size: e.Seal.Size}
		}
	}
	for _, w := range e.Withheld {
		if strings.HasSuffix(w.Part, "body") && w.Reason == ReasonPruned {
			r.Body.Pruned = true
		}
	}
	return &r, l, nil
}

// partName names a part of a record of kind k: "request head",
// "response body"; tunnels and denied records have a plain "head".
func partName(k store.Kind, part string) string {
	switch k {
	case store.KindRequest:
		return "request " + part
	case store.KindResponse:
		return "response " + part
	}
	return part
}
