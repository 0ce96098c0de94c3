package configs

import (
	"fmt"
	"time"
)

// Measure is Telltale's own measurement on the license server (package
// measure): a sample of the License Server's WMI license pools every
// WMIInterval, kept in the store and reconciled with the uploads.
type Measure struct {
	// WMIInterval is how often serve samples the pools; 0 (the default)
	// is never. Citrix advises against querying more often than every
	// 15 minutes, the interval the administrators' scripts use.
	WMIInterval Duration `yaml:"wmi_interval"`
	// WMIRecorded, when set, is a file of recorded samples (JSON) that
	// serve replays instead of asking WMI: for tests, and for a host
	// that is not the License Server. Otherwise WMI is asked through
	// PowerShell, on Windows only.
	WMIRecorded string `yaml:"wmi_recorded"`
}

// MinWMIInterval is the shortest measure.wmi_interval.
const MinWMIInterval = time.Minute

// checkMeasure checks the measure section.
func (c *Config) checkMeasure() error {
	if d := time.Duration(c.Measure.WMIInterval); d < 0 || d > 0 && d < MinWMIInterval {
		return &KeyError{"measure.wmi_interval", fmt.Sprintf("%v: must be 0 (off) or at least %v (15m is what Citrix advises)", d, MinWMIInterval)}
	}
	return nil
}
