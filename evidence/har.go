package evidence

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/telltale/telltale/store"
)

// harTime is how HAR times are written: ISO 8601 with milliseconds, which
// every HAR reader parses.
const harTime = "2006-01-02T15:04:05.000Z07:00"

// The HAR 1.2 objects Telltale writes (http://www.softwareishard.com/blog/har-12-spec/).
// Fields starting with an underscore are Telltale's own, as the spec allows.
type (
	harEntry struct {
		StartedDateTime string      `json:"startedDateTime"`
		Time            float64     `json:"time"`
		Request         harRequest  `json:"request"`
		Response        harResponse `json:"response"`
		Cache           struct{}    `json:"cache"`
		Timings         harTimings  `json:"timings"`
		Comment         string      `json:"comment,omitempty"`
		Capture         string      `json:"_telltaleCapture"`
		Leaves          []uint64    `json:"_telltaleLeaves"`
		// Process is the view's process: the program on the proxy's host
		// that sent the request.
		Process *store.Process `json:"_telltaleProcess,omitempty"`
	}
	harRequest struct {
		Method      string     `json:"method"`
		URL         string     `json:"url"`
		HTTPVersion string     `json:"httpVersion"`
		Cookies     []struct{} `json:"cookies"`
		Headers     []harPair  `json:"headers"`
		QueryString []harPair  `json:"queryString"`
		PostData    *harPost   `json:"postData,omitempty"`
		HeadersSize int        `json:"headersSize"`
		BodySize    int64      `json:"bodySize"`
		Comment     string     `json:"comment,omitempty"`
	}
	harResponse struct {
		Status      int        `json:"status"`
		StatusText  string     `json:"statusText"`
		HTTPVersion string     `json:"httpVersion"`
		Cookies     []struct{} `json:"cookies"`
		Headers     []harPair  `json:"headers"`
		Content     harContent `json:"content"`
		RedirectURL string     `json:"redirectURL"`
		HeadersSize int        `json:"headersSize"`
		BodySize    int64      `json:"bodySize"`
		Comment     string     `json:"comment,omitempty"`
	}
	harPair struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	harPost struct {
		MimeType string `json:"mimeType"`
		Text     string `json:"text"`
		Encoding string `json:"_encoding,omitempty"` // HAR has no postData encoding; "base64" for binary
		Comment  string `json:"comment,omitempty"`
	}
	harContent struct {
		Size        int64  `json:"size"`
		Compression int64  `json:"compression,omitempty"`
		MimeType    string `json:"mimeType"`
		Text        string `json:"text,omitempty"`
		Encoding    string `json:"encoding,omitempty"`
		Comment     string `json:"comment,omitempty"`
	}
	harTimings struct {
		Blocked float64 `json:"blocked"`
		DNS     float64 `json:"dns"`
		Connect float64 `json:"connect"`
		SSL     float64 `json:"ssl"`
		Send    float64 `json:"send"`
		Wait    float64 `json:"wait"`
		Receive float64 `json:"receive"`
	}
)

// fileSource reads a bundle file by name.
type fileSource func(name string) ([]byte, error)

// harWriter streams capture.har: export and verification write it with the
// same code from the same entries, so verification can compare bytes.
type harWriter struct {
	w       io.Writer
	entries int
	others  int // tunnels and denied captures, not HTTP exchanges
	err     error
}

func newHARWriter(w io.Writer, tool string) *harWriter {
	h := &harWriter{w: w}
	creator, _ := json.Marshal(map[string]string{"name": "Telltale", "version": tool})
	_, h.err = fmt.Fprintf(w, `{"log":{"version":"1.2","creator":%s,"entries":[`, creator)
	return h
}

// add writes the entry of an exchange; other captures are only counted.
func (h *harWriter) add(s *shown, files fileSource) error {
	if h.err != nil {
		return h.err
	}
	if s.line.Capture.Kind != store.CaptureExchange {
		h.others++
		return nil
	}
	e, err := harEntryOf(s, files)
	if err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	sep := "\n"
	if h.entries > 0 {
		sep = ",\n"
	}
	h.entries++
	_, h.err = fmt.Fprintf(h.w, "%s%s", sep, b)
	return h.err
}

func (h *harWriter) close() error {
	if h.err != nil {
		return h.err
	}
	comment := fmt.Sprintf("Exported by Telltale from a tamper-evident log; captures.jsonl proves every entry. "+
		"%d tunnels and denied connections are in summary.csv and captures.jsonl only.", h.others)
	c, _ := json.Marshal(comment)
	_, err := fmt.Fprintf(h.w, "\n],\"comment\":%s}}\n", c)
	return err
}

func harEntryOf(s *shown, files fileSource) (*harEntry, error) {
	c := &s.line.Capture
	e := &harEntry{Capture: c.ID, Leaves: c.Leaves, Cache: struct{}{}}
	e.StartedDateTime = s.open.Time.UTC().Format(harTime)
	req, err := harRequestOf(s, files)
	if err != nil {
		return nil, err
	}
	e.Request = *req
	if e.Response, err = harResponseOf(s, files); err != nil {
		return nil, err
	}
	e.Timings = harTimingsOf(s.resp)
	e.Time = e.Timings.Send + e.Timings.Wait + e.Timings.Receive
	e.Process, e.Comment = c.Process, entryComment(c)
	return e, nil
}

// entryComment says which program sent the request, as Fiddler's process
// column does, and what went wrong: "sent by curl (pid 4242); error: ...".
func entryComment(c *store.Capture) string {
	var parts []string
	if c.Process != nil {
		parts = append(parts, "sent by "+c.Process.String())
	}
	if c.Error != "" {
		parts = append(parts, "error: "+c.Error)
	}
	return strings.Join(parts, "; ")
}

func harRequestOf(s *shown, files fileSource) (*harRequest, error) {
	h := s.open.Head
	r := &harRequest{Method: h.Method, URL: h.URL, HTTPVersion: h.Proto, Cookies: []struct{}{},
		Headers: harPairs(h.Headers), QueryString: harQuery(h.URL), HeadersSize: -1, BodySize: s.line.Capture.RequestBytes}
	if s.openE.HeadRedacted != nil {
		r.Comment = "head redacted: " + strings.Join(withheldFields(s.openE, "head"), ", ")
	}
	if s.open.Body.StoredKey() == "" && s.open.Body.Size == 0 {
		return r, nil
	}
	b, err := showBody(s.open, s.openE, files)
	if err != nil {
		return nil, err
	}
	r.PostData = &harPost{MimeType: header(h, "Content-Type"), Comment: b.comment}
	r.PostData.Text, r.PostData.Encoding = harText(b.data)
	return r, nil
}

func harResponseOf(s *shown, files fileSource) (harResponse, error) {
	r := harResponse{Cookies: []struct{}{}, Headers: []harPair{}, HeadersSize: -1, BodySize: -1,
		Content: harContent{MimeType: "x-unknown"}}
	if s.resp == nil || s.resp.Head == nil {
		r.Comment = "no response recorded"
		if s.resp == nil {
			r.Comment += " (in flight or cut off when exported)"
		}
		return r, nil
	}
	h := s.resp.Head
	r.Status, r.StatusText, r.HTTPVersion = h.Status, http.StatusText(h.Status), h.Proto
	r.Headers, r.RedirectURL, r.BodySize = harPairs(h.Headers), header(h, "Location"), s.resp.Body.Size
	if ct := header(h, "Content-Type"); ct != "" {
		r.Content.MimeType = ct
	}
	if s.respE.HeadRedacted != nil {
		r.Comment = "head redacted: " + strings.Join(withheldFields(s.respE, "head"), ", ")
	}
	r.Content.Size = max(s.resp.Body.Size, 0)
	if s.resp.Body.StoredKey() == "" && s.respE.BodyRedacted == "" { // a sealed body shows its redacted copy
		return r, nil
	}
	b, err := showBody(s.resp, s.respE, files)
	if err != nil {
		return r, err
	}
	r.Content.Comment = b.comment
	r.Content.Text, r.Content.Encoding = harText(b.data)
	if b.decoded {
		r.Content.Size = int64(len(b.data))
		r.Content.Compression = max(r.Content.Size-s.resp.Body.Size, 0) // bytes saved
	}
	return r, nil
}

// harText is data as HAR text: itself when it is UTF-8 text, else base64.
func harText(data []byte) (text, encoding string) {
	if utf8.Valid(data) && !bytes.ContainsRune(data, 0) {
		return string(data), ""
	}
	return base64.StdEncoding.EncodeToString(data), "base64"
}

func harPairs(hs []store.Header) []harPair {
	out := make([]harPair, 0, len(hs))
	for _, h := range hs {
		out = append(out, harPair{h.Name, h.Value})
	}
	return out
}

// harQuery lists the query parameters of a URL in their order.
func harQuery(raw string) []harPair {
	out := []harPair{}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, p := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out = append(out, harPair{k, v})
	}
	return out
}

// harTimingsOf splits an exchange into send (until the request was
// committed and forwarded), wait (until the response head) and receive.
func harTimingsOf(resp *store.Record) harTimings {
	t := harTimings{Blocked: -1, DNS: -1, Connect: -1, SSL: -1}
	if resp == nil || resp.Timings == nil {
		return t
	}
	tm := resp.Timings
	t.Send = ms(tm.Start, tm.Committed)
	t.Wait = ms(tm.Committed, tm.FirstByte)
	t.Receive = ms(tm.FirstByte, tm.End)
	return t
}

func ms(from, to time.Time) float64 {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0
	}
	return float64(to.Sub(from).Microseconds()) / 1000
}

// bodyView is a body as the bundle can show it.
type bodyView struct {
	data    []byte // what can be shown: decoded when decoded is true
	decoded bool   // the content coding was removed
	comment string
}

// showBody reads what the bundle holds of a record's body: the stored
// bytes, decoded when possible, or the redacted copy, or nothing.
func showBody(rec *store.Record, e *Entry, files fileSource) (bodyView, error) {
	var v bodyView
	var notes []string
	switch {
	case e.Body != "":
		data, err := files(e.Body)
		if err != nil {
			return v, err
		}
		v.data = data
		if rec.Body.Truncated {
			notes = append(notes, fmt.Sprintf("truncated: only the first %d bytes were stored", rec.Body.StoredSize))
		} else if cs := header(rec.Head, "Content-Encoding"); len(codings(cs)) > 0 {
			if dec, err := decodeContent(cs, data); err == nil {
				v.data, v.decoded = dec, true
			} else {
				notes = append(notes, fmt.Sprintf("shown as sent: Content-Encoding %s does not decode: %v", cs, err))
			}
		}
	case e.BodyRedacted != "":
		data, err := files(e.BodyRedacted)
		if err != nil {
			return v, err
		}
		v.data, v.decoded = data, e.BodyRedactedDecoded != ""
		if e.Seal != nil {
			notes = append(notes, "redacted copy sealed with the record, secrets withheld: "+strings.Join(withheldFields(e, "body"), ", "))
		} else {
			notes = append(notes, "redacted copy, not the logged bytes: "+strings.Join(withheldFields(e, "body"), ", "))
		}
	default:
		notes = append(notes, "body withheld: "+withheldReason(e, "body"))
	}
	v.comment = strings.Join(notes, "; ")
	return v, nil
}

// withheldFields and withheldReason describe an entry's withheld part
// ("head" or "body").
func withheldFields(e *Entry, part string) []string {
	for _, w := range e.Withheld {
		if strings.HasSuffix(w.Part, part) {
			return w.Fields
		}
	}
	return nil
}

func withheldReason(e *Entry, part string) string {
	for _, w := range e.Withheld {
		if strings.HasSuffix(w.Part, part) {
			return w.Reason
		}
	}
	return "not in the bundle"
}
