package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/telltale/telltale/analysis"
)

// reconcileRequest is the body of POST /api/reconcile: the figures the
// buyer measured, as the CSV `telltale reconcile` reads (date, figure
// name, value; or the Historical Use export, recognised from its
// header), and how far apart they may be.
type reconcileRequest struct {
	CSV       string `json:"csv"`
	Tolerance string `json:"tolerance"` // "2" or "5%"; "" means exact
	Endpoint  string `json:"endpoint"`  // only figures of this endpoint; "" for all
	// Map reads another CSV layout (the Licensing Manager's Historical
	// Use export) by naming its columns; zero: date, figure name, value.
	Map analysis.Mapping `json:"map"`
	// Source "wmi" reconciles Telltale's own WMI samples kept in the
	// store (measurements.go), each license's daily peak, instead of CSV.
	Source string `json:"source"`
}

// reconcile is POST /api/reconcile: the figures the log reports against
// the measured ones, day by day (analysis.Reconcile), for the timeline's
// mismatch marks. It changes nothing; it is a POST for the size of its
// input.
func (h *Handler) reconcile(w http.ResponseWriter, r *http.Request) {
	a := h.analyst(w)
	if a == nil {
		return
	}
	var in reconcileRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 8<<20)).Decode(&in); err != nil {
		writeCodedError(w, http.StatusBadRequest, codeBadInput, `want {"csv": "date,name,value\n...", "tolerance": "5%"}`)
		return
	}
	tol := analysis.Tolerance{}
	var err error
	if in.Tolerance != "" {
		if tol, err = analysis.ParseTolerance(in.Tolerance); err != nil {
			h.answer(w, nil, err)
			return
		}
	}
	points, err := a.Figures(analysis.Query{})
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	var measured []analysis.Measurement
	var format string
	if in.Source != "" {
		measured, format, err = h.storedMeasurements(in.Source)
	} else {
		measured, format, err = analysis.ReadMeasurements(strings.NewReader(in.CSV), in.Map, h.catalog(), analysis.KnownLicenses(points))
	}
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	if in.Endpoint != "" {
		kept := points[:0]
		for _, p := range points {
			if p.Endpoint == in.Endpoint || strings.HasSuffix(p.Name, ".Installed") {
				kept = append(kept, p)
			}
		}
		points = kept
	}
	writeJSON(w, struct {
		analysis.Reconciliation
		Format       string                 `json:"format"`
		Measurements []analysis.Measurement `json:"measurements"`
		Licenses     map[string]string      `json:"licenses"`
	}{analysis.Reconcile(analysis.WithOverdraft(points), measured, tol), format, measured, licenseNames(h.catalog(), points)})
}

// licenseNames names every license code the points report: "XDT_PLT_UD"
// is "Citrix Virtual Apps and Desktops Premium, User/Device".
func licenseNames(cat *analysis.Catalog, points []analysis.Point) map[string]string {
	out := map[string]string{}
	for _, code := range analysis.KnownLicenses(points) {
		out[code] = cat.Describe(code).Name()
	}
	return out
}
