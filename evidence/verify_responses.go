package evidence

import (
	"cmp"
	"maps"
	"slices"

	"github.com/telltale/telltale/store"
)

// An exchange whose response record could not be written is not
// tampering, but the log is missing what the upstream answered: Verify
// warns about each, with its capture id. Either it has a response record
// that says so (store.Record.NotRecorded: the store was full, or the
// process stopped and the next writable open marked it), or it has no
// response record at all (in flight while a running store is verified,
// or left by a process that stopped, until the next `serve` marks it).

// noResponse is the warning for a request without a response record.
const noResponse = "no response record: the exchange was in flight, or Telltale stopped before it could " +
	"write the response record (the next `telltale serve` start marks it " + `"` + store.NotRecorded + `")`

// track notes what record r says about its capture's response.
func (v *verifier) track(r *store.Record) {
	switch r.Kind {
	case store.KindRequest:
		if v.open == nil {
			v.open = map[uint64]bool{}
		}
		v.open[r.Seq] = true
	case store.KindResponse:
		delete(v.open, r.Capture)
		if r.NotRecorded() {
			v.rep.warn(Finding{Capture: r.Capture, Seq: r.Seq, Msg: r.Error})
		}
	case store.KindLost:
		v.rep.Lost = append(v.rep.Lost, Finding{Capture: r.Capture, Seq: r.Seq, Msg: r.Error})
	}
}

// unanswered warns about every request left without a response record,
// and orders the warnings by capture.
func (v *verifier) unanswered() {
	for _, id := range slices.Sorted(maps.Keys(v.open)) {
		v.rep.warn(Finding{Capture: id, Seq: id, Msg: noResponse})
	}
	slices.SortStableFunc(v.rep.Warnings, func(a, b Finding) int {
		return cmp.Compare(a.Capture, b.Capture)
	})
}
