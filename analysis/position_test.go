package analysis

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// positionPoints: 10 usage days from 1 May 2026. A (CCS) owns 100, goes
// over on days 6-8 (by up to 12); B (UD) owns 200 and uses 20-29;
// B's renewal raises it from 150 to 200 on day 4.
func positionPoints() []Point {
	var pts []Point
	d0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10 {
		day := d0.AddDate(0, 0, i).Format(time.DateOnly)
		a := 80.0 + float64(i)
		switch i {
		case 5, 6, 7:
			a = 100 + float64(4*(i-4)) // 104, 108, 112
		}
		id := fmt.Sprint(100 + i)
		pts = append(pts,
			Point{ID: id, Day: day, Time: day + "T02:00:00Z", Name: "XDT_PLT_CCS.CountUsedMax", Value: a},
			Point{ID: id, Day: day, Time: day + "T02:00:00Z", Name: "XDT_PLT_UD.CountUsedMax", Value: 20.0 + float64(i)},
			Point{ID: fmt.Sprint(200 + i), Day: day, Time: day + "T01:00:00Z", Name: "XDT_PLT_CCS.Installed", Value: 100.0, Endpoint: "POST las.cloud.com /{ccid}/licenseserver/activation/renew"})
		b := 150.0
		if i >= 3 {
			b = 200
		}
		pts = append(pts, Point{ID: fmt.Sprint(200 + i), Day: day, Time: day + "T01:00:00Z", Name: "XDT_PLT_UD.Installed", Value: b})
	}
	return pts
}

func TestComputePosition_OverDormantChangeAndProjection(t *testing.T) {
	names := NewNames([]Rule{{Endpoint: "POST * /{ccid}/licenseserver/activation/renew", Name: "Activation renewal"}})
	pos := ComputePosition(positionPoints(), PositionOptions{Names: names})
	if pos.From != "2026-04-11" || pos.To != "2026-05-10" || len(pos.Licenses) != 2 {
		t.Fatalf("period %s..%s, %d licenses", pos.From, pos.To, len(pos.Licenses))
	}
	a, b := pos.Licenses[0], pos.Licenses[1]
	if a.Code != "XDT_PLT_CCS" || a.Status != StatusOver || a.InstalledFrom != "Activation renewal" {
		t.Errorf("first license: got %s %s from %q, want XDT_PLT_CCS over, from the renewal", a.Code, a.Status, a.InstalledFrom)
	}
	o := a.Overuse
	if o.Days != 3 || o.Highest != 12 || o.HighestDay != "2026-05-08" || o.First != "2026-05-06" || o.Last != "2026-05-08" || strings.Join(o.IDs, ",") != "105,106,107" {
		t.Errorf("overuse: %+v", o)
	}
	if a.Peak.Value != 112 || a.Peak.Day != "2026-05-08" || a.Today.Value != 89 || a.Today.Day != "2026-05-10" {
		t.Errorf("peak %+v today %+v", a.Peak, a.Today)
	}
	if b.Code != "XDT_PLT_UD" || b.Status != StatusDormant || *b.Dormant != 171 || *b.DormantPercent != 85.5 || b.Installed.Value != 200 {
		t.Errorf("dormant: %s %s %v %v %+v", b.Code, b.Status, *b.Dormant, *b.DormantPercent, b.Installed)
	}
	if len(b.InstalledChanges) != 2 || b.InstalledChanges[1].Day != "2026-05-04" || b.InstalledChanges[1].Value != 200 {
		t.Errorf("installed changes: %+v", b.InstalledChanges)
	}
	if b.Series[0].Installed == nil || *b.Series[0].Installed != 150 || *b.Series[9].Installed != 200 {
		t.Error("the series' installed line does not follow the renewal")
	}
	if b.Projection.PerDay != 1 || b.Projection.Crosses != "2026-10-28" || !strings.Contains(b.Projection.Text, "projection") {
		t.Errorf("projection: %+v", b.Projection)
	}
	if len(pos.Missing) != 1 || !strings.Contains(pos.Missing[0], "no measurement") {
		t.Errorf("missing: %q", pos.Missing)
	}
}

func TestComputePosition_EntitlementRangeAndEmpty(t *testing.T) {
	pos := ComputePosition(positionPoints(), PositionOptions{Since: "2026-05-09", Until: "2026-05-10",
		Entitlements: []Entitlement{{License: "Citrix Virtual Apps and Desktops Premium Concurrent System", Quantity: 80, Overdraft: 8}, {License: "MPS_ENT_CCU", Quantity: 5}},
		Measured:     []Measurement{{Date: "2026-05-10", Name: "XDT_PLT_CCS.CountUsedMax", Value: 90}}})
	var ccs, mps *LicensePosition
	for i, l := range pos.Licenses {
		switch l.Code {
		case "XDT_PLT_CCS":
			ccs = &pos.Licenses[i]
		case "MPS_ENT_CCU":
			mps = &pos.Licenses[i]
		}
	}
	if ccs == nil || ccs.Installed.Value != 80 || ccs.ReportedInstalled.Value != 100 || *ccs.Overdraft != 8 || ccs.Overuse.Days != 2 || ccs.Measured.Value != 90 {
		t.Fatalf("entitlement override: %+v", ccs)
	}
	if mps == nil || mps.Status != StatusUnknown || !strings.Contains(strings.Join(mps.Missing, ";"), "no compliance upload") {
		t.Errorf("an entitlement the server does not report: %+v", mps)
	}
	empty := ComputePosition(nil, PositionOptions{})
	if len(empty.Licenses) != 0 || !strings.Contains(strings.Join(empty.Missing, ";"), "nothing reported yet") {
		t.Errorf("empty: %+v", empty)
	}
	noRenewal := ComputePosition([]Point{{ID: "1", Day: "2026-05-01", Time: "2026-05-02T02:00:00Z", Name: "XDT_PLT_UD.CountUsedMax", Value: 3.0}}, PositionOptions{})
	if got := strings.Join(noRenewal.Missing, ";"); !strings.Contains(got, "no activation renewal seen yet: installed unknown") {
		t.Errorf("no renewal: %q", got)
	}
}
