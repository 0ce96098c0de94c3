package alert

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/telltale/telltale/proxy"
	"github.com/telltale/telltale/store"
)

// receiver is a webhook that answers each POST with the next status of
// plan (the last one repeats) and keeps the alerts it accepted.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	plan     []int
	attempts int
	got      []Alert
	gotRaw   []map[string]any
}

func newReceiver(t *testing.T, plan ...int) *receiver {
	r := &receiver{plan: plan}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		status := r.plan[min(r.attempts, len(r.plan)-1)]
		r.attempts++
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			status = http.StatusBadRequest
		}
		if status/100 == 2 {
			var a Alert
			var raw map[string]any
			json.Unmarshal(body, &a)
			json.Unmarshal(body, &raw)
			r.got, r.gotRaw = append(r.got, a), append(r.gotRaw, raw)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) counts() (attempts int, got []Alert) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts, append([]Alert(nil), r.got...)
}

// outcomes collects OnOutcome calls.
type outcomes struct {
	mu sync.Mutex
	m  map[string]int
}

func (o *outcomes) add(kind, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]int{}
	}
	o.m[kind+"/"+outcome]++
}

func (o *outcomes) get(key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.m[key]
}

func newTestNotifier(t *testing.T, webhook string, edit func(*Options)) (*Notifier, *outcomes, *bytes.Buffer) {
	t.Helper()
	var logs syncBuffer
	o := &outcomes{}
	opts := Options{
		Webhook:    webhook,
		DeadLetter: filepath.Join(t.TempDir(), "alerts-dead-letter.jsonl"),
		Backoff:    time.Millisecond,
		Source:     "license-server-1",
		OnOutcome:  o.add,
		Logger:     zerolog.New(&logs),
	}
	if edit != nil {
		edit(&opts)
	}
	n := New(opts)
	t.Cleanup(func() { n.Close(context.Background()) })
	return n, o, &logs.Buffer
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

func TestNotifier_RetriesUntilTheWebhookAccepts(t *testing.T) {
	r := newReceiver(t, 503, 500, 200)
	n, o, logs := newTestNotifier(t, r.URL, nil)
	n.UpstreamFailed("las.cloud.com", "dial tcp: connection refused")
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	attempts, got := r.counts()
	if attempts != 3 || len(got) != 1 {
		t.Fatalf("got %d attempts and %d alerts, want 3 and 1", attempts, len(got))
	}
	a := got[0]
	if a.Kind != KindUpstreamFailed || a.Severity != Critical || a.Host != "las.cloud.com" || a.Source != "license-server-1" ||
		!strings.Contains(a.Summary, "LAS unreachable") || !strings.Contains(a.Summary, "daily activation is at risk") ||
		!strings.HasPrefix(a.Text, "[telltale] LAS unreachable") || a.Time.IsZero() {
		t.Errorf("alert: got %+v", a)
	}
	if got := o.get(KindUpstreamFailed + "/" + Sent); got != 1 {
		t.Errorf("sent outcomes: got %d, want 1", got)
	}
	if _, err := os.Stat(n.opts.DeadLetter); !os.IsNotExist(err) {
		t.Errorf("dead-letter file: got %v, want none", err)
	}
	if !strings.Contains(logs.String(), `"level":"warn"`) || !strings.Contains(logs.String(), "LAS unreachable") {
		t.Errorf("log: want a warn line with the summary, got %s", logs)
	}
}

func TestNotifier_DeadLettersWhatCannotBeDelivered(t *testing.T) {
	r := newReceiver(t, 502)
	n, o, _ := newTestNotifier(t, r.URL, func(o *Options) { o.Attempts = 3 })
	n.StoreSize(11<<30, 10<<30)
	n.CheckpointUnsigned(os.ErrPermission)
	n.Close(context.Background())
	if attempts, _ := r.counts(); attempts != 6 {
		t.Errorf("attempts: got %d, want 3 per alert", attempts)
	}
	lines := readLines(t, n.opts.DeadLetter)
	if len(lines) != 2 {
		t.Fatalf("dead letters: got %d lines, want 2", len(lines))
	}
	var dl struct {
		Alert    Alert
		Error    string
		Attempts int
	}
	if err := json.Unmarshal([]byte(lines[0]), &dl); err != nil {
		t.Fatal(err)
	}
	if dl.Alert.Kind != KindStoreSize || dl.Attempts != 3 || !strings.Contains(dl.Error, "502") ||
		!strings.Contains(dl.Alert.Summary, "11.0 GiB") {
		t.Errorf("dead letter: got %+v", dl)
	}
	if fi, _ := os.Stat(n.opts.DeadLetter); fi.Mode().Perm() != 0o600 {
		t.Errorf("dead-letter mode: got %v, want 0600", fi.Mode().Perm())
	}
	if o.get(KindStoreSize+"/"+Failed) != 1 || o.get(KindCheckpointUnsigned+"/"+Failed) != 1 {
		t.Errorf("outcomes: got %v", o.m)
	}
}

func TestNotifier_ClientErrorIsNotRetried(t *testing.T) {
	r := newReceiver(t, 404)
	n, _, _ := newTestNotifier(t, r.URL, nil)
	n.DiskLow("/var/lib/telltale", 100<<20, 1<<30)
	n.Close(context.Background())
	if attempts, _ := r.counts(); attempts != 1 {
		t.Errorf("attempts: got %d, want 1 (404 is permanent)", attempts)
	}
	if lines := readLines(t, n.opts.DeadLetter); len(lines) != 1 || !strings.Contains(lines[0], "404") {
		t.Errorf("dead letters: got %q", lines)
	}
}

func TestNotifier_RepeatHoldsBackTheSameAlert(t *testing.T) {
	r := newReceiver(t, 200)
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	n, o, _ := newTestNotifier(t, r.URL, func(o *Options) {
		o.Repeat = time.Hour
		o.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	for range 5 {
		n.UpstreamFailed("las.cloud.com", "timeout")
	}
	n.UpstreamFailed("api.cloud.com", "timeout") // another subject
	mu.Lock()
	now = now.Add(61 * time.Minute)
	mu.Unlock()
	n.UpstreamFailed("las.cloud.com", "timeout")
	n.Close(context.Background())
	_, got := r.counts()
	if len(got) != 3 {
		t.Fatalf("sent: got %d alerts, want 3", len(got))
	}
	if got[2].Host != "las.cloud.com" || got[2].Repeats != 4 {
		t.Errorf("after the repeat window: got %+v, want 4 repeats held back", got[2])
	}
	if o.get(KindUpstreamFailed+"/"+Suppressed) != 4 {
		t.Errorf("suppressed: got %v", o.m)
	}
}

func TestNotifier_FullQueueDropsWithoutBlocking(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	n, o, logs := newTestNotifier(t, srv.URL, func(o *Options) { o.Queue = 2; o.Repeat = -1 })
	start := time.Now()
	for range 10 {
		n.CaptureFailed("las.cloud.com", "disk full")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Notify blocked for %v", d)
	}
	close(release)
	n.Close(context.Background())
	// Two queued (and one in flight if the worker took the first in
	// time), the rest dropped.
	if d := o.get(KindCaptureFailed + "/" + Dropped); d < 7 || d > 8 {
		t.Errorf("dropped: got %d, want 7 or 8", d)
	}
	if !strings.Contains(logs.String(), "queue is full") {
		t.Errorf("log: want the drop logged")
	}
}

func TestNotifier_CloseDeadlineDeadLettersTheRest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	n, _, _ := newTestNotifier(t, srv.URL, func(o *Options) { o.Backoff = time.Hour; o.Repeat = -1 })
	n.DiskLow("/d", 1, 2)
	n.DiskLow("/d", 1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := n.Close(ctx); err == nil {
		t.Errorf("Close: want the deadline reported")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
	if lines := readLines(t, n.opts.DeadLetter); len(lines) != 2 {
		t.Errorf("dead letters: got %d, want 2", len(lines))
	}
	n.DiskLow("/e", 1, 2) // after Close: dead-lettered, no panic
	if lines := readLines(t, n.opts.DeadLetter); len(lines) != 3 {
		t.Errorf("dead letters after Close: got %d, want 3", len(lines))
	}
}

func TestNotifier_ObserveProxyEvents(t *testing.T) {
	r := newReceiver(t, 200)
	n, _, _ := newTestNotifier(t, r.URL, nil)
	n.Observe(proxy.Event{Kind: store.CaptureExchange, Host: "las.cloud.com", Status: 200}) // fine: nothing
	n.Observe(proxy.Event{Kind: store.CaptureTunnel, Host: "example.com", UpstreamFailed: true, Err: "refused"})
	n.Observe(proxy.Event{Kind: store.CaptureExchange, Host: "las.cloud.com", UpstreamFailed: true, Err: "x509: unknown authority"})
	n.Observe(proxy.Event{Kind: store.CaptureExchange, Host: "las.cloud.com", Status: 200})
	n.Observe(proxy.Event{Kind: store.CaptureExchange, Host: "cis.citrix.com", CaptureFailed: true, Err: "append: no space left on device"})
	n.Close(context.Background())
	_, got := r.counts()
	var kinds []string
	for _, a := range got {
		kinds = append(kinds, a.Kind)
	}
	want := []string{KindUpstreamFailed, KindUpstreamRecovered, KindCaptureFailed}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Errorf("alerts: got %v, want %v", kinds, want)
	}
	if len(got) == 3 && !strings.Contains(got[0].Detail, "x509") {
		t.Errorf("detail: got %q, want the upstream error", got[0].Detail)
	}
	if raw := r.gotRaw; len(raw) > 0 && raw[0]["text"] == nil {
		t.Errorf("payload: want a text field for chat webhooks, got %v", raw[0])
	}
}

func TestNotifier_NoWebhookLogsOnly(t *testing.T) {
	n, o, logs := newTestNotifier(t, "", nil)
	n.NewEndpoint("las.cloud.com", "/support/x/y/listls")
	n.Drift("cis.citrix.com", "/upload", "field SGPMaxDays added")
	n.Close(context.Background())
	if o.get(KindNewEndpoint+"/"+Logged) != 1 || o.get(KindDrift+"/"+Logged) != 1 {
		t.Errorf("outcomes: got %v", o.m)
	}
	if !strings.Contains(logs.String(), "New endpoint") || !strings.Contains(logs.String(), "Drift") {
		t.Errorf("log: got %s", logs)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("dead-letter file: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestNotifier_ReconfigureTakesEffectForLaterAlerts(t *testing.T) {
	r := newReceiver(t, 200)
	n, o, _ := newTestNotifier(t, "", nil)
	n.Reconfigure(r.URL, -1)
	n.StoreSize(2, 1)
	n.StoreSize(2, 1) // not held back: repeat is now off
	n.Reconfigure("", 0)
	n.Close(context.Background())
	sent, logged := o.get(KindStoreSize+"/"+Sent), o.get(KindStoreSize+"/"+Logged)
	if _, got := r.counts(); sent+logged != 2 || len(got) != sent {
		t.Errorf("after Reconfigure: %d sent, %d logged, %d received; want both alerts, none held back", sent, logged, len(got))
	}
}

// A response record the store refused is a capture failure of a request
// that was forwarded: the alert must not say it was not.
func TestNotifier_ResponseNotRecorded_SaysItWasForwarded(t *testing.T) {
	r := newReceiver(t, 200)
	n, _, _ := newTestNotifier(t, r.URL, nil)
	n.Observe(proxy.Event{Kind: store.CaptureExchange, ID: 7, Host: "las.cloud.com", Status: 200, CaptureFailed: true,
		Err: "the upstream answered 200, but the store refused the response record: no space left on device"})
	n.Close(context.Background())
	_, got := r.counts()
	if len(got) != 1 || got[0].Kind != KindCaptureFailed ||
		got[0].Summary != "Telltale forwarded traffic to las.cloud.com but could not record the response (capture 7)." ||
		!strings.Contains(got[0].Detail, "no space left on device") {
		t.Errorf("alerts: got %+v, want one capture_failed alert saying the response of capture 7 was not recorded", got)
	}
}
