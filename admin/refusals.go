package admin

import (
	"net/http"

	"github.com/telltale/telltale/proxy"
)

// Refusals is what the running proxy knows of clients that refused the
// certificate Telltale minted for an intercepted host. *proxy.Proxy
// implements it.
type Refusals interface {
	Refusals() []proxy.Refusal
	PassThroughs() []proxy.PassThrough
	ResetPassThroughs() int
}

var _ Refusals = (*proxy.Proxy)(nil)

// RefusalsAnswer is GET /api/refusals: the refused handshakes since serve
// started, by client and host, and the hosts passed through uninspected
// now. The UI's banner and `telltale doctor` show them.
type RefusalsAnswer struct {
	Refusals    []proxy.Refusal     `json:"refusals"`
	PassThrough []proxy.PassThrough `json:"pass_through"`
}

// RouteRefusals adds GET /api/refusals and DELETE
// /api/refusals/pass-through (end every pass-through now; the next
// connections are intercepted again).
func (h *Handler) RouteRefusals(src Refusals) {
	h.mux.HandleFunc("GET /api/refusals", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, RefusalsAnswer{Refusals: src.Refusals(), PassThrough: src.PassThroughs()})
	})
	h.mux.HandleFunc("DELETE /api/refusals/pass-through", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]int{"ended": src.ResetPassThroughs()})
	})
}
