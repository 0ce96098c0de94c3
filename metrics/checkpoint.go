package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// checkpointCollector exposes the last checkpoint's time and age, and
// nothing until there is one: an age of zero or -1 would read as fresh to
// an alert rule.
type checkpointCollector struct {
	now       func() time.Time
	timestamp *prometheus.Desc
	age       *prometheus.Desc

	mu   sync.Mutex
	last time.Time
}

func newCheckpointCollector(now func() time.Time) *checkpointCollector {
	return &checkpointCollector{
		now: now,
		timestamp: prometheus.NewDesc("telltale_checkpoint_last_timestamp_seconds",
			"Unix time of the latest signed checkpoint of the log; absent until the first one.", nil, nil),
		age: prometheus.NewDesc("telltale_checkpoint_age_seconds",
			"Seconds since the latest signed checkpoint of the log; absent until the first one.", nil, nil),
	}
}

func (c *checkpointCollector) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.last) {
		c.last = t
	}
}

func (c *checkpointCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.timestamp
	ch <- c.age
}

func (c *checkpointCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	if last.IsZero() {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.timestamp, prometheus.GaugeValue, float64(last.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, c.now().Sub(last).Seconds())
}
