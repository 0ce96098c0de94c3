package analysis

import (
	"errors"
	"strings"
	"testing"

	"github.com/telltale/telltale/inspect"
)

// Templates are stable: a template is its own template.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"/tbcust7k2q9x/licenseserver/activation/renew", "/v2/items/12345", "/a//b/", "/ue_lt_1683864965.zip", "/{ccid}/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tp := Template(p)
		if Template(tp) != tp {
			t.Errorf("Template(%q) = %q, whose template is %q", p, tp, Template(tp))
		}
		if strings.Count(tp, "/") != strings.Count(p, "/") {
			t.Errorf("Template(%q) = %q changed the segments", p, tp)
		}
	})
}

// A measurement file parses or fails with a line, never panics; what
// parses has one value per figure and day.
func FuzzParseMeasurements(f *testing.F) {
	for _, s := range []string{"date,figure,value\n2026-05-04,A.CountUsedMax,301\n", "2026-05-04T23:30:00-05:00,A,1.5\n", "\"a\nb\",c,1\n", "2026-05-04,A,1\n2026-05-04,A,2\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMeasurements(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, ErrBadInput) && !strings.Contains(err.Error(), "line") {
				t.Errorf("error %v: want ErrBadInput or a line", err)
			}
			return
		}
		seen := map[[2]string]bool{}
		for _, x := range m {
			k := [2]string{x.Date, x.Name}
			if seen[k] || x.Name == "" || x.Line < 1 {
				t.Errorf("bad measurement %+v", x)
			}
			seen[k] = true
		}
	})
}

// Personal-data scanning and path parsing take any decoded body.
func FuzzPersonal(f *testing.F) {
	for _, s := range []string{`{"upn":"a@b.com","x":[{"CCUDevices":["D1"]}],"k":{"a.b":"10.0.0.1"}}`, "User,Device\nx@y.z,PC1\n", `<a u="S-1-5-21-1-2-3"><host>pc</host></a>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := inspect.Decode([]byte(s), inspect.Meta{}, inspect.Options{MaxTotal: 1 << 20})
		fields := inspect.Fields(p)
		Personal(fields)
		for _, fl := range fields {
			memberName(fl.Path)
			shapeOf(fl.Path)
			for anc, ok := parentPath(fl.Path); ok; anc, ok = parentPath(anc) {
				if len(anc) >= len(fl.Path) {
					t.Fatalf("parentPath(%q) did not shorten", fl.Path)
				}
			}
		}
	})
}
