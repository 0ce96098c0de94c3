package admin

import (
	"errors"
	"strconv"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/store"
)

// Whether a capture changed since the previous one of its endpoint.
// Item.BodyChanged compares request bodies byte for byte, which every
// upload that carries a timestamp does; the list's changed=1 filter asks
// the analysis instead whether a field changed that its endpoint's rules
// do not call volatile (analysis.Comparison.Counted), as the diff page
// counts. Answers are kept per capture.
const (
	fieldsUnknown int8 = iota
	fieldsChanged
	fieldsSame
)

// slowFilter is the page's test that reads bodies: free text in the URL
// and bodies, and a change by field; nil when the filter needs neither.
func (h *Handler) slowFilter(f filter) slowFilter {
	var tests []slowFilter
	if f.q != "" {
		tests = append(tests, func(e *entry) bool {
			h.cat.mu.RLock()
			url, req, res := e.url, e.req, e.res
			h.cat.mu.RUnlock()
			return h.search.match(f.q, url, req, res)
		})
	}
	if f.changed && h.opts.Analysis != nil {
		tests = append(tests, h.changedByField)
	}
	switch len(tests) {
	case 0:
		return nil
	case 1:
		return tests[0]
	}
	return func(e *entry) bool { return tests[0](e) && tests[1](e) }
}

// changedByField reports whether e's request differs from its previous
// capture's in a field that is not volatile. matchMeta has already let
// through only captures whose request bytes differ.
func (h *Handler) changedByField(e *entry) bool {
	c := h.cat
	c.mu.RLock()
	state, prev, bytesChanged, exchange := e.fields, e.prev, e.changed, e.kind == store.CaptureExchange && e.complete
	c.mu.RUnlock()
	switch {
	case state != fieldsUnknown:
		return state == fieldsChanged
	case prev == nil:
		return true // the first of its endpoint
	case !exchange:
		return bytesChanged // no response yet: decide later
	}
	cmp, err := h.opts.Analysis.Compare(strconv.FormatUint(prev.seq, 10), strconv.FormatUint(e.seq, 10),
		analysis.CompareOptions{Side: analysis.SideRequest})
	if err != nil && !errors.Is(err, analysis.ErrNotExchange) {
		return bytesChanged // perhaps pruned or unreadable now; ask again next time
	}
	state = fieldsChanged
	if err == nil && cmp.Counted == 0 {
		state = fieldsSame
	}
	c.mu.Lock()
	e.fields = state
	c.mu.Unlock()
	return state == fieldsChanged
}
