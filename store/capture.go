package store

import "time"

// TimeFormat is how times appear in captures: RFC 3339, UTC, with all nine
// digits of nanoseconds so that strings sort like times.
const TimeFormat = "2006-01-02T15:04:05.000000000Z07:00"

// Capture kinds as users see them.
const (
	CaptureExchange = "exchange" // an inspected request and its response
	CaptureTunnel   = "tunnel"   // an uninspected CONNECT tunnel
	CaptureDenied   = "denied"   // a refused connection or request
)

// Capture is what `telltale list` and `show` print: the record that opened
// a capture and, for an exchange, the response record that completed it.
type Capture struct {
	ID     string `json:"id"`   // decimal Seq of the opening record
	Time   string `json:"time"` // TimeFormat, of the opening record
	Client string `json:"client"`
	// Process is the program on this host that sent it (Record.Process);
	// nil for a client on another host.
	Process       *Process `json:"process,omitempty"`
	Kind          string   `json:"kind"` // CaptureExchange, CaptureTunnel, CaptureDenied
	Method        string   `json:"method"`
	Host          string   `json:"host"`
	URL           string   `json:"url"`
	Status        int      `json:"status"` // 0 if none
	RequestBytes  int64    `json:"request_bytes"`
	ResponseBytes int64    `json:"response_bytes"`
	Error         string   `json:"error"` // "" when none
	// Complete is false while an exchange has no response record yet (in
	// flight, or cut off by a crash).
	Complete bool `json:"complete"`

	// Leaves are the log leaf indexes of the capture's records, opening first.
	Leaves []uint64 `json:"leaves"`

	// Filled by Store.Capture, left nil by Store.List.
	Request  *Message `json:"request,omitempty"`
	Response *Message `json:"response,omitempty"`
	TLS      *TLSInfo `json:"tls,omitempty"`
	Timings  *Timings `json:"timings,omitempty"`
	Duration string   `json:"duration,omitempty"` // tunnels and denied: Go duration string
}

// Message is one side of an exchange as `show --json` prints it.
type Message struct {
	Proto      string   `json:"proto"`
	Method     string   `json:"method,omitempty"`
	URL        string   `json:"url,omitempty"`
	Status     int      `json:"status,omitempty"`
	Headers    []Header `json:"headers"`
	Trailers   []Header `json:"trailers,omitempty"`
	BodySHA256 string   `json:"body_sha256"`
	BodySize   int64    `json:"body_size"`
	Truncated  bool     `json:"truncated"`
	// StoredSHA256 is the content address of the stored bytes when they
	// differ from the whole body (truncated).
	StoredSHA256 string `json:"stored_sha256,omitempty"`
	Pruned       bool   `json:"pruned,omitempty"`
}

// Query selects captures for List. Zero fields select everything.
type Query struct {
	Host  string    // exact host, case-insensitive
	Since time.Time // opening record at or after
	Until time.Time // opening record before
	Limit int       // at most this many, the newest ones; 0 means no limit
}
