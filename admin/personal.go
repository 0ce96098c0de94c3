package admin

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/telltale/telltale/analysis"
)

// personalAnswer is GET /api/personal: every identity sent, most carried
// first, and whether usernames were anonymised.
type personalAnswer struct {
	Identities []analysis.Identity `json:"identities"`
	// Counts are the numbers the page shows, as the report and
	// `telltale personal` count them (analysis.CountIdentities).
	Counts        analysis.IdentityCounts `json:"counts"`
	Anonymisation analysis.Anonymisation  `json:"anonymisation"`
	// Names are the endpoints' names, for the page's "to which endpoint".
	Names map[string]string `json:"names"`
}

// personal is GET /api/personal (analysis.go lists it).
func (h *Handler) personal(w http.ResponseWriter, r *http.Request) {
	a := h.analyst(w)
	if a == nil {
		return
	}
	ids, err := a.Identities()
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	analysis.SortIdentities(ids)
	names := map[string]string{}
	for _, id := range ids {
		for _, ep := range id.Endpoints {
			names[ep] = h.opts.Names.Label(ep)
		}
	}
	if r.URL.Query().Get("format") == "csv" {
		writePersonalCSV(w, ids, names)
		return
	}
	writeJSON(w, personalAnswer{Identities: ids, Counts: analysis.CountIdentities(ids), Anonymisation: analysis.CheckAnonymisation(ids), Names: names})
}

func writePersonalCSV(w http.ResponseWriter, ids []analysis.Identity, names map[string]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="telltale-personal-data.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"category", "value", "uploads", "endpoints", "first_id", "first_time", "last_id", "last_time", "plain_user_at_domain", "kind"})
	for _, id := range ids {
		var eps []string
		for _, ep := range id.Endpoints {
			eps = append(eps, names[ep])
		}
		cw.Write([]string{id.Category, csvSafe(id.Value), strconv.Itoa(id.Uploads), strings.Join(eps, "; "),
			id.FirstID, id.FirstTime, id.LastID, id.LastTime, strconv.FormatBool(id.Plain), id.Kind})
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading a value as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
