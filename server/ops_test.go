package server

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/configs"
	"github.com/telltale/telltale/evidence"
	"github.com/telltale/telltale/store"
)

func TestServer_Reload_SaysWhatNeedsARestart(t *testing.T) {
	base, err := configs.Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := configs.Parse(nil)
	next.Others = "deny"
	next.Listen = "127.0.0.1:3128"
	next.Capture.MaxBodyBytes = 10
	next.Capture.Retention.MaxAge = 48 * 3600e9
	next.Alerts.Webhook = "https://hooks.example/x"
	got := changedKeys(base, next, liveKeys)
	if strings.Join(got, ",") != "listen,capture.max_body_bytes" {
		t.Errorf("restart needed: got %v, want listen and capture.max_body_bytes", got)
	}
	if got := changedKeys(base, next, nil); !slices.Contains(got, "others") || !slices.Contains(got, "capture.retention") || !slices.Contains(got, "alerts") {
		t.Errorf("changed: got %v", got)
	}
}

func TestOperations_CheckpointWatchdog(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := configs.Parse(nil)
	cfg.DataDir = dir
	cfg.Evidence.CheckpointInterval = configs.Duration(time.Hour)
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := newOperations(cfg, zerolog.Nop(), nil, nil)
	defer o.close(false)
	t0 := time.Now().Add(-5 * time.Hour)
	o.started = t0
	for range 3 {
		if _, err := st.Append(t.Context(), &store.Record{Kind: store.KindDenied, Host: "x.example"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := st.TreeHash(1)
	body := evidence.Checkpoint{Origin: "telltale/test", Size: 1, Root: root, Time: t0}.Body()
	if _, err := st.AppendCheckpoint(1, append(body, []byte("\n— telltale/test AAAA\n")...)); err != nil {
		t.Fatal(err)
	}

	o.checkCheckpoint(st, t0.Add(90*time.Minute)) // within two intervals: quiet
	o.checkCheckpoint(st, t0.Add(3*time.Hour))
	o.close(false) // the alert worker has counted the outcome
	text := scrape(t, o)
	if !strings.Contains(text, `telltale_alerts_total{kind="checkpoint_unsigned",outcome="logged"} 1`) {
		t.Errorf("watchdog: want one checkpoint_unsigned alert, got:\n%s", text)
	}
	if !regexp.MustCompile(`telltale_checkpoint_last_timestamp_seconds \d`).MatchString(text) {
		t.Errorf("checkpoint time not exported")
	}
}

func scrape(t *testing.T, o *operations) string {
	t.Helper()
	rec := httptest.NewRecorder()
	o.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}
