package analysis

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func point(date, name string, v float64, id string) Point {
	return Point{ID: id, Time: date + "T02:10:00.000000000Z", Name: name, Value: v}
}

func TestReconcile_BothWaysWithTolerance(t *testing.T) {
	reported := []Point{
		point("2026-05-04", "A.CountUsedMax", 300, "3"),
		point("2026-05-05", "A.CountUsedMax", 310, "9"),
		point("2026-05-06", "A.CountUsedMax", 250, "15"),
		point("2026-05-07", "A.CountUsedMax", 260, "21"), // not measured
		point("2026-05-09", "A.CountUsedMax", 1, "33"),   // outside the measured span
		point("2026-05-05", "B.CountUsedMax", 5, "9"),    // not measured at all: ignored
		{ID: "9", Time: "2026-05-05T02:00:00Z", Name: "LicenseServer.Version", Value: "x"},
	}
	csv := "date,figure,value\n" +
		"2026-05-04,A.CountUsedMax,301\n" + // within tolerance 2
		"2026-05-05,A.CountUsedMax,300\n" + // reported 10 more
		"2026-05-06,A.CountUsedMax,280\n" + // measured 30 more
		"2026-05-08,A.CountUsedMax,270\n" // nothing reported
	m, err := ParseMeasurements(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	r := Reconcile(reported, m, Tolerance{Abs: 2})
	var got []string
	for _, x := range r.Mismatches {
		got = append(got, fmt.Sprintf("%s %s %s %g", x.Date, x.Name, x.Kind, x.Difference))
	}
	want := []string{
		"2026-05-05 A.CountUsedMax reported_higher 10",
		"2026-05-06 A.CountUsedMax measured_higher -30",
		"2026-05-07 A.CountUsedMax reported_not_measured 0",
		"2026-05-08 A.CountUsedMax measured_not_reported 0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("mismatches:\n got %q\nwant %q", got, want)
	}
	if r.Compared != 3 || r.Agreed != 1 || r.Tolerance != "2" {
		t.Errorf("got compared %d agreed %d tolerance %q", r.Compared, r.Agreed, r.Tolerance)
	}
	if r.Mismatches[0].ID != "9" || r.Mismatches[3].Line != 5 {
		t.Errorf("provenance: got %+v", r.Mismatches)
	}
	rel := Reconcile(reported, m, Tolerance{Rel: 0.05})
	if len(rel.Mismatches) != 3 { // 10 of 300 is within 5%
		t.Errorf("5%%: got %+v", rel.Mismatches)
	}
}

func TestParseMeasurements_ErrorsNameTheLine(t *testing.T) {
	cases := map[string]string{
		"2026-05-04,A,1\n2026-13-01,A,2\n":           "line 2: date",
		"date,name,value\n2026-05-04,A\n":            "line 2: 2 columns",
		"2026-05-04,A,1\n\n# c\n2026-05-05,A,many\n": "line 4: value",
		"2026-05-04,A,1\n2026-05-04,A,2\n":           "line 2: a second value for A on 2026-05-04 (the first is on line 1)",
		"2026-05-04, ,1\n":                           "line 1: empty figure name",
		"2026-05-04,\"A,1\n":                         "line 1:",
		"date,name,value\n":                          "no measurements",
	}
	for in, want := range cases {
		_, err := ParseMeasurements(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrBadInput) {
			t.Errorf("%q: got %v, want an ErrBadInput containing %q", in, err, want)
		}
	}
	m, err := ParseMeasurements(strings.NewReader("2026-05-04T23:30:00-05:00, A.CountUsedMax , 12.5\n"))
	if err != nil || len(m) != 1 || m[0].Date != "2026-05-05" || m[0].Name != "A.CountUsedMax" || m[0].Value != 12.5 {
		t.Errorf("RFC 3339 date: got %+v %v", m, err)
	}
}

func TestParseTolerance(t *testing.T) {
	for in, want := range map[string]Tolerance{"0": {}, "2": {Abs: 2}, "5%": {Rel: 0.05}, " 0.5 ": {Abs: 0.5}} {
		if got, err := ParseTolerance(in); err != nil || got != want {
			t.Errorf("%q: got %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "x%", "NaN"} {
		if _, err := ParseTolerance(in); !errors.Is(err, ErrBadInput) {
			t.Errorf("%q: got %v, want ErrBadInput", in, err)
		}
	}
}

func TestReconcile_RowsCountsAddUp(t *testing.T) {
	reported := []Point{
		point("2026-05-04", "A.CountUsedMax", 300, "3"),
		point("2026-05-05", "A.CountUsedMax", 310, "9"),
		point("2026-05-06", "A.CountUsedMax", 260, "15"),
	}
	m, err := ParseMeasurements(strings.NewReader("2026-05-04,A.CountUsedMax,300\n2026-05-05,A.CountUsedMax,300\n2026-05-07,A.CountUsedMax,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := Reconcile(reported, m, Tolerance{})
	sum := 0
	for _, n := range r.Counts {
		sum += n
	}
	if r.Days != 4 || len(r.Rows) != 4 || sum != r.Days || r.Counts[Agree] != 1 || r.Counts[ReportedHigher] != 1 ||
		r.Counts[ReportedNotMeasured] != 1 || r.Counts[MeasuredNotReported] != 1 {
		t.Errorf("days %d rows %d counts %v", r.Days, len(r.Rows), r.Counts)
	}
	if r.Rows[0].Status != Agree || r.Rows[0].Date != "2026-05-04" || r.Rows[3].Date != "2026-05-07" {
		t.Errorf("rows not by date: %+v", r.Rows)
	}
}

func TestParseMapped_HistoricalUseExport(t *testing.T) {
	// The Licensing Manager's Historical Use export: daily usage per
	// product, edition and model, with overdraft (column names assumed).
	csv := "\ufeffDate,Product,Edition,Model,In use,Overdraft\r\n" +
		"5/4/2026,CAG,AAC,CCU,\"1,000\",12\r\n" +
		"5/4/2026,XDT,PLT,UD,28,\r\n" +
		"5/5/2026,CAG,AAC,CCU,990,0\r\n"
	mp, err := ParseMapping([]string{"date=Date", "value=In use+Overdraft", "figure={Product}_{Edition}_{Model}.CountUsedMax"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseMapped(strings.NewReader(csv), mp)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, m := range got {
		s = append(s, fmt.Sprintf("%s %s %g", m.Date, m.Name, m.Value))
	}
	want := []string{"2026-05-04 CAG_AAC_CCU.CountUsedMax 1012", "2026-05-04 XDT_PLT_UD.CountUsedMax 28", "2026-05-05 CAG_AAC_CCU.CountUsedMax 990"}
	if !slices.Equal(s, want) {
		t.Errorf("got %q, want %q", s, want)
	}
	if _, err := ParseMapped(strings.NewReader(csv), Mapping{Date: "Day", Value: "In use", Figure: "x"}); err == nil || !strings.Contains(err.Error(), `"Day"`) {
		t.Errorf("unknown column: %v", err)
	}
	var le *LineError
	if _, err := ParseMapped(strings.NewReader("Date,V,F\n5/4/2026,many,x\n"), Mapping{Date: "Date", Value: "V", Figure: "F"}); !errors.As(err, &le) || le.Line != 2 {
		t.Errorf("bad value: %v", err)
	}
	if _, err := ParseMapping([]string{"date=Date", "colour=x"}); err == nil {
		t.Error("an unknown mapping key is accepted")
	}
}
