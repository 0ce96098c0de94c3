package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/telltale/telltale/analysis"
)

// positionAnswer is GET /api/position: the position, with each
// license's headline in words, as the CLI and the report word it.
type positionAnswer struct {
	analysis.Position
	Headlines map[string]string   `json:"headlines"`
	Lines     map[string][]string `json:"lines"`
}

// position is GET /api/position[?days=30|90|365][&since=DAY][&until=DAY]:
// the license position by usage day (analysis.ComputePosition), with the
// config's catalog and entitlements.
func (h *Handler) position(w http.ResponseWriter, r *http.Request) {
	a := h.analyst(w)
	if a == nil {
		return
	}
	v := r.URL.Query()
	ents, err := h.effectiveEntitlements()
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	o := analysis.PositionOptions{Since: v.Get("since"), Until: v.Get("until"), Catalog: h.catalog(),
		Entitlements: ents, Names: h.opts.Names}
	for _, d := range []string{o.Since, o.Until} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			writeCodedError(w, http.StatusBadRequest, codeBadInput, "since and until are usage days, YYYY-MM-DD")
			return
		}
	}
	if s := v.Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 3650 {
			writeCodedError(w, http.StatusBadRequest, codeBadInput, "days is a number of usage days, 1 to 3650")
			return
		}
		o.Days = n
	}
	pts, err := a.Figures(analysis.Query{})
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	o.Numbers = h.captureNumbers()
	pos := analysis.ComputePosition(pts, o)
	ans := positionAnswer{Position: pos, Headlines: map[string]string{}, Lines: map[string][]string{}}
	for _, l := range pos.Licenses {
		ans.Headlines[l.Code] = l.Headline()
		ans.Lines[l.Code] = analysis.PositionLines(l)
	}
	writeJSON(w, ans)
}

// captureNumbers are the captures' numbers as the list shows them; nil
// when there is no catalog.
func (h *Handler) captureNumbers() *analysis.Numbers {
	if h.cat == nil || h.cat.refresh() != nil {
		return nil
	}
	h.cat.mu.RLock()
	defer h.cat.mu.RUnlock()
	return analysis.NumbersOf(h.cat.numbers.IDs())
}
