package analysis

import (
	"slices"
	"strconv"

	"github.com/telltale/telltale/store"
)

// Numbers gives captures dense numbers, 1, 2, 3… in log order, for people
// to read and type: a capture's id is the Seq of its opening record, and a
// response record between two captures makes ids skip. Leaves and ids
// stay what the evidence speaks of; numbers are derived from the log and
// never change, since the log only grows. The review UI and `telltale
// list`/`show` print the same numbers.
type Numbers struct {
	ids []uint64 // ids[n-1] is the id of capture n, ascending
}

// Add numbers the capture with id seq; captures are added in log order,
// and an id not above the last one is ignored.
func (n *Numbers) Add(seq uint64) {
	if len(n.ids) == 0 || seq > n.ids[len(n.ids)-1] {
		n.ids = append(n.ids, seq)
	}
}

// Len is how many captures are numbered.
func (n *Numbers) Len() int { return len(n.ids) }

// Number returns the number of capture id, or 0 when it has none.
func (n *Numbers) Number(id string) int {
	seq, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return 0
	}
	i, ok := slices.BinarySearch(n.ids, seq)
	if !ok {
		return 0
	}
	return i + 1
}

// ID returns the id of capture number num, or "" when there is none.
func (n *Numbers) ID(num int) string {
	if num < 1 || num > len(n.ids) {
		return ""
	}
	return strconv.FormatUint(n.ids[num-1], 10)
}

// IDs returns the ids in number order.
func (n *Numbers) IDs() []uint64 { return slices.Clone(n.ids) }

// NumbersOf returns the numbers of ids given in number order (as IDs
// returns them, or as GET /api/numbers answers).
func NumbersOf(ids []uint64) *Numbers {
	n := &Numbers{}
	for _, id := range ids {
		n.Add(id)
	}
	return n
}

// Opens reports whether a record opens a capture (a request, a tunnel, a
// refusal) rather than completing one or indexing the log.
func Opens(r *store.Record) bool { return r.Kind != store.KindResponse && r.Kind != store.KindIndex }

// Skimmer reads records' identities in log order; *store.Store is one.
type Skimmer interface {
	Skim(from uint64, fn func(*store.Record) error) error
}

// CaptureNumbers numbers every capture of a log.
func CaptureNumbers(log Skimmer) (*Numbers, error) {
	n := &Numbers{}
	err := log.Skim(1, func(r *store.Record) error {
		if Opens(r) {
			n.Add(r.Seq)
		}
		return nil
	})
	return n, err
}
