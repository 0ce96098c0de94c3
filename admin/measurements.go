package admin

import (
	"net/http"
	"net/url"

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

// Measurements is store.Store.Measurements over the API.
func (c *Client) Measurements(source string) ([]store.Measurement, error) {
	var out []store.Measurement
	return out, c.getJSON("/api/measurements?source="+url.QueryEscape(source), &out)
}
