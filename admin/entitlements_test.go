package admin

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/telltale/telltale/analysis"
)

// TestEntitlements_EnteredOverridesConfig enters an entitlement through
// the API: it is kept in the file, replaces the config's for the same
// license, and the position's installed count is the contract's.
func TestEntitlements_EnteredOverridesConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), EntitlementsFile)
	pts := []analysis.Point{
		{ID: "3", Name: "XDT_PLT_UD.Installed", Value: 300.0, Time: "2026-05-02T02:00:00Z", Day: "2026-05-01"},
		{ID: "4", Name: "XDT_PLT_UD.CountUsedMax", Value: 280.0, Time: "2026-05-02T02:01:00Z", Day: "2026-05-01"},
	}
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Analysis: &uiAnalyst{points: pts},
		Entitlements:     []analysis.Entitlement{{License: "XDT_PLT_UD", Quantity: 250, From: "config licenses.entitlements"}, {License: "MPS_STD_CCU", Quantity: 10}},
		EntitlementsPath: path})

	var pos positionAnswer
	call(t, "GET", srv.URL+"/api/position", nil, &pos)
	if got := installed(pos, "XDT_PLT_UD"); got != 250 {
		t.Fatalf("installed before entering: got %v, want the config's 250", got)
	}
	resp := call(t, "PUT", srv.URL+"/api/entitlements", map[string]any{"entitlements": []map[string]any{
		{"license": "xdt_plt_ud", "quantity": 320, "overdraft": 30, "end_date": "2027-03-31"}}}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: got %d, want 200", resp.StatusCode)
	}
	entered, err := ReadEntitlements(path)
	if err != nil || len(entered) != 1 || entered[0].Quantity != 320 || entered[0].From != "entered in the review UI" {
		t.Fatalf("file: got %+v, %v; want the one entered", entered, err)
	}
	var got entitlementsAnswer
	call(t, "GET", srv.URL+"/api/entitlements", nil, &got)
	if len(got.Effective) != 2 || got.Effective[0].Quantity != 320 || got.Effective[1].License != "MPS_STD_CCU" {
		t.Errorf("effective: got %+v, want the entered XDT_PLT_UD over the config's, and MPS_STD_CCU", got.Effective)
	}
	call(t, "GET", srv.URL+"/api/position", nil, &pos)
	if got := installed(pos, "XDT_PLT_UD"); got != 320 {
		t.Errorf("installed after entering: got %v, want 320", got)
	}
	for _, l := range pos.Licenses {
		if l.Code == "XDT_PLT_UD" && (l.Overdraft == nil || *l.Overdraft != 30 || l.InstalledFrom != "your entitlement (entered in the review UI)") {
			t.Errorf("XDT_PLT_UD: overdraft %v, from %q; want 30 and the UI named", l.Overdraft, l.InstalledFrom)
		}
	}
}

func installed(pos positionAnswer, code string) float64 {
	for _, l := range pos.Licenses {
		if l.Code == code && l.Installed != nil {
			return l.Installed.Value
		}
	}
	return -1
}

// TestEntitlements_Refused: a bad entry is refused in words and nothing
// is written; a server without a file refuses entering at all.
func TestEntitlements_Refused(t *testing.T) {
	path := filepath.Join(t.TempDir(), EntitlementsFile)
	srv, _ := newReviewAPI(t, Options{Store: openTestStore(t), Analysis: &uiAnalyst{}, EntitlementsPath: path})
	for _, bad := range []map[string]any{
		{"license": "", "quantity": 3},
		{"license": "XDT_PLT_UD", "quantity": -1},
		{"license": "XDT_PLT_UD", "quantity": 3, "end_date": "31.03.2027"},
	} {
		resp := call(t, "PUT", srv.URL+"/api/entitlements", map[string]any{"entitlements": []any{bad}}, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT %v: got %d, want 400", bad, resp.StatusCode)
		}
	}
	if ents, _ := ReadEntitlements(path); ents != nil {
		t.Errorf("file after refusals: got %+v, want none", ents)
	}
	srv2, _ := newReviewAPI(t, Options{Store: openTestStore(t), Analysis: &uiAnalyst{}})
	resp := call(t, "PUT", srv2.URL+"/api/entitlements", map[string]any{"entitlements": []any{}}, nil)
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("PUT without a file: got %d, want 409", resp.StatusCode)
	}
}
