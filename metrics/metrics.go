package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/store"
)

// OtherHost is the host label of hosts beyond Options.MaxHosts.
const OtherHost = "_other"

// Options configure New. Zero values mean the defaults.
type Options struct {
	// MaxHosts is how many distinct hosts get a label of their own; 0
	// means 200.
	MaxHosts int
	// Now is the clock for the checkpoint age; nil means time.Now.
	Now func() time.Time
}

// Metrics holds the collectors. Its methods are safe for concurrent use.
type Metrics struct {
	reg  *prometheus.Registry
	opts Options

	exchanges       *prometheus.CounterVec
	bytes           *prometheus.CounterVec
	duration        *prometheus.HistogramVec
	upstreamErrors  *prometheus.CounterVec
	captureFailures *prometheus.CounterVec
	commitSeconds   prometheus.Histogram
	commitRecords   prometheus.Histogram
	commitFailures  prometheus.Counter
	indexSeconds    prometheus.Histogram
	indexFailures   prometheus.Counter
	indexLag        prometheus.Gauge
	storeBytes      *prometheus.GaugeVec
	diskFree        prometheus.Gauge
	prunedBodies    prometheus.Counter
	prunedBytes     prometheus.Counter
	prunedHeld      prometheus.Gauge
	drift           *prometheus.CounterVec
	newEndpoints    *prometheus.CounterVec
	alerts          *prometheus.CounterVec
	anchorFailures  *prometheus.CounterVec
	refusedTLS      *prometheus.CounterVec // clients that refused Telltale's certificate
	passThroughs    *prometheus.CounterVec // their hosts' tunnels after the refusals
	checkpoint      *checkpointCollector

	mu    sync.Mutex
	hosts map[string]bool // hosts with a label of their own
}

// New builds the metrics and registers them, with the Go runtime and
// process collectors, in a new registry.
func New(opts Options) *Metrics {
	if opts.MaxHosts <= 0 {
		opts.MaxHosts = 200
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Metrics{reg: prometheus.NewRegistry(), opts: opts, hosts: map[string]bool{}}
	m.newTraffic()
	m.newStore()
	m.newEvents()
	m.checkpoint = newCheckpointCollector(opts.Now)
	m.reg.MustRegister(m.checkpoint,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	return m
}

func (m *Metrics) newTraffic() {
	m.exchanges = counterVec(m.reg, "exchanges_total",
		"Finished exchanges, tunnels and refusals, by host, kind (exchange, tunnel, denied) and status class (2xx..5xx, none).",
		"host", "kind", "status")
	m.bytes = counterVec(m.reg, "bytes_total",
		"Body bytes of exchanges (tunnels: bytes each way), by host, kind and direction (request: to upstream, response: to the client).",
		"host", "kind", "direction")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "telltale", Name: "exchange_duration_seconds",
		Help:    "Time from the request head to the end of the exchange, by kind.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"kind"})
	m.upstreamErrors = counterVec(m.reg, "upstream_errors_total",
		"Exchanges and tunnels whose upstream could not be reached or failed TLS verification (the client got a 502), by host.",
		"host")
	m.captureFailures = counterVec(m.reg, "capture_failures_total",
		"Records the store refused, by kind; an intercepted request that could not be recorded was not forwarded.",
		"kind")
	m.reg.MustRegister(m.duration)
}

func (m *Metrics) newStore() {
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "telltale", Name: "store_commit_seconds",
		Help:    "Duration of each group commit: the write-ahead log write and its flush (one fdatasync).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.commitRecords = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "telltale", Name: "store_commit_records",
		Help:    "Records per group commit.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	m.commitFailures = counter(m.reg, "store_commit_failures_total", "Group commits that failed; their records were not written.")
	m.indexSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "telltale", Name: "store_index_seconds",
		Help:    "Duration of each indexer transaction, which applies write-ahead log records to the database (two fsyncs).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	m.indexFailures = counter(m.reg, "store_index_failures_total", "Indexer transactions that failed; their records stay in the write-ahead log and are retried.")
	m.indexLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "telltale", Name: "store_index_lag_records",
		Help: "Records durable in the write-ahead log but not yet in the database, after the last indexer transaction.",
	})
	m.storeBytes = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: "telltale", Name: "store_size_bytes",
		Help: "Bytes the store takes, by part (db: the database's pages in use; db_file: its file, which Windows grows to the whole memory map; blobs: large bodies).",
	}, []string{"part"})
	m.diskFree = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "telltale", Name: "disk_free_bytes", Help: "Free bytes on the file system of the data dir, for this user.",
	})
	m.prunedBodies = counter(m.reg, "retention_pruned_bodies_total", "Bodies whose stored bytes retention deleted (their hashes stay in the log).")
	m.prunedBytes = counter(m.reg, "retention_pruned_bytes_total", "Stored bytes retention deleted.")
	m.prunedHeld = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "telltale", Name: "retention_held_bodies",
		Help: "Bodies the last retention run marked pruned but could not delete (on Windows, a reader had the file open); the next run tries again.",
	})
	m.reg.MustRegister(m.prunedHeld)
	m.reg.MustRegister(m.commitSeconds, m.commitRecords, m.indexSeconds, m.indexLag, m.storeBytes, m.diskFree)
}

func (m *Metrics) newEvents() {
	m.drift = counterVec(m.reg, "drift_events_total", "Payload drifts seen: a field or shape that changed against earlier captures, by host.", "host")
	m.newEndpoints = counterVec(m.reg, "new_endpoints_total", "Endpoints (host and path) seen for the first time, by host.", "host")
	m.alerts = counterVec(m.reg, "alerts_total",
		"Alerts by kind and outcome (sent: webhook accepted it, failed: dead-lettered, dropped: queue full, logged: no webhook configured, suppressed: a repeat within alerts.repeat).",
		"kind", "outcome")
	m.refusedTLS = counterVec(m.reg, "client_tls_refusals_total",
		"TLS handshakes that a client aborted when shown the certificate Telltale minted for an intercepted host (it does not trust the Telltale CA, or pins the server's), by host.",
		"host")
	m.passThroughs = counterVec(m.reg, "pass_through_tunnels_total",
		"Connections to an intercepted host passed through uninspected after its client refused the certificate (intercept.on_client_refusal: tunnel), by host.",
		"host")
	m.anchorFailures = counterVec(m.reg, "anchor_failures_total",
		"Checkpoint anchors that failed and wait for a retry, by kind (rfc3161: the TSA's timestamp, witness: the post to evidence.witness_url).",
		"kind")
}

func counter(reg *prometheus.Registry, name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "telltale", Name: name, Help: help})
	reg.MustRegister(c)
	return c
}

func counterVec(reg *prometheus.Registry, name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "telltale", Name: name, Help: help}, labels)
	reg.MustRegister(c)
	return c
}

// Registry is where the collectors live, for tests and for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format. It does no
// authentication: put it behind the admin token.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorHandling: promhttp.ContinueOnError})
}

// Observe counts one finished exchange, tunnel or refusal. It is
// proxy.Options.Observe's shape and cheap enough to run on the proxy's
// goroutines.
func (m *Metrics) Observe(e proxy.Event) {
	host := m.hostLabel(e.Host)
	m.exchanges.WithLabelValues(host, e.Kind, statusClass(e.Status)).Inc()
	if e.RequestBytes > 0 {
		m.bytes.WithLabelValues(host, e.Kind, "request").Add(float64(e.RequestBytes))
	}
	if e.ResponseBytes > 0 {
		m.bytes.WithLabelValues(host, e.Kind, "response").Add(float64(e.ResponseBytes))
	}
	if e.Duration > 0 {
		m.duration.WithLabelValues(e.Kind).Observe(e.Duration.Seconds())
	}
	if e.UpstreamFailed {
		m.upstreamErrors.WithLabelValues(host).Inc()
	}
	if e.CaptureFailed {
		m.captureFailures.WithLabelValues(e.Kind).Inc()
	}
	switch {
	case e.RefusedTLS:
		m.refusedTLS.WithLabelValues(host).Inc()
	case e.PassThrough:
		m.passThroughs.WithLabelValues(host).Inc()
	}
}

// ObserveCommit records one store write transaction; it is
// store.Options.OnCommit's shape.
func (m *Metrics) ObserveCommit(records int, took time.Duration, err error) {
	if err != nil {
		m.commitFailures.Inc()
		return
	}
	m.commitSeconds.Observe(took.Seconds())
	m.commitRecords.Observe(float64(records))
}

// ObserveIndex records one indexer transaction, which applies records
// from the write-ahead log to the database; it is store.Options.OnIndex's
// shape.
func (m *Metrics) ObserveIndex(records int, lag uint64, took time.Duration, err error) {
	m.indexLag.Set(float64(lag))
	if err != nil {
		m.indexFailures.Inc()
		return
	}
	m.indexSeconds.Observe(took.Seconds())
}

// SetUsage records what the store takes on disk.
func (m *Metrics) SetUsage(u store.Usage) {
	m.storeBytes.WithLabelValues("db").Set(float64(u.DB))
	m.storeBytes.WithLabelValues("db_file").Set(float64(u.DBFile))
	m.storeBytes.WithLabelValues("blobs").Set(float64(u.Blobs))
}

// SetDiskFree records the free space of the data dir's file system.
func (m *Metrics) SetDiskFree(bytes uint64) { m.diskFree.Set(float64(bytes)) }

// Pruned counts what one retention run deleted.
func (m *Metrics) Pruned(r store.PruneResult) {
	m.prunedBodies.Add(float64(r.Pruned))
	m.prunedBytes.Add(float64(r.PrunedBytes))
	m.prunedHeld.Set(float64(r.Held))
}

// SetCheckpoint records the time of the latest signed checkpoint; the
// checkpointer calls it after each one.
func (m *Metrics) SetCheckpoint(t time.Time) { m.checkpoint.set(t) }

// AnchorFailed counts a checkpoint timestamp or witness post that failed.
func (m *Metrics) AnchorFailed(kind string) { m.anchorFailures.WithLabelValues(kind).Inc() }

// Drift counts one payload drift seen for host.
func (m *Metrics) Drift(host string) { m.drift.WithLabelValues(m.hostLabel(host)).Inc() }

// NewEndpoint counts one endpoint of host seen for the first time.
func (m *Metrics) NewEndpoint(host string) { m.newEndpoints.WithLabelValues(m.hostLabel(host)).Inc() }

// Alert counts one alert outcome; it is alert.Options.OnOutcome's shape.
func (m *Metrics) Alert(kind, outcome string) { m.alerts.WithLabelValues(kind, outcome).Inc() }

// hostLabel bounds the host label's values.
func (m *Metrics) hostLabel(host string) string {
	host = strings.ToLower(host)
	if host == "" {
		return "_none"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hosts[host] {
		return host
	}
	if len(m.hosts) >= m.opts.MaxHosts {
		return OtherHost
	}
	m.hosts[host] = true
	return host
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "none"
	}
	return strconv.Itoa(status/100) + "xx"
}
