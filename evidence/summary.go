package evidence

import (
	"encoding/csv"
	"io"
	"net/url"
	"strconv"
	"strings"
)

var summaryHeader = []string{"capture", "time", "kind", "client", "method", "host", "path", "status",
	"request_bytes", "response_bytes", "request_body_sha256", "response_body_sha256",
	"complete", "error", "withheld", "leaves"}

// summaryWriter streams summary.csv, one row per capture, from the same
// rebuilt captures as the HAR file.
type summaryWriter struct{ w *csv.Writer }

func newSummaryWriter(w io.Writer) *summaryWriter {
	s := &summaryWriter{csv.NewWriter(w)}
	s.w.Write(summaryHeader)
	return s
}

func (s *summaryWriter) add(sh *shown) error {
	c := &sh.line.Capture
	var reqSum, respSum string
	if c.Request != nil {
		reqSum = c.Request.BodySHA256
	}
	if c.Response != nil {
		respSum = c.Response.BodySHA256
	}
	var withheld, leaves []string
	for _, e := range sh.line.Records {
		for _, w := range e.Withheld {
			withheld = append(withheld, w.Part+" ("+w.Reason+")")
		}
		leaves = append(leaves, strconv.FormatUint(e.LeafIndex, 10))
	}
	return s.w.Write([]string{c.ID, c.Time, c.Kind, cell(c.Client), cell(c.Method), cell(c.Host), cell(path(c.URL)),
		strconv.Itoa(c.Status), strconv.FormatInt(c.RequestBytes, 10), strconv.FormatInt(c.ResponseBytes, 10),
		reqSum, respSum, strconv.FormatBool(c.Complete), cell(c.Error), strings.Join(withheld, "; "), strings.Join(leaves, " ")})
}

func (s *summaryWriter) close() error {
	s.w.Flush()
	return s.w.Error()
}

// path is the path and query of a URL, or the URL when it has none (a
// CONNECT target).
func path(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.RequestURI()
}

// cell keeps a spreadsheet from running a value as a formula (CSV
// injection, https://owasp.org/www-community/attacks/CSV_Injection): text
// that starts with = + - @ or a control character gets a leading quote.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
