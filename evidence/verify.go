package evidence

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// verifyChunk is how many records Verify checks per read of stored hashes.
const verifyChunk = 1024

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Verifier is the log's key (DATA/ca/log.pub, or one the user pinned);
	// required.
	Verifier note.Verifier
	// TSARoots are the roots a checkpoint timestamp's TSA must chain to
	// (verify --tsa-ca); nil checks each timestamp against the
	// certificate it carries only, and the report says the TSA is not
	// trusted.
	TSARoots *x509.CertPool
	// Earlier are signed checkpoints kept outside the log: each must be
	// proven consistent with the log, or is reported FORKED.
	Earlier []KeptCheckpoint
	// MaxLag fails a timestamp made more than this long after (or
	// before) the time its checkpoint claims (timestamp_lag.go); 0
	// compares nothing. telltale verify passes DefaultMaxLag.
	MaxLag time.Duration
	// Witnesses are witnesses' verifier keys (verify --witness): the
	// stored cosignatures by them are checked and counted, and with any
	// given, a log that none cosigned fails.
	Witnesses []string
}

// Verify checks a whole store: it recomputes every leaf from the stored
// record and hashes every stored body, rebuilds the Merkle tree and checks
// it against every stored tree hash, checks every stored checkpoint's
// signature and root, proves each checkpoint consistent with the latest
// (consistency is transitive, so every pair is), and checks the indexes.
// Every failure is in the report, with the capture it is about; the error
// is for when the store cannot be read at all.
//
// Where a record does not match its logged leaf hash, the tree is rebuilt
// with the logged hash, so that one edited record is one failure and the
// checkpoints still check the rest of the log.
func Verify(st *store.Store, opts VerifyOptions) (*Report, error) {
	if opts.Verifier == nil {
		return nil, errors.New("verify: no verifier key")
	}
	size, err := st.Size()
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v := &verifier{st: st, key: opts.Verifier, rep: &Report{Size: size},
		bodies: map[string]bodyCheck{}, roots: map[uint64]tlog.Hash{}, index: NewIndex(), indexRoots: map[uint64][2]tlog.Hash{}}
	if v.responses, err = st.ResponseCaptures(); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if err := v.loadCheckpoints(); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if err := v.records(); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v.unanswered()
	v.rep.Root = v.tree.root()
	v.checkCheckpoints()
	v.checkIndexes()
	v.checkIndexLeaves()
	if err := v.checkTimestamps(opts.TSARoots, opts.MaxLag); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if err := v.checkWitnesses(opts.Witnesses); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v.kept(opts.Earlier)
	problems, err := st.CheckIndexes()
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for _, p := range problems {
		v.rep.fail(Finding{Capture: p.Capture, Seq: p.Seq, Msg: p.Msg})
	}
	return v.rep, nil
}

type verifier struct {
	st  *store.Store
	key note.Verifier
	rep *Report

	tree      compactTree
	responses map[uint64]uint64    // response Seq -> capture, from the index
	bodies    map[string]bodyCheck // content address -> what hashing it found
	open      map[uint64]bool      // requests without a response record so far
	cps       []verifiedCheckpoint // checkpoints whose signature verified, in order
	roots     map[uint64]tlog.Hash // recomputed root at each checkpoint's size
	// index is the capture index of the records read so far (index.go);
	// indexRoots its root at each checkpoint's size, and its older,
	// host-only root.
	index      *Index
	indexRoots map[uint64][2]tlog.Hash
	firstBad   uint64 // the first record that failed; 0 when none did
	// indexLeaves are the SHA-256 of each index record's text, by seq;
	// lastIndexed the size the latest one indexed (verify_index_leaf.go).
	indexLeaves map[uint64]tlog.Hash
	lastIndexed uint64
}

type verifiedCheckpoint struct {
	index uint64
	Checkpoint
}

type rawRecord struct {
	seq   uint64
	value []byte
}

// records streams the records in chunks and checks each position of the
// log, 1 to Size, whether or not a record is stored there.
func (v *verifier) records() error {
	var chunk []rawRecord
	var beyond []uint64 // records past Size: appended since, or added outside the log
	err := v.st.RawRecords(1, func(seq uint64, value []byte) error {
		if seq > v.rep.Size {
			beyond = append(beyond, seq)
			return nil
		}
		if chunk = append(chunk, rawRecord{seq, value}); len(chunk) == verifyChunk {
			err := v.positions(chunk, seq)
			chunk = chunk[:0]
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := v.positions(chunk, v.rep.Size); err != nil {
		return err
	}
	// A live store grows while it is verified; what its size now covers
	// was appended, the rest was not.
	size, err := v.st.Size()
	if err != nil {
		return err
	}
	for _, seq := range beyond {
		if seq > size {
			v.rep.fail(Finding{Capture: v.captureOf(seq), Seq: seq,
				Msg: fmt.Sprintf("stored beyond the log's size %d (added outside the log)", size)})
		}
	}
	return nil
}

// positions checks log positions from the next one to last, with the
// records stored among them.
func (v *verifier) positions(chunk []rawRecord, last uint64) error {
	first := v.tree.n // leaf index of the next position
	if last <= first {
		return nil
	}
	lo, hi := tlog.StoredHashIndex(0, int64(first)), tlog.StoredHashIndex(0, int64(last))
	stored, err := v.st.StoredHashRange(lo, hi)
	if err != nil {
		return err
	}
	for n := first; n < last; n++ {
		base := tlog.StoredHashIndex(0, int64(n)) - lo
		var h tlog.Hash
		if len(chunk) > 0 && chunk[0].seq == n+1 {
			h = v.record(chunk[0], stored[base])
			chunk = chunk[1:]
		} else {
			v.rep.fail(Finding{Capture: v.captureOf(n + 1), Seq: n + 1, Msg: "record missing from the log (deleted)"})
			v.bad(n + 1)
			copy(h[:], stored[base])
		}
		v.checkStored(n, v.tree.push(h)[1:], stored[base+1:])
		if _, ok := v.roots[n+1]; ok {
			v.roots[n+1] = v.tree.root()
			v.indexRoots[n+1] = [2]tlog.Hash{v.index.Root(), v.index.RootV1()}
		}
	}
	return nil
}

// record checks one stored record and returns the leaf hash to build the
// tree with: its own, or the logged one when they differ.
func (v *verifier) record(raw rawRecord, logged []byte) tlog.Hash {
	v.rep.Records++
	var h tlog.Hash
	copy(h[:], logged)
	fail := func(capture uint64, msg string) {
		v.rep.fail(Finding{Capture: capture, Seq: raw.seq, Msg: msg})
		v.bad(raw.seq)
	}
	var r store.Record
	if err := json.Unmarshal(raw.value, &r); err != nil {
		fail(v.captureOf(raw.seq), fmt.Sprintf("stored bytes are not a record (edited): %v", err))
		return h
	}
	if again, _ := json.Marshal(&r); !bytes.Equal(again, raw.value) {
		fail(r.Capture, "stored bytes are not in the form the store writes (edited)")
	}
	if r.Seq != raw.seq {
		fail(r.Capture, fmt.Sprintf("stored at position %d but is record %d (records reordered or renumbered)", raw.seq, r.Seq))
		return h
	}
	v.track(&r)
	if r.Kind == store.KindIndex {
		v.indexRecord(&r)
	}
	v.index.addRecord(&r)
	data, err := store.LeafData(&r)
	if err != nil {
		fail(r.Capture, fmt.Sprintf("leaf: %v", err))
		return h
	}
	own := tlog.RecordHash(data)
	switch {
	case logged == nil:
		fail(r.Capture, "its leaf hash is missing from the tree hashes (deleted)")
		h = own
	case own != h:
		fail(r.Capture, "does not match its logged leaf hash (the record was edited after it was logged)")
	}
	v.body(&r)
	return h
}

// checkStored compares the interior tree hashes a leaf completes with the
// stored ones.
func (v *verifier) checkStored(n uint64, computed []tlog.Hash, stored [][]byte) {
	base := tlog.StoredHashIndex(0, int64(n)) + 1
	for i, h := range computed {
		level, idx := tlog.SplitStoredHashIndex(base + int64(i))
		what := fmt.Sprintf("stored tree hash %d (level %d, records %d-%d)", base+int64(i), level,
			idx<<level+1, (idx+1)<<level)
		switch {
		case i >= len(stored) || stored[i] == nil:
			v.rep.fail(Finding{Msg: what + " is missing (deleted)"})
		case !bytes.Equal(stored[i], h[:]):
			v.rep.fail(Finding{Msg: what + " does not match the records (the hashes were edited)"})
		}
	}
}

// body hashes the stored bytes of a record's body, once per content
// address. Bytes that retention pruned are a note, not a failure: the
// record says so (BodyRef.Pruned, as Store.Record reads it).
func (v *verifier) body(r *store.Record) {
	if r.Seal != nil {
		v.stored(r, r.Seal.Copy, "redacted copy of the "+bodyPart(r.Kind))
	}
	v.stored(r, r.Body.StoredKey(), bodyPart(r.Kind))
}

// stored hashes the stored bytes under key, which the record's leaf
// commits to as its body, or through its seal as its redacted copy.
func (v *verifier) stored(r *store.Record, key, part string) {
	if key == "" {
		return
	}
	res, seen := v.bodies[key]
	if !seen {
		res = v.hashBody(key)
		v.bodies[key] = res
		v.rep.Bodies++
	}
	f := Finding{Capture: r.Capture, Seq: r.Seq}
	switch {
	case res.ok:
	case res.missing && v.pruned(r) && key == r.Body.StoredKey():
		f.Msg = fmt.Sprintf("%s pruned (its SHA-256 %s stays in the log)", part, key)
		v.rep.note(f)
	default:
		f.Msg = part + ": " + res.msg
		v.rep.fail(f)
	}
}

// bodyCheck is what hashing one content address found.
type bodyCheck struct {
	ok      bool
	missing bool   // no stored bytes under the address
	msg     string // what is wrong, unless ok
}

func (v *verifier) hashBody(key string) bodyCheck {
	rc, _, err := v.st.OpenBody(key)
	if errors.Is(err, store.ErrNotFound) {
		return bodyCheck{missing: true, msg: fmt.Sprintf("stored bytes %s are missing (deleted)", key)}
	}
	if err != nil {
		return bodyCheck{msg: fmt.Sprintf("stored bytes %s cannot be read: %v", key, err)}
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return bodyCheck{msg: fmt.Sprintf("stored bytes %s cannot be read: %v", key, err)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != key {
		return bodyCheck{msg: fmt.Sprintf("stored bytes hash to %s, the log says %s (the body was changed)", got, key)}
	}
	return bodyCheck{ok: true}
}

// pruned reports whether retention pruned a record's body.
func (v *verifier) pruned(r *store.Record) bool {
	if r.Body.Pruned {
		return true
	}
	rec, err := v.st.Record(r.Seq)
	return err == nil && rec.Body.Pruned
}

// bodyPart names the body of a record kind.
func bodyPart(k store.Kind) string {
	switch k {
	case store.KindRequest:
		return "request body"
	case store.KindResponse:
		return "response body"
	}
	return "body"
}

// captureOf guesses the capture of a record that cannot be read: the one
// the responses index names, else the record itself (it opened one).
func (v *verifier) captureOf(seq uint64) uint64 {
	if c, ok := v.responses[seq]; ok {
		return c
	}
	return seq
}
