package testbed

import (
	"bytes"
	"fmt"
)

// licenseWords are the simulated licenses as the Licensing Manager names
// them: product, edition, model. From Citrix's public naming (XDT and
// XDS with Premium and Advanced, UserDevice and Concurrent); CAG as
// Citrix Gateway is an inference.
var licenseWords = map[string][3]string{
	"CAG_AAC_CCU": {"Citrix Gateway", "Advanced Access Control", "Concurrent User"},
	"XDS_ADV_CCS": {"Citrix Virtual Desktops", "Advanced", "Concurrent"},
	"XDT_PLT_CCS": {"Citrix Virtual Apps and Desktops", "Premium", "Concurrent"},
	NewFeatureID:  {"Citrix Virtual Apps and Desktops", "Premium", "User/Device"},
}

// HistoricalUse writes what the Licensing Manager's Historical Use
// export of the simulated site would hold: one row per license and usage
// day (the day before each upload: DayReport.UsageDate), by product
// names, with its peak in use and the licenses in overdraft. adjust,
// when not nil, returns an amount to add to a row's In Use (to make a
// measurement that disagrees). Invented: the column names and the M/D/YYYY
// dates, which Citrix does not document; Telltale's reader assumes the
// same (analysis.ParseHistoricalUse).
func HistoricalUse(rep Report, adjust func(day int, id string) int) []byte {
	var b bytes.Buffer
	b.WriteString("Date,Product,Edition,Model,In Use,Overdraft\r\n")
	for _, d := range rep.Days {
		for _, f := range d.Features {
			w, ok := licenseWords[f.ID]
			if !ok {
				continue
			}
			used := f.CountUsedMax
			if adjust != nil {
				used += adjust(d.Day, f.ID)
			}
			fmt.Fprintf(&b, "%s,%s,%s,%s,%d,%d\r\n", d.UsageDate.Format("1/2/2006"), w[0], w[1], w[2], used, max(0, used-f.Installed))
		}
	}
	return b.Bytes()
}
