package evidence

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// FileIndex is the capture index of the bundle's checkpoint: every
// host's and endpoint's line, and the full list of the hosts or the
// endpoint the selection covers.
const FileIndex = "capture-index.json"

// CaptureIndex is capture-index.json.
type CaptureIndex struct {
	Format   string    `json:"format"` // IndexFormatV3, IndexFormat, or IndexFormatV1 (no endpoints)
	TreeSize uint64    `json:"tree_size"`
	Root     tlog.Hash `json:"root"` // the checkpoint's index or index-leaf line
	// Indexed is the records an IndexFormatV3 index covers: 1 to Indexed.
	Indexed uint64 `json:"indexed,omitempty"`
	// Records are, for IndexFormatV3, every index record of the log up
	// to TreeSize, by seq; the last is record TreeSize, the checkpoint's.
	Records []IndexRecord `json:"records,omitempty"`
	// Hosts and Endpoints are every host and endpoint of the tree, sorted.
	Hosts     []IndexedHost     `json:"hosts"`
	Endpoints []IndexedEndpoint `json:"endpoints,omitempty"`
}

// IndexedEndpoint is an endpoint's index line and, for the endpoint the
// selection names, its captures, as IndexedHost.
type IndexedEndpoint struct {
	IndexEndpoint
	Seqs  []uint64 `json:"seqs,omitempty"`
	Times []int64  `json:"times,omitempty"`
}

// IndexedHost is a host's index line and, for a host the selection
// covers, its captures: Seqs[i] at Times[i] (store.IndexNanos).
type IndexedHost struct {
	IndexHost
	Seqs  []uint64 `json:"seqs,omitempty"`
	Times []int64  `json:"times,omitempty"`
}

// covers reports whether a selection covers a host: its --host, or every
// host when it selects by time only (or not at all). A selection by id
// or endpoint covers none.
func (s Selection) covers(host string) bool {
	if len(s.IDs) > 0 || s.Endpoint != "" {
		return false
	}
	return s.Host == "" || strings.EqualFold(s.Host, host)
}

// captureIndex writes capture-index.json, when the checkpoint signs one
// or ends with an index record.
func (x *exporter) captureIndex() error {
	sel := x.opts.Selection
	keep := func(kind, key string) bool {
		if kind == kindEndpoint {
			return sel.Endpoint == key
		}
		return sel.covers(key)
	}
	var ci *CaptureIndex
	var idx *Index
	var err error
	hosts, endpoints := []IndexHost(nil), []IndexEndpoint(nil)
	switch {
	case x.ck.IndexLeaf != nil:
		if ci, idx, err = x.indexLeafIndex(keep); err != nil {
			return err
		}
		hosts, endpoints = idx.IndexLinesV3()
	case x.ck.Index == nil || len(sel.IDs) > 0:
		return nil
	default:
		if idx, err = IndexOf(x.st, x.ck.Size, keep); err != nil {
			return err
		}
		ci = &CaptureIndex{Format: idx.Format(*x.ck.Index), TreeSize: x.ck.Size, Root: *x.ck.Index}
		if ci.Format == "" {
			return fmt.Errorf("checkpoint %d signs capture index %s but the store's records give %s: run `telltale verify`",
				x.cp.Index, *x.ck.Index, idx.Root())
		}
		hosts, endpoints = idx.Hosts(), idx.Endpoints()
	}
	for _, h := range hosts {
		ih := IndexedHost{IndexHost: h}
		for _, o := range idx.Kept(kindHost, h.Host) {
			ih.Seqs, ih.Times = append(ih.Seqs, o.Seq), append(ih.Times, o.Time)
		}
		ci.Hosts = append(ci.Hosts, ih)
	}
	for _, e := range endpoints {
		if ci.Format == IndexFormatV1 {
			break
		}
		ie := IndexedEndpoint{IndexEndpoint: e}
		for _, o := range idx.Kept(kindEndpoint, e.Endpoint) {
			ie.Seqs, ie.Times = append(ie.Seqs, o.Seq), append(ie.Times, o.Time)
		}
		ci.Endpoints = append(ci.Endpoints, ie)
	}
	b, err := json.Marshal(ci)
	if err != nil {
		return err
	}
	return x.bw.addBytes(FileIndex, append(b, '\n'))
}

// captureIndex checks capture-index.json against the checkpoint's index
// line and that the bundle holds every capture of its selection that the
// index lists, and says what that proves in Anchors.Completeness.
func (v *bundleVerifier) captureIndex() {
	sel := v.m.Selection
	filtered := sel.filtered()
	switch {
	case len(sel.IDs) > 0 && v.ck.IndexLeaf == nil:
		v.rep.Anchors.Completeness = "not claimed: the bundle holds captures chosen by id"
		return
	case v.ck.Index == nil && v.ck.IndexLeaf == nil:
		if v.files[FileIndex] != nil {
			v.fail(FileIndex, "the checkpoint signs no capture index")
		}
		if filtered {
			v.rep.Anchors.Completeness = "not proven: the checkpoint has no capture index (signed by an older Telltale); the bundle may leave out captures of its selection"
		}
		return
	}
	ci, ok := v.readIndex()
	if ok && len(sel.IDs) > 0 {
		v.rep.Anchors.Completeness = "not claimed: the bundle holds captures chosen by id"
		return
	}
	if !ok || !v.endpointIndexed(ci, sel) {
		return
	}
	want, ok := v.indexSelected(ci, sel)
	if !ok {
		return
	}
	v.matchCaptures(want, sel, ci.covered())
	if !filtered {
		return
	}
	what := "every capture"
	if sel.Host != "" {
		what += " of host " + strings.ToLower(sel.Host)
	}
	if sel.Endpoint != "" {
		what += " of endpoint " + sel.Endpoint
	}
	if sel.Since != "" {
		what += " from " + sel.Since
	}
	if sel.Until != "" {
		what += " until " + sel.Until
	}
	by := "the capture index the checkpoint signs"
	if ci.Format == IndexFormatV3 {
		by = fmt.Sprintf("the capture index logged as record %d", ci.TreeSize)
	}
	v.rep.Anchors.Completeness = fmt.Sprintf("%s in the log up to tree size %d: %d, all in this bundle (by %s)",
		what, ci.covered(), len(want), by)
}

// indexSelected is the captures the selection must hold, by seq, with their
// time; it fails when the index does not list a covered host in full.
func (v *bundleVerifier) indexSelected(ci *CaptureIndex, sel Selection) (map[uint64]int64, bool) {
	lo, hi, err := selectionRange(sel)
	if err != nil {
		v.fail(FileManifest, "selection: %v", err)
		return nil, false
	}
	want := map[uint64]int64{}
	for _, h := range ci.Hosts {
		if !sel.covers(h.Host) {
			continue
		}
		if h.Seqs == nil {
			v.fail(FileIndex, "host %q is in the selection but the index does not list its captures", h.Host)
			return nil, false
		}
		for i, s := range h.Seqs {
			if t := h.Times[i]; t >= lo && t < hi {
				want[s] = t
			}
		}
	}
	for _, e := range ci.Endpoints {
		if e.Endpoint != sel.Endpoint {
			continue
		}
		if e.Seqs == nil {
			v.fail(FileIndex, "endpoint %q is the selection but the index does not list its captures", e.Endpoint)
			return nil, false
		}
		for i, s := range e.Seqs {
			if t := e.Times[i]; t >= lo && t < hi {
				want[s] = t
			}
		}
	}
	return want, true
}

// selectionRange is the selection's time range in store.IndexNanos.
func selectionRange(sel Selection) (lo, hi int64, err error) {
	lo, hi = math.MinInt64, math.MaxInt64
	for _, b := range []struct {
		s string
		n *int64
	}{{sel.Since, &lo}, {sel.Until, &hi}} {
		if b.s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, b.s)
		if err != nil {
			return 0, 0, fmt.Errorf("%q is not an RFC 3339 time", b.s)
		}
		*b.n = store.IndexNanos(t)
	}
	return lo, hi, nil
}

// matchCaptures checks captures.jsonl against the captures the index
// selects: each one there, at its indexed time, and nothing else.
func (v *bundleVerifier) matchCaptures(want map[uint64]int64, sel Selection, covered uint64) {
	seen := map[uint64]bool{}
	v.lines(FileCaptures, func(n int, b []byte) {
		var line Line
		if json.Unmarshal(b, &line) != nil || len(line.Records) == 0 {
			return // the capture check reports it
		}
		var r store.Record
		if json.Unmarshal([]byte(line.Records[0].Meta), &r) != nil {
			return
		}
		where := fmt.Sprintf("%s line %d", FileCaptures, n)
		t, ok := want[r.Seq]
		switch {
		case !ok && sel.holds(r.Host, &line.Capture) && !outside(r.Time.UTC().Format(store.TimeFormat), sel.Since, sel.Until) &&
			r.Seq <= covered:
			v.fail(where, "capture %d is in the selection, but the signed capture index does not list it there", r.Seq)
		case ok && t != store.IndexNanos(r.Time):
			v.fail(where, "capture %d: its time is not the one the signed capture index lists", r.Seq)
		}
		seen[r.Seq] = true
	})
	var left []uint64
	for s := range want {
		if !seen[s] {
			left = append(left, s)
		}
	}
	slices.Sort(left)
	var missing []string
	for _, s := range left {
		missing = append(missing, strconv.FormatUint(s, 10))
	}
	if len(missing) > 0 {
		if len(missing) > 20 {
			missing = append(missing[:20], fmt.Sprintf("and %d more", len(missing)-20))
		}
		v.fail(FileIndex, "the signed capture index lists captures of the selection that the bundle leaves out: %s",
			strings.Join(missing, ", "))
	}
}

// covered is the records the index covers: its tree's, or for an
// IndexFormatV3 index those it says it indexed.
func (ci *CaptureIndex) covered() uint64 {
	if ci.Format == IndexFormatV3 {
		return ci.Indexed
	}
	return ci.TreeSize
}
