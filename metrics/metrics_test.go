package metrics

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/store"
)

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestMetrics_HostLabelsAreBounded(t *testing.T) {
	m := New(Options{MaxHosts: 2})
	for _, h := range []string{"las.cloud.com", "LAS.cloud.com", "cis.citrix.com", "a.example", "b.example"} {
		m.Observe(proxy.Event{Kind: store.CaptureTunnel, Host: h})
	}
	text := scrape(t, m)
	for _, want := range []string{
		`telltale_exchanges_total{host="las.cloud.com",kind="tunnel",status="none"} 2`, // any case
		`telltale_exchanges_total{host="_other",kind="tunnel",status="none"} 2`,        // beyond MaxHosts
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s:\n%s", want, grep(text, "exchanges_total"))
		}
	}
}

func TestMetrics_ObserveEvent(t *testing.T) {
	m := New(Options{})
	m.Observe(proxy.Event{Kind: store.CaptureExchange, Host: "las.cloud.com", Status: 503, RequestBytes: 10, ResponseBytes: 20, Duration: time.Second})
	m.Observe(proxy.Event{Kind: store.CaptureExchange, Host: "las.cloud.com", UpstreamFailed: true, CaptureFailed: true})
	m.ObserveCommit(3, 2*time.Millisecond, nil)
	m.ObserveCommit(1, time.Millisecond, errors.New("disk full"))
	m.ObserveIndex(4, 0, 3*time.Millisecond, nil)
	m.ObserveIndex(2, 7, time.Millisecond, errors.New("disk full"))
	m.SetUsage(store.Usage{DB: 100, Blobs: 50})
	m.Pruned(store.PruneResult{Pruned: 2, PrunedBytes: 30})
	text := scrape(t, m)
	for _, want := range []string{
		`telltale_exchanges_total{host="las.cloud.com",kind="exchange",status="5xx"} 1`,
		`telltale_bytes_total{direction="response",host="las.cloud.com",kind="exchange"} 20`,
		`telltale_upstream_errors_total{host="las.cloud.com"} 1`,
		`telltale_capture_failures_total{kind="exchange"} 1`,
		`telltale_store_commit_seconds_count 1`,
		`telltale_store_commit_records_sum 3`,
		`telltale_store_commit_failures_total 1`,
		`telltale_store_index_seconds_count 1`,
		`telltale_store_index_failures_total 1`,
		`telltale_store_index_lag_records 7`,
		`telltale_store_size_bytes{part="blobs"} 50`,
		`telltale_retention_pruned_bytes_total 30`,
		`telltale_exchange_duration_seconds_count{kind="exchange"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func TestMetrics_CheckpointAgeAbsentUntilSet(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	m := New(Options{Now: func() time.Time { return now }})
	if text := scrape(t, m); strings.Contains(text, "telltale_checkpoint_age_seconds") {
		t.Errorf("checkpoint age before any checkpoint: want no sample")
	}
	m.SetCheckpoint(now.Add(-90 * time.Second))
	m.SetCheckpoint(now.Add(-time.Hour)) // older: ignored
	text := scrape(t, m)
	if !strings.Contains(text, "telltale_checkpoint_age_seconds 90\n") {
		t.Errorf("checkpoint age: want 90s, got:\n%s", grep(text, "checkpoint"))
	}
	m.Drift("las.cloud.com")
	m.NewEndpoint("las.cloud.com")
	m.Alert("drift", "sent")
	text = scrape(t, m)
	for _, want := range []string{`telltale_drift_events_total{host="las.cloud.com"} 1`, `telltale_new_endpoints_total{host="las.cloud.com"} 1`, `telltale_alerts_total{kind="drift",outcome="sent"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}

func grep(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
