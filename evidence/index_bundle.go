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
// host's line, and the full list of the hosts the selection covers.
const FileIndex = "capture-index.json"

// CaptureIndex is capture-index.json.
type CaptureIndex struct {
	Format   string        `json:"format"` // IndexFormat
	TreeSize uint64        `json:"tree_size"`
	Root     tlog.Hash     `json:"root"`  // the checkpoint's index line
	Hosts    []IndexedHost `json:"hosts"` // every host of the tree, by host
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
// covers none.
func (s Selection) covers(host string) bool {
	if len(s.IDs) > 0 {
		return false
	}
	return s.Host == "" || strings.EqualFold(s.Host, host)
}

// captureIndex writes capture-index.json, when the checkpoint signs one.
func (x *exporter) captureIndex() error {
	if x.ck.Index == nil || len(x.opts.Selection.IDs) > 0 {
		return nil
	}
	lists := map[string][]store.Opening{}
	idx, err := IndexOf(x.st, x.ck.Size, func(host string, o []store.Opening) {
		if x.opts.Selection.covers(host) {
			lists[host] = append([]store.Opening(nil), o...)
		}
	})
	if err != nil {
		return err
	}
	if idx.Root() != *x.ck.Index {
		return fmt.Errorf("checkpoint %d signs capture index %s but the store's indexes give %s: run `telltale verify`",
			x.cp.Index, *x.ck.Index, idx.Root())
	}
	ci := CaptureIndex{Format: IndexFormat, TreeSize: x.ck.Size, Root: *x.ck.Index}
	for _, h := range idx.Hosts() {
		ih := IndexedHost{IndexHost: h}
		for _, o := range lists[h.Host] {
			ih.Seqs, ih.Times = append(ih.Seqs, o.Seq), append(ih.Times, o.Time)
		}
		ci.Hosts = append(ci.Hosts, ih)
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
	filtered := sel.Host != "" || sel.Since != "" || sel.Until != ""
	switch {
	case len(sel.IDs) > 0:
		v.rep.Anchors.Completeness = "not claimed: the bundle holds captures chosen by id"
		return
	case v.ck.Index == nil:
		if v.files[FileIndex] != nil {
			v.fail(FileIndex, "the checkpoint signs no capture index")
		}
		if filtered {
			v.rep.Anchors.Completeness = "not proven: the checkpoint has no capture index (signed by an older Telltale); the bundle may leave out captures of its selection"
		}
		return
	}
	ci, ok := v.readIndex()
	if !ok {
		return
	}
	want, ok := v.indexSelected(ci, sel)
	if !ok {
		return
	}
	v.matchCaptures(want, sel)
	if !filtered {
		return
	}
	what := "every capture"
	if sel.Host != "" {
		what += " of host " + strings.ToLower(sel.Host)
	}
	if sel.Since != "" {
		what += " from " + sel.Since
	}
	if sel.Until != "" {
		what += " until " + sel.Until
	}
	v.rep.Anchors.Completeness = fmt.Sprintf("%s in the log up to tree size %d: %d, all in this bundle (by the capture index the checkpoint signs)",
		what, ci.TreeSize, len(want))
}

// readIndex parses capture-index.json and checks it against the
// checkpoint: every listed host's hash, and the root.
func (v *bundleVerifier) readIndex() (*CaptureIndex, bool) {
	b, err := v.read(FileIndex, maxFile)
	if err != nil {
		v.fail(FileIndex, "%v: the checkpoint signs a capture index, and the bundle must carry it", err)
		return nil, false
	}
	var ci CaptureIndex
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ci); err != nil || ci.Format != IndexFormat {
		v.fail(FileIndex, "not a capture index (%v)", err)
		return nil, false
	}
	if ci.TreeSize != v.ck.Size || ci.Root != *v.ck.Index {
		v.fail(FileIndex, "is the index of tree size %d, root %s; the checkpoint signs tree size %d, index %s",
			ci.TreeSize, ci.Root, v.ck.Size, *v.ck.Index)
		return nil, false
	}
	lines := make([]IndexHost, len(ci.Hosts))
	for i, h := range ci.Hosts {
		lines[i] = h.IndexHost
		if i > 0 && ci.Hosts[i-1].Host >= h.Host {
			v.fail(FileIndex, "hosts are not sorted and unique at %q", h.Host)
			return nil, false
		}
		if h.Seqs != nil && !v.hostList(h, ci.TreeSize) {
			return nil, false
		}
	}
	if got := IndexRoot(lines); got != ci.Root {
		v.fail(FileIndex, "its host lines hash to %s, but the checkpoint signs %s: the index was changed", got, ci.Root)
		return nil, false
	}
	return &ci, true
}

// hostList checks one host's full list against its line.
func (v *bundleVerifier) hostList(h IndexedHost, size uint64) bool {
	n := len(h.Seqs)
	if len(h.Times) != n || uint64(n) != h.Count {
		v.fail(FileIndex, "host %q: %d seqs and %d times for a count of %d", h.Host, n, len(h.Times), h.Count)
		return false
	}
	for i, s := range h.Seqs {
		if s == 0 || s > size || (i > 0 && s <= h.Seqs[i-1]) {
			v.fail(FileIndex, "host %q: seq %d out of order or outside the tree", h.Host, s)
			return false
		}
	}
	if got := HostHash(h.Host, h.Seqs, h.Times); got != h.Hash {
		v.fail(FileIndex, "host %q: its captures hash to %s, but its line says %s: the list was changed", h.Host, got, h.Hash)
		return false
	}
	return true
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
func (v *bundleVerifier) matchCaptures(want map[uint64]int64, sel Selection) {
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
		case !ok && sel.covers(r.Host) && !outside(r.Time.UTC().Format(store.TimeFormat), sel.Since, sel.Until):
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
