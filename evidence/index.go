package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// The capture index makes a filtered bundle provable complete: a
// checkpoint's "index" line signs, for every host, how many captures of
// it the tree holds and a hash of their numbers and times, so that a
// bundle of one host (or a time range) can show it holds every capture of
// its filter, and a verifier with the whole log can show the index left
// none out.
//
// A host's list is its opening records (request, tunnel, denied) among the
// first tree-size records, by Seq; the host is Record.Host in lowercase,
// "" for records without one; the time is store.IndexNanos of the
// record's Time, the time List filters on. Its hash is the SHA-256 of
//
//	telltale-host-index/v1
//	host <host>
//	<seq> <unix nanoseconds>        one line per capture, by seq
//
// and the index root, the checkpoint's index line, is the SHA-256 of
//
//	telltale-index/v1
//	<count> <host hash, hex> <host>  one line per host, by host (bytes)
const (
	hostIndexTitle = "telltale-host-index/v1"
	IndexFormat    = "telltale-index/v1"
)

// Index is the capture index of a tree.
type Index struct {
	hosts map[string]*hostIndex
}

type hostIndex struct {
	count uint64
	h     hash.Hash // the running hash of the host's list, title and host line first
}

// NewIndex is an empty index.
func NewIndex() *Index { return &Index{hosts: map[string]*hostIndex{}} }

// Add appends one capture, in Seq order within its host.
func (x *Index) Add(host string, seq uint64, nanos int64) {
	host = strings.ToLower(host)
	hi := x.hosts[host]
	if hi == nil {
		hi = &hostIndex{h: sha256.New()}
		fmt.Fprintf(hi.h, "%s\nhost %s\n", hostIndexTitle, host)
		x.hosts[host] = hi
	}
	hi.count++
	fmt.Fprintf(hi.h, "%d %d\n", seq, nanos)
}

// IndexHost is one host's line of the index.
type IndexHost struct {
	Host  string `json:"host"`
	Count uint64 `json:"count"`
	Hash  string `json:"hash"` // hex SHA-256 of the host's list
}

// Hosts are the index's lines, by host.
func (x *Index) Hosts() []IndexHost {
	out := make([]IndexHost, 0, len(x.hosts))
	for h, hi := range x.hosts {
		out = append(out, IndexHost{Host: h, Count: hi.count, Hash: hex.EncodeToString(hi.h.Sum(nil))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out
}

// Root is what a checkpoint's index line signs.
func (x *Index) Root() tlog.Hash { return IndexRoot(x.Hosts()) }

// IndexRoot hashes index lines, which must be sorted by host.
func IndexRoot(hosts []IndexHost) tlog.Hash {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", IndexFormat)
	for _, e := range hosts {
		fmt.Fprintf(h, "%d %s %s\n", e.Count, e.Hash, e.Host)
	}
	var r tlog.Hash
	h.Sum(r[:0])
	return r
}

// HostHash is the hash of one host's list of captures.
func HostHash(host string, seqs []uint64, nanos []int64) string {
	x := NewIndex()
	for i := range seqs {
		x.Add(host, seqs[i], nanos[i])
	}
	if len(seqs) == 0 {
		return ""
	}
	return x.Hosts()[0].Hash
}

// IndexOf builds the capture index of the first size records from the
// store's indexes. visit, if not nil, sees each host's openings too.
func IndexOf(st *store.Store, size uint64, visit ...func(host string, o []store.Opening)) (*Index, error) {
	x := NewIndex()
	err := st.HostOpenings(size, func(host string, list []store.Opening) error {
		for _, o := range list {
			x.Add(host, o.Seq, o.Time)
		}
		for _, v := range visit {
			v(host, list)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// indexRecord adds an opening record to the verifier's running index.
func (v *verifier) indexRecord(r *store.Record) {
	if r.Kind != store.KindResponse {
		v.index.Add(r.Host, r.Seq, store.IndexNanos(r.Time))
	}
}

// bad notes a record that failed: the index cannot be recomputed past it.
func (v *verifier) bad(seq uint64) {
	if v.firstBad == 0 || seq < v.firstBad {
		v.firstBad = seq
	}
}

// checkIndexes compares each checkpoint's index line with the index
// recomputed from the records up to its size. A checkpoint whose root or
// records already failed is not checked again: the index would only
// repeat those failures.
func (v *verifier) checkIndexes() {
	for _, c := range v.cps {
		if c.Index == nil || v.roots[c.Size] != c.Root || (v.firstBad != 0 && v.firstBad <= c.Size) {
			continue
		}
		if got, ok := v.indexRoots[c.Size]; ok && got != *c.Index {
			v.rep.fail(Finding{Checkpoint: c.index, Msg: fmt.Sprintf(
				"capture index %s does not match %s, recomputed from the first %d records (a capture was left out of the index, or records were changed)",
				*c.Index, got, c.Size)})
		}
	}
}
