package alert

import (
	"fmt"
	"strings"
)

// A Sink also receives each alert that the Notifier logs (not those held
// back by Options.Repeat), on the caller's goroutine: Write must be quick.
// *EventLog is one.
type Sink interface {
	Write(Alert) error
}

var _ Sink = (*EventLog)(nil)

// Event IDs of the alert kinds in the Windows Application event log
// (source Telltale), so that an operator can filter on one kind; the
// service's own events (start, stop, failure) use 1 to 99. docs/windows.md
// lists them all: change both together.
var eventIDs = map[string]uint32{
	KindUpstreamFailed:     101,
	KindUpstreamRecovered:  102,
	KindCaptureFailed:      103,
	KindStoreSize:          104,
	KindDiskLow:            105,
	KindNewEndpoint:        106,
	KindDrift:              107,
	KindCheckpointUnsigned: 108,
	KindAnchorFailed:       109,
	KindPlainUserNames:     110,
	KindTest:               111,
	KindClientRefusedTLS:   112,
	KindPassThrough:        113,
}

// EventOther is the event ID of an alert kind without one of its own.
const EventOther uint32 = 100

// EventID is the event ID of alerts of kind.
func EventID(kind string) uint32 {
	if id, ok := eventIDs[kind]; ok {
		return id
	}
	return EventOther
}

// EventIDs is every alert kind's event ID, for documentation and tests.
func EventIDs() map[string]uint32 {
	m := make(map[string]uint32, len(eventIDs))
	for k, id := range eventIDs {
		m[k] = id
	}
	return m
}

// EventLog writes alerts to the Windows Application event log: critical
// ones as errors, warnings as warnings, the rest as information, each
// with its kind's event ID. OpenEventLog opens it; outside Windows there
// is none.
type EventLog struct {
	w eventWriter
}

// eventWriter is what EventLog needs of golang.org/x/sys/windows/svc/eventlog.Log.
type eventWriter interface {
	Info(eid uint32, msg string) error
	Warning(eid uint32, msg string) error
	Error(eid uint32, msg string) error
	Close() error
}

// Write writes a as one event.
func (e *EventLog) Write(a Alert) error {
	msg := eventMessage(a)
	id := EventID(a.Kind)
	switch a.Severity {
	case Critical:
		return e.w.Error(id, msg)
	case Warning:
		return e.w.Warning(id, msg)
	}
	return e.w.Info(id, msg)
}

// Close releases the event source.
func (e *EventLog) Close() error { return e.w.Close() }

// eventMessage is the event's text: the summary first, as the Event
// Viewer's list shows it, then what the webhook's JSON says besides.
func eventMessage(a Alert) string {
	var b strings.Builder
	b.WriteString(a.Summary)
	if a.Detail != "" {
		b.WriteString("\r\n\r\n" + a.Detail)
	}
	fmt.Fprintf(&b, "\r\n\r\nkind: %s\r\nseverity: %s", a.Kind, a.Severity)
	if a.Host != "" {
		b.WriteString("\r\nhost: " + a.Host)
	}
	if a.Repeats > 0 {
		fmt.Fprintf(&b, "\r\nrepeats: %d held back since the last one (alerts.repeat)", a.Repeats)
	}
	return b.String()
}
