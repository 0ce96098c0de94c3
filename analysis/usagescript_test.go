package analysis

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestReadMeasurements_UsageScript: an administrator's usage script's
// CSV (a sample every 15 minutes of each license's count and usage) is
// recognised from its header and read as each license's daily peak, two
// pools of a license sampled together added up; a bad row names its line.
func TestReadMeasurements_UsageScript(t *testing.T) {
	csv := "\ufeffDateTime,License,Count,Usage\r\n" +
		"2026-05-04 09:00:00,XDT_PLT_UD,100,40\r\n" +
		"2026-05-04 09:15:00,XDT_PLT_UD,100,55\r\n" +
		"2026-05-04 09:15:00,XDT_PLT_UD,20,3\r\n" + // a second pool of the same license
		"2026-05-04 09:30:00,XDT_PLT_UD,100,50\r\n" +
		"5/5/2026 1:00:00 AM,XDT_PLT_UD,100,12\r\n" +
		"2026-05-05T23:45:00Z,CAG_AAC_CCU,10,9\r\n"
	ms, format, err := ReadMeasurements(strings.NewReader(csv), Mapping{}, nil, []string{"XDT_PLT_UD", "CAG_AAC_CCU"})
	if err != nil || format != FormatUsageScript {
		t.Fatalf("got format %q, %v; want %q", format, err, FormatUsageScript)
	}
	var got []string
	for _, m := range ms {
		got = append(got, fmt.Sprintf("%s %s %g line %d", m.Date, m.Name, m.Value, m.Line))
	}
	want := []string{"2026-05-04 XDT_PLT_UD.CountUsedMax 58 line 3", "2026-05-05 CAG_AAC_CCU.CountUsedMax 9 line 7", "2026-05-05 XDT_PLT_UD.CountUsedMax 12 line 6"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	_, _, err = ReadMeasurements(strings.NewReader("Time,PLD,Count,InUseCount\n2026-05-04 09:00:00,X,1,many\n"), Mapping{}, nil, nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "many") {
		t.Errorf("bad usage: got %v, want a LineError on line 2", err)
	}
	if IsUsageScript([]byte("date,figure,value\n")) || IsUsageScript([]byte("Date,Product,Edition,Model,In Use,Overdraft\n")) {
		t.Error("another format is taken for a usage script")
	}
}
