package analysis

import (
	"testing"

	"github.com/telltale/telltale/inspect"
)

// TestUsageIn_SlicesCountTogether: two slice files of one bundle count
// together per feature and usage day: a user in both is one user; events
// are dated by their own time; a text that is not a usage file is not.
func TestUsageIn_SlicesCountTogether(t *testing.T) {
	const may4, may5 = "1777852800000", "1777939200000" // 2026-05-04 and -05, 00:00 UTC
	fields := []inspect.Field{
		{Path: "ue_lt_1.zip/ue_lt_1.csv", Type: inspect.KindText, Value: "EventTimeMs,Event,Feature,User,Device\r\n" +
			may4 + ",CHECKOUT,XDT_PLT_UD,anna@corp.example,DESKTOP-A\r\n" +
			may4 + ",CHECKIN,XDT_PLT_UD,anna@corp.example,DESKTOP-A\r\n" +
			may4 + ",CHECKOUT,XDT_PLT_UD,ben@corp.example,DESKTOP-B\r\n"},
		{Path: "ue_lt_2.zip/ue_lt_2.csv", Type: inspect.KindText, Value: "EventTimeMs,Event,Feature,User,Device\r\n" +
			may4 + ",CHECKOUT,XDT_PLT_UD,anna@corp.example,DESKTOP-C\r\n" +
			may5 + ",CHECKOUT,XDT_PLT_UD,chloe@corp.example,DESKTOP-C\r\n" +
			may4 + ",CHECKOUT,MPS_STD_CCU,ben@corp.example,DESKTOP-B\r\n"},
		{Path: "notes.txt", Type: inspect.KindText, Value: "User,Device\r\nanna,DESKTOP-A\r\n"},
	}
	got := UsageIn(fields)
	want := []UsageRow{
		{Feature: "MPS_STD_CCU", Day: "2026-05-04", Users: 1, Devices: 1, CheckOuts: 1, Events: 1, Files: 1},
		{Feature: "XDT_PLT_UD", Day: "2026-05-04", Users: 2, Devices: 3, CheckOuts: 3, CheckIns: 1, Events: 4, Files: 2},
		{Feature: "XDT_PLT_UD", Day: "2026-05-05", Users: 1, Devices: 1, CheckOuts: 1, Events: 1, Files: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	pts := usagePoints(got)
	if len(pts) != 9 || pts[3].Name != "XDT_PLT_UD.UsageUsers" || pts[3].Value != 2.0 || pts[3].Day != "2026-05-04" {
		t.Errorf("points: got %+v", pts)
	}
	pos := ComputePosition(append(pts, Point{ID: "1", Day: "2026-05-05", Time: "2026-05-06T02:00:00Z", Name: "XDT_PLT_UD.CountUsedMax", Value: 2.0}), PositionOptions{})
	if c := pos.Licenses[0].Counted; c == nil || c.Day != "2026-05-04" || c.Users != 2 || c.Devices != 3 {
		t.Errorf("position counted: got %+v, want 2 users and 3 devices on 2026-05-04", c)
	}
}
