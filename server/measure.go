package server

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/telltale/telltale/measure"
)

// measurer runs serve's own measurement (measure.wmi_interval): a sample
// of the License Server's WMI license pools every interval, kept in the
// store beside the captures.
type measurer struct {
	loop   measure.Loop
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// openMeasurer builds the measurer the config asks for: nil when
// measure.wmi_interval is 0, or when there is no WMI to ask (not
// Windows, no recording to replay), which is logged.
func (s *Server) openMeasurer() {
	m := s.cfg.Measure
	if m.WMIInterval <= 0 {
		return
	}
	var sampler measure.Sampler
	switch {
	case m.WMIRecorded != "":
		sampler = measure.Recorded{Path: m.WMIRecorded}
	case runtime.GOOS == "windows":
		sampler = measure.PowerShell{}
	default:
		s.log.Warn().Str("component", "measure").Msg("measure: measure.wmi_interval is set, but WMI is on Windows only and no measure.wmi_recorded is given; not sampling")
		return
	}
	s.measurer = &measurer{loop: measure.Loop{Sampler: sampler, Interval: time.Duration(m.WMIInterval), Store: s.Store, Log: s.log}}
}

func (m *measurer) start() {
	if m == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.loop.Run(ctx) }()
}

func (m *measurer) stop() {
	if m == nil || m.cancel == nil {
		return
	}
	m.cancel()
	m.wg.Wait()
}
