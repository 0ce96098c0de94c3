package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/telltale/telltale/evidence"
)

// warnUnanswered prints one line for the captures whose response was not
// recorded (evidence.Report.Warnings): not a tamper failure, so verify
// still exits 0, but the user must know which exchanges lack a response.
func warnUnanswered(w io.Writer, ws []evidence.Finding) {
	if len(ws) == 0 {
		return
	}
	ids := make([]string, 0, min(len(ws), 100))
	for _, f := range ws[:min(len(ws), 100)] {
		ids = append(ids, strconv.FormatUint(f.Capture, 10))
	}
	more := ""
	if len(ws) > len(ids) {
		more = fmt.Sprintf(" and %d more", len(ws)-len(ids))
	}
	what := "captures have"
	if len(ws) == 1 {
		what = "capture has"
	}
	fmt.Fprintf(w, "telltale: warning: %d %s no recorded response (the store could not write it, "+
		"or Telltale stopped first; `telltale show ID` says which): %s%s\n", len(ws), what, strings.Join(ids, ", "), more)
}
