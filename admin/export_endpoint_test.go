package admin

import "testing"

// TestExport_ByEndpoint: POST /api/exports takes an endpoint, and refuses
// one without a method or with a host.
func TestExport_ByEndpoint(t *testing.T) {
	st := openTestStore(t)
	log := newSignedLog(t)
	srv, _ := newReviewAPI(t, Options{Store: st, Evidence: log, TempDir: t.TempDir()})
	var v exportView
	r := call(t, "POST", srv.URL+"/api/exports", map[string]any{"endpoint": "POST cis.citrix.com/api/upload"}, &v)
	if r.StatusCode != 200 || log.sel.Endpoint != "POST cis.citrix.com/api/upload" || log.sel.Host != "" {
		t.Fatalf("export by endpoint: got %d, selection %+v", r.StatusCode, log.sel)
	}
	for _, bad := range []map[string]any{{"endpoint": "cis.citrix.com/api/upload"}, {"endpoint": "POST x/y", "host": "x"}} {
		if r := call(t, "POST", srv.URL+"/api/exports", bad, nil); r.StatusCode != 400 {
			t.Errorf("export %v: got %d, want 400", bad, r.StatusCode)
		}
	}
}
