package admin

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/telltale/telltale/analysis"
	"github.com/telltale/telltale/measure"
	"github.com/telltale/telltale/store"
)

// measurementStore is a Reader that also keeps Telltale's own
// measurements (a *store.Store).
type measurementStore interface {
	Measurements(source string) ([]store.Measurement, error)
}

// routeMeasurements serves
//
//	GET /api/measurements?source=S
//	    [{"Source", "Time", "Data" (base64 of the source's JSON)}], oldest
//	    first: what serve measured beside the traffic (source "wmi": the
//	    License Server's WMI license pools, package measure), for
//	    `telltale reconcile` without --measured while serve runs. 404
//	    when the store keeps none.
func (h *Handler) routeMeasurements() {
	h.mux.HandleFunc("GET /api/measurements", func(w http.ResponseWriter, r *http.Request) {
		ms, ok := h.opts.Store.(measurementStore)
		if !ok {
			writeError(w, http.StatusNotFound, "this store keeps no measurements")
			return
		}
		source := r.URL.Query().Get("source")
		if source == "" {
			writeError(w, http.StatusBadRequest, "want ?source=wmi")
			return
		}
		out, err := ms.Measurements(source)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err.Error())
			return
		}
		if out == nil {
			out = []store.Measurement{}
		}
		writeJSON(w, out)
	})
}

// storedMeasurements are the daily peaks of the WMI samples the store
// keeps, for POST /api/reconcile {"source": "wmi"}.
func (h *Handler) storedMeasurements(source string) ([]analysis.Measurement, string, error) {
	ms, ok := h.opts.Store.(measurementStore)
	if source != measure.SourceWMI || !ok {
		return nil, "", fmt.Errorf("source %q: want \"wmi\" on a store that keeps measurements: %w", source, analysis.ErrBadInput)
	}
	ss, err := measure.Load(ms)
	if err != nil {
		return nil, "", err
	}
	if len(ss) == 0 {
		return nil, "", fmt.Errorf("the store holds no WMI samples (measure.wmi_interval turns them on): %w", analysis.ErrBadInput)
	}
	return measure.DailyPeaks(ss), measure.SourceWMI, nil
}

// Measurements is store.Store.Measurements over the API.
func (c *Client) Measurements(source string) ([]store.Measurement, error) {
	var out []store.Measurement
	return out, c.getJSON("/api/measurements?source="+url.QueryEscape(source), &out)
}
