package admin

import (
	"net/http"
	"testing"
)

// TestExport_Pseudonymise: the review UI's export asks for a
// pseudonymised bundle when told to, and not otherwise.
func TestExport_Pseudonymise(t *testing.T) {
	log := newSignedLog(t)
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Evidence: log})
	for _, want := range []bool{true, false} {
		resp := call(t, "POST", srv.URL+"/api/exports", map[string]any{"pseudonymise": want}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("export: got %d, want 200", resp.StatusCode)
		}
		if log.sel.Pseudonymise != want || !log.sel.Redact {
			t.Errorf("pseudonymise %v: the export got %+v", want, log.sel)
		}
	}
}
