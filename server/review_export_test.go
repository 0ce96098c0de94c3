package server

import (
	"strings"
	"testing"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
)

// TestUIExportOptions_KeepsTheEndpoint: serve's exports (POST
// /api/exports) select by endpoint as `telltale export` does, and the
// hand-over report names it.
func TestUIExportOptions_KeepsTheEndpoint(t *testing.T) {
	o, err := uiExportOptions(evidence.Selection{Endpoint: "POST cis.citrix.com/api/upload"}, &configs.Config{})
	if err != nil || o.Selection.Endpoint != "POST cis.citrix.com/api/upload" {
		t.Errorf("got %+v, %v; want the endpoint kept", o.Selection, err)
	}
	if s := selectionText(o.Selection, 3, 10); !strings.Contains(s, "endpoint POST cis.citrix.com/api/upload") {
		t.Errorf("selection text %q does not name the endpoint", s)
	}
}
