package alert

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// events records what EventLog writes, as eventlog.Log would.
type events struct {
	mu   sync.Mutex
	list []event
	fail error
}

type event struct {
	level string
	id    uint32
	msg   string
}

func (e *events) add(level string, id uint32, msg string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, event{level, id, msg})
	return e.fail
}

func (e *events) Info(id uint32, msg string) error    { return e.add("info", id, msg) }
func (e *events) Warning(id uint32, msg string) error { return e.add("warning", id, msg) }
func (e *events) Error(id uint32, msg string) error   { return e.add("error", id, msg) }
func (e *events) Close() error                        { return nil }

func (e *events) get() []event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]event(nil), e.list...)
}

// Every Kind constant in alert.go has an event ID of its own, above the
// service's 1 to 99 and within EventCreate.exe's 1 to 1000: a new kind
// without one fails here.
func TestEventID_EveryKindItsOwn(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "alert.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	ast.Inspect(f, func(n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok && strings.HasPrefix(v.Names[0].Name, "Kind") {
			k, _ := strconv.Unquote(v.Values[0].(*ast.BasicLit).Value)
			kinds = append(kinds, k)
		}
		return true
	})
	if len(kinds) < 11 {
		t.Fatalf("found %d kinds in alert.go, want at least 11: %v", len(kinds), kinds)
	}
	seen := map[uint32]string{EventOther: "other"}
	for _, k := range kinds {
		id := EventID(k)
		if other, dup := seen[id]; dup || id < 100 || id > 1000 {
			t.Errorf("kind %s: event ID %d (also %q), want its own between 100 and 1000", k, id, other)
		}
		seen[id] = k
	}
	if len(EventIDs()) != len(kinds) {
		t.Errorf("EventIDs: got %d kinds, want the %d of alert.go", len(EventIDs()), len(kinds))
	}
	if got := EventID("no_such_kind"); got != EventOther {
		t.Errorf("unknown kind: got %d, want %d", got, EventOther)
	}
}

func TestEventLog_SeverityAndMessage(t *testing.T) {
	var w events
	l := &EventLog{w: &w}
	l.Write(Alert{Kind: KindDiskLow, Severity: Critical, Summary: "Disk nearly full", Detail: "write-ahead", Repeats: 2})
	l.Write(Alert{Kind: KindDrift, Severity: Warning, Summary: "Drift", Host: "las.cloud.com"})
	l.Write(Alert{Kind: KindUpstreamRecovered, Severity: Info, Summary: "reachable again"})
	got := w.get()
	want := []struct {
		level string
		id    uint32
		parts []string
	}{
		{"error", 105, []string{"Disk nearly full\r\n\r\nwrite-ahead", "kind: disk_low", "repeats: 2"}},
		{"warning", 107, []string{"Drift", "host: las.cloud.com"}},
		{"info", 102, []string{"reachable again", "severity: info"}},
	}
	if len(got) != len(want) {
		t.Fatalf("events: got %+v, want %d", got, len(want))
	}
	for i, w := range want {
		if got[i].level != w.level || got[i].id != w.id || !strings.HasPrefix(got[i].msg, w.parts[0]) {
			t.Errorf("event %d: got %s %d %q, want %s %d starting %q", i, got[i].level, got[i].id, got[i].msg, w.level, w.id, w.parts[0])
		}
		for _, p := range w.parts[1:] {
			if !strings.Contains(got[i].msg, p) {
				t.Errorf("event %d: %q lacks %q", i, got[i].msg, p)
			}
		}
	}
}

// The Notifier writes each alert it logs to its Sink, without a webhook;
// a repeat held back by Options.Repeat is not written, and a failing sink
// does not stop the alert.
func TestNotifier_Sink(t *testing.T) {
	w := &events{fail: errors.New("event log full")}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var outcomes []string
	var mu sync.Mutex
	n := New(Options{Sink: &EventLog{w: w}, Now: func() time.Time { return now }, OnOutcome: func(_, o string) {
		mu.Lock()
		outcomes = append(outcomes, o)
		mu.Unlock()
	}})
	n.UpstreamFailed("las.cloud.com", "dial tcp: timeout")
	n.UpstreamFailed("las.cloud.com", "dial tcp: timeout") // held back
	n.StoreSize(2<<30, 1<<30)
	n.Close(context.Background())
	got := w.get()
	if len(got) != 2 || got[0].id != 101 || got[0].level != "error" || got[1].id != 104 || got[1].level != "warning" {
		t.Errorf("events: got %+v, want upstream_failed (101, error) then store_size (104, warning)", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if joined := strings.Join(outcomes, ","); strings.Count(joined, "suppressed") != 1 || strings.Count(joined, "logged") != 2 {
		t.Errorf("outcomes: got %v, want one suppressed and two logged", outcomes)
	}
}
