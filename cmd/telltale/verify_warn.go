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
		"or Telltale stopped first; `telltale show --id ID` says which): %s%s\n", len(ws), what, strings.Join(ids, ", "), more)
}

// warnLost prints the records the write-ahead log lost, as `telltale
// recover` logged them (evidence.Report.Lost), in runs of Seqs: every
// verify says so, for as long as the log exists.
func warnLost(w io.Writer, lost []evidence.Finding) {
	if len(lost) == 0 {
		return
	}
	fmt.Fprintf(w, "telltale: warning: %d records were lost from the write-ahead log before they reached the database "+
		"(logged as lost by `telltale recover`; `telltale list` shows them as kind lost):\n", len(lost))
	for i := 0; i < len(lost); {
		j := i + 1
		for j < len(lost) && lost[j].Seq == lost[j-1].Seq+1 && lost[j].Msg == lost[i].Msg {
			j++
		}
		seqs := strconv.FormatUint(lost[i].Seq, 10)
		if j-i > 1 {
			seqs = fmt.Sprintf("%d-%d", lost[i].Seq, lost[j-1].Seq)
		}
		fmt.Fprintf(w, "  records %s: %s\n", seqs, lost[i].Msg)
		i = j
	}
}
