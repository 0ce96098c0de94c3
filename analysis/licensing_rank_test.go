package analysis

import (
	"strings"
	"testing"

	"github.com/telltale/telltale/inspect"
)

// TestSummary_LicenseChangesFirst: in use and installed changes, a new
// feature and a new personal-data field come before other figures and
// fields, and the position's move is said in words, with the excess over
// installed.
func TestSummary_LicenseChangesFirst(t *testing.T) {
	pt := func(name string, v float64, path string) Point { return Point{Name: name, Value: v, Path: path} }
	pa := []Point{pt("A_B_CCS.CountUsedMax", 480, "$.F[0].CountUsedMax"), pt("A_B_CCS.UsersReleased", 3, "$.F[0].UsersReleased"),
		pt("A_B_CCS.Installed", 500, "$.F[0].Installed")}
	pb := []Point{pt("A_B_CCS.CountUsedMax", 512, "$.F[0].CountUsedMax"), pt("A_B_CCS.UsersReleased", 9, "$.F[0].UsersReleased"),
		pt("A_B_CCS.Installed", 500, "$.F[0].Installed"), pt("X_Y_UD.CountUsedMax", 20, "$.F[1].CountUsedMax")}
	changes := []Change{
		{Path: "$.Server.Build", Op: inspect.OpChanged, From: "1", To: "2", Side: SideRequest},
		{Path: "$.Server.Owner", Op: inspect.OpAdded, To: "anna@corp.example", Side: SideRequest, Personal: PersonalEmail},
	}
	lines := rankSummary(summarise(changes, pa, pb))
	var kinds []string
	for _, l := range lines {
		kinds = append(kinds, l.Kind+":"+l.Figure)
	}
	want := []string{"subject_added:", "figure_changed:A_B_CCS.CountUsedMax", "field:$.Server.Owner", "figure_changed:A_B_CCS.UsersReleased", "field:$.Server.Build"}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Errorf("order: got %v, want %v", kinds, want)
	}
	if !lines[0].License || !lines[1].License || lines[2].License || !strings.Contains(lines[2].Text, "personal data: email") {
		t.Errorf("marks: %+v", lines[:3])
	}
	moved := positionMoved(lines, pb)
	if !strings.HasPrefix(moved, "The license position moved: X_Y_UD added") || !strings.Contains(moved, "A_B_CCS CountUsedMax 480 → 512 (+32), over its 500 installed by 12") {
		t.Errorf("position: %q", moved)
	}
	same := positionMoved(rankSummary(summarise(changes[:1], pa, pa)), pa)
	if same != "The license position did not move: no license was added or removed, and no in-use or installed count changed." {
		t.Errorf("unmoved: %q", same)
	}
}
