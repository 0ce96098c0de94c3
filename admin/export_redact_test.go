package admin

import "testing"

// POST /api/exports withholds secrets unless asked not to, as `telltale
// export` does.
func TestExport_RedactsByDefault(t *testing.T) {
	st := openTestStore(t)
	log := newSignedLog(t)
	srv, _ := newReviewAPI(t, Options{Store: st, Evidence: log, TempDir: t.TempDir()})
	for _, tc := range []struct {
		body map[string]any
		want bool
	}{{map[string]any{}, true}, {map[string]any{"redact": false}, false}, {map[string]any{"redact": true}, true}} {
		if r := call(t, "POST", srv.URL+"/api/exports", tc.body, nil); r.StatusCode != 200 || log.sel.Redact != tc.want {
			t.Errorf("export %v: got %d, redact %v, want 200 and redact %v", tc.body, r.StatusCode, log.sel.Redact, tc.want)
		}
	}
}
