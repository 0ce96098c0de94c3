package store

import "time"

// Kind says what a record is. Every record is one leaf of the evidence log.
type Kind string

const (
	// KindRequest is an intercepted request (head and body), appended before
	// its first byte is forwarded upstream. It opens a capture.
	KindRequest Kind = "request"
	// KindResponse completes the capture of an earlier request: the response
	// head and body, or the error that ended the exchange. It is a record of
	// its own so that the request record is never rewritten.
	KindResponse Kind = "response"
	// KindTunnel is a CONNECT tunnel passed through uninspected, appended when
	// it closes. It opens and completes a capture.
	KindTunnel Kind = "tunnel"
	// KindDenied is a refused connection or request. It opens and completes a
	// capture.
	KindDenied Kind = "denied"
	// KindIndex is the capture index of the records before it (package
	// evidence, index_leaf.go), appended at each checkpoint so that the log
	// itself commits to which captures each host and endpoint holds. Its
	// body is the index text; it has no head and opens no capture: it is
	// in no index (by_time, by_host), List and Capture never return it,
	// and retention keeps its body.
	KindIndex Kind = "index"
)

// Header is one header field as it crossed the wire: the name keeps its
// original case, and fields keep their order.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Head is the head of a request or a response.
type Head struct {
	// Request only.
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"` // absolute: scheme://host[:port]/path?query
	// Response only.
	Status int `json:"status,omitempty"`

	Proto    string   `json:"proto"` // HTTP/1.1, HTTP/2.0
	Headers  []Header `json:"headers"`
	Trailers []Header `json:"trailers,omitempty"`
}

// BodyRef describes a body as it crossed the wire (before any content
// decoding) and what of it is stored.
type BodyRef struct {
	SHA256 string `json:"sha256"` // hex SHA-256 of the whole wire body; "" when not known (see Truncated)
	Size   int64  `json:"size"`   // bytes of the whole wire body; -1 when not known
	// Truncated is true when the body was longer than the capture limit:
	// only its first StoredSize bytes are kept, under StoredSHA256.
	Truncated    bool   `json:"truncated"`
	StoredSHA256 string `json:"stored_sha256,omitempty"` // set when Truncated
	StoredSize   int64  `json:"stored_size,omitempty"`   // set when Truncated
	// Pruned is set by retention when the stored bytes were deleted; the
	// hashes stay.
	Pruned bool `json:"pruned,omitempty"`
}

// StoredKey is the content address under which the stored bytes live.
func (b BodyRef) StoredKey() string {
	if b.Truncated {
		return b.StoredSHA256
	}
	return b.SHA256
}

// TLSInfo describes the upstream TLS connection of an intercepted exchange.
type TLSInfo struct {
	ServerName  string `json:"server_name"`
	Version     string `json:"version"`      // "TLS 1.3"
	CipherSuite string `json:"cipher_suite"` // "TLS_AES_128_GCM_SHA256"
	ALPN        string `json:"alpn,omitempty"`
	// LeafSHA256 is the hex SHA-256 of the upstream leaf certificate (DER).
	LeafSHA256 string `json:"leaf_sha256"`
}

// Timings of an exchange. Zero times mean "did not happen".
type Timings struct {
	Start     time.Time `json:"start"`               // request head read from the client
	Committed time.Time `json:"committed,omitzero"`  // request record durable
	FirstByte time.Time `json:"first_byte,omitzero"` // response head from upstream
	End       time.Time `json:"end,omitzero"`        // exchange finished
}

// Record is one append to the log. Fields not relevant to a Kind stay zero.
type Record struct {
	Seq     uint64    `json:"seq"`     // assigned by Append, from 1; leaf index is Seq-1
	Capture uint64    `json:"capture"` // the Seq of the record that opened the capture
	Kind    Kind      `json:"kind"`
	Time    time.Time `json:"time"` // when the record was made (injected clock)

	Client string `json:"client,omitempty"` // ip:port of the proxy client
	Host   string `json:"host,omitempty"`   // host (no port) the client asked for
	Port   string `json:"port,omitempty"`
	Error  string `json:"error,omitempty"`
	// Process is the program on this host that opened the client's
	// connection, on the records that open a capture; nil for a client on
	// another host, and on every record written before it existed (the
	// field is then absent from the meta, so their leaves are unchanged).
	Process *Process `json:"process,omitempty"`

	Head *Head   `json:"head,omitempty"` // request head (KindRequest) or response head (KindResponse)
	Body BodyRef `json:"body"`           // body of Head
	// Salts of the record's commitments: set on every record with a v2
	// leaf, nil on a v1 record (doc.go, Leaves). Like Head and Body, they
	// are outside the meta hash.
	Salts *Salts `json:"salts,omitempty"`
	// Seal is set on a v2 record whose body held secrets when it was
	// captured (seal.go); the leaf then commits to the body through it.
	Seal *Seal `json:"seal,omitempty"`

	// KindResponse only.
	TLS     *TLSInfo `json:"tls,omitempty"`
	Timings *Timings `json:"timings,omitempty"`
	// RequestBody is the final description of a request body that was too
	// long to be known in full when the request record was written
	// (Truncated with Size -1 there).
	RequestBody *BodyRef `json:"request_body,omitempty"`

	// KindTunnel and KindDenied.
	BytesUp   int64         `json:"bytes_up,omitempty"`   // client to upstream
	BytesDown int64         `json:"bytes_down,omitempty"` // upstream to client
	Duration  time.Duration `json:"duration,omitempty"`
}

// Process is the program that owned the client's end of a connection from
// this host, looked up when the proxy accepted it (proxy/owner). A lookup
// that failed in part or whole says why in Unknown and keeps what it found.
type Process struct {
	PID   int    `json:"pid,omitempty"`
	Name  string `json:"name,omitempty"`  // image file name: "curl", "lmadmin.exe"
	Image string `json:"image,omitempty"` // full path of the image
	// Services are the Windows services the process hosts (on Linux, the
	// systemd service it runs in).
	Services []string `json:"services,omitempty"`
	User     string   `json:"user,omitempty"`    // DOMAIN\user on Windows, the user name elsewhere
	Unknown  string   `json:"unknown,omitempty"` // why the process, or part of it, is not known
}
