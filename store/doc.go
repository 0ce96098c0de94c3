// Package store keeps Telltale's records: an append-only, tamper-evident
// log of every intercepted request and response, written before the
// request is forwarded.
//
// # Writing
//
// The proxy spools each body through a Body (NewBody), which hashes the
// whole wire body and keeps its first limit bytes, then calls Append. Every
// Append goes to one commit loop, which gives each record its Seq, checks
// a response's link to its request in memory (links.go), and writes all
// appends queued so far (up to Options.MaxBatch) as frames to the
// write-ahead log with a single flush (fdatasync): group commit, so that
// the cost of a flush is shared by all concurrent appenders, and an idle
// store flushes a lone append at once. If the write fails, every append of
// the group fails and none of it is visible. Append returns only once its
// record is durable in the WAL; what Append acknowledged survives a
// kill -9.
//
// The indexer (indexer.go) then applies the WAL's records to bbolt in
// large transactions, at most one per Options.IndexDelay unless a read is
// waiting: the record, its tree hashes, its indexes and its inline body,
// exactly as they would have been written directly. Every read
// (view) first waits until the indexer has applied every record durable
// when the read began, so a read sees every Append that returned; the lag
// is one indexer transaction. A failed index transaction is logged and
// retried; the records stay in the WAL meanwhile.
//
// # The write-ahead log
//
// DIR/wal holds segment files named by a 20-digit number, replayed in
// number order, each preallocated (Options.SegmentSize). A segment is a
// run of frames:
//
//	uint32 payload length | uint32 CRC-32C (Castagnoli) of the payload |
//	payload: uint64 Seq | value | leaf data | body key | body bytes
//
// each payload part prefixed by its uint32 length (big-endian), the value
// being the record as the records bucket stores it. A frame of length zero
// (preallocated space), short or with a bad checksum ends the segment: a
// crash in the middle of a write leaves such a torn frame, which was never
// acknowledged and is dropped. A write that fails abandons its segment;
// the group goes to a new one, and a later segment supersedes an earlier
// one from its first Seq on. A closed segment is removed once bbolt holds
// all its records (bbolt syncs every transaction); Close removes the rest,
// so a cleanly closed store has an empty WAL.
//
// Near a full disk a segment preallocates less than SegmentSize (a quarter
// of what is free), and DIR/wal/reserve keeps Options.ReserveSize bytes
// for the records that say what could not be recorded. When the disk is
// full (no segment can be had, or bbolt cannot grow to index), Append
// fails at once with ErrFull, never waits for space, and those stand-ins
// go into the reserve; the log takes every record again once there is
// room (wal_space.go). The indexer never makes the commit loop wait while
// it fails: it keeps taking groups, and Append refuses instead.
//
// Open (writable) applies the records above the database's size that the
// WAL holds, then empties it. A read-only Open of a store whose WAL is not
// empty (the last writer crashed) first opens it writable once to do so;
// while another process holds the store, it fails with ErrLocked as
// before. A bad frame with nothing intact after it, at the end of the last
// segment (or of one a failed write abandoned), is a torn write. Anything
// that hides an acknowledged record is damage (wal_scan.go): an intact
// frame after a bad one, a Seq gap, a missing segment (DIR/wal/head names
// the newest; meta "wal_durable" is the last Seq acknowledged at the
// indexer's last commit), records out of order. Open then fails with a
// *WALError (ErrCorrupt) and touches nothing; Recover (recover.go) applies
// what reads, appends a KindLost record at each lost Seq, and moves the
// segments to DIR/wal/damaged/.
//
// Records are never rewritten. Each record is one leaf of an RFC 6962
// Merkle tree (golang.org/x/mod/sumdb/tlog); Seq counts from 1 and the
// leaf index is Seq-1. The tree hashes a leaf adds are stored in the same
// transaction as the record, so TreeHash and proofs are a few reads.
//
// # Files
//
// In the data directory:
//
//	telltale.db              the bbolt database, 0600
//	blobs/ab/<sha256hex>     stored bytes larger than Options.InlineMax,
//	                         named by their SHA-256 (ab = first two digits)
//	tmp/                     bodies being spooled; emptied by every
//	                         writable Open
//	wal/<20 digits>.wal      write-ahead log segments (see above); none
//	                         after a clean Close
//	wal/reserve              the log's reserve for a full disk (above)
//	telltale.db.compact      Compact's new file, until it replaces
//	                         telltale.db
//
// A blob is written to tmp, fsync'd, renamed into blobs and its directory
// fsync'd before the WAL write of the record that points at it, so a
// durable record never points at a missing body. A blob that exists is
// not written again.
//
// # Buckets
//
// Integers in keys are big-endian uint64; times are unix nanoseconds as a
// big-endian uint64 with the sign bit flipped, so keys sort by time.
//
//	meta       "version" -> "2" (or "1": see Leaves); "recovered" -> Seq
//	           up to which every request has a response record
//	           (notrecorded.go)
//	records    Seq -> the record, JSON (encoding/json of Record). The
//	           bucket's sequence is the number of records, the tree size.
//	hashes     stored hash index (tlog.StoredHashIndex) -> 32-byte hash
//	bodies     hex SHA-256 of stored bytes -> the bytes, for bodies of at
//	           most InlineMax bytes; each stored once
//	by_time    time ‖ Seq -> empty, for every record that opens a capture
//	           (request, tunnel, denied; not an index record, KindIndex)
//	by_host    lowercase host ‖ 0x00 ‖ time ‖ Seq -> empty, for opening
//	           records with a Host
//	responses  capture Seq -> Seq of the response record that completed it
//	checkpoints  index (from 1) -> tree size ‖ signed note: the signed
//	           checkpoints of the log, in order (checkpoint.go; package
//	           evidence signs and checks them). Created by the first
//	           AppendCheckpoint; a store without it has none. Not part of
//	           the Merkle tree: checkpoints sign it.
//	anchors    checkpoint index ‖ kind -> outside evidence about that
//	           checkpoint (anchors.go): "rfc3161", an RFC 3161 time-stamp
//	           response (DER) over the SHA-256 of its signed note;
//	           "witness", the JSON receipt of its POST to a witness.
//	           Created by the first PutAnchor; not part of the Merkle tree.
//	pruned     hex SHA-256 of stored bytes -> time retention deleted them;
//	           created by the first Prune (retention.go), so it may be absent
//	measurements  source ‖ 0x00 ‖ time (ns, big-endian) -> JSON of what
//	           was measured then (measurements.go; "wmi": the License
//	           Server's license pools, package measure). Created by the
//	           first PutMeasurement; not records, not part of the tree.
//
// Derived buckets (derived.go) hold what package analysis learns from the
// records. They are not log leaves, nothing in them is hashed, and they
// may be deleted (DerivedReset) and rebuilt from the records at any time;
// they are created on first use, so a store may lack them. Values are
// JSON of analysis types; "id" below is a capture's Seq.
//
//	derived_meta       "cursor" -> Seq of the next record to analyse;
//	                   "config" -> hex SHA-256 of the analysis rules the
//	                   rest was derived with (other rules: rebuild)
//	derived_endpoints  "METHOD host /path/template" -> the endpoint's
//	                   baseline: captures seen, first and last, request and
//	                   response shapes, personal-data paths
//	derived_drift      time ‖ id ‖ n (uint32) -> one drift event (new
//	                   endpoint, new field, type changed)
//	derived_figures    reported time ‖ id ‖ n (uint32) -> one figure point
//	derived_identities category ‖ 0x00 ‖ value -> one personal identifier: uploads, endpoints, first and last seen
//
// A request whose response record could not be written gets a response
// record that says so (no head, no body, Error starting NotRecorded):
// appended by the proxy once the store takes it, or by the next writable
// Open for a request an earlier process left without one (notrecorded.go).
//
// Retention (Prune) deletes stored bytes, never records: it marks the
// content address in pruned, deletes it from bodies and removes its blob.
// Reads then set BodyRef.Pruned (and Message.Pruned) for a body that is
// marked and whose bytes are gone; OpenBody fails with ErrPruned. A body
// is shared by every capture that sent the same bytes, and is pruned only
// when all of them are outside the retention window.
//
// The indexes are written in the record's transaction. List reads by_time,
// or by_host for a host, between Since and Until, and then only the
// records it returns.
//
// # Leaves
//
// The data of the leaf of record r (LeafData) is this text, each line
// ending in a newline (0x0a), with decimal integers without leading zeros
// and hex in lowercase:
//
//	telltale-leaf/v2              (telltale-leaf/v1 for a record without Salts)
//	seq <r.Seq>
//	capture <r.Capture>
//	kind <r.Kind>
//	meta <MetaHash(r)>
//	head <HeadHash(r), or "-" when r.Head is nil>
//	body <r.Body.SHA256> <r.Body.Size>, or "-" when r.Body.SHA256 is ""
//	stored <r.Body.StoredKey()> <stored size>, or "-" when there is none
//
// except that a v2 record with a Seal has the lines "body sealed
// <SealHash(r)>" and "stored sealed" instead of the last two.
//
// MetaHash is the hex SHA-256 of the JSON encoding (encoding/json) of r
// with Head set to nil, Body to the zero BodyRef, and Salts and Seal to
// nil. The
// stored size is r.Body.StoredSize when r.Body.Truncated, else
// r.Body.Size. The leaf hash is tlog.RecordHash(leaf data), that is
// SHA-256(0x00 ‖ leaf data).
//
// The head line of a v2 leaf commits to each field of the head on its
// own (fields.go), so that a bundle can withhold one secret header and
// prove every other field. HeadFields lists the fields in order: method,
// the URL up to its first '?' and each '&'-separated pair after it,
// status, proto, each header, each trailer. Field i is committed to as
//
//	c_i = SHA-256(salt_i ‖ ns(kind) ‖ ns(name) ‖ ns(value))
//
// where salt_i is bytes 16i to 16i+16 of r.Salts.Head, drawn at random by
// Append, and ns(s) is the netstring "<decimal length of s>:<s>,". The
// head line is the hex SHA-256 of every c_i in hex, each followed by a
// newline. A v1 head line is the hex SHA-256 of the JSON encoding of
// r.Head.
//
// A body that held secrets when it was appended (Options.Seal finds them,
// in bodies of at most Options.SealMax bytes) is sealed, so that the leaf
// need not hold its plain hash and size, against which a guessed secret
// could be tested. Its seal text (SealText), whose hex SHA-256 is
// SealHash, is
//
//	telltale-seal/v2
//	body <BodyCommitment: SHA-256(r.Salts.Body ‖ ns(r.Body.SHA256) ‖ ns(decimal r.Body.Size))>
//	copy <r.Seal.Copy> <r.Seal.CopySize> <r.Seal.Form>
//	secret <commitment> <path as a JSON string>    one line per r.Seal.Secrets
//
// where a secret's commitment is SHA-256(salt ‖ ns(path) ‖ ns(value)),
// salt being its 16 bytes of r.Salts.Secrets. The redacted copy is stored
// like a body (in bodies or blobs, by its SHA-256) and retention keeps it.
//
// Version 1 stores hold only v1 leaves. A writable Open of one sets
// meta/version to 2: the v1 leaves stay as they are (they are in the
// tree), and every record appended from then on has Salts and a v2 leaf.
// A verifier tells them apart by the first line.
//
// So the leaf commits to the head and the body only by hash: either can be
// withheld or pruned and the rest still verifies, and whoever holds the
// head or the body can show it is the one logged. Every BodyRef field
// except Pruned follows from the body and stored lines; Pruned, which
// retention may set, is outside the leaf.
//
// JSON is canonical here because it is what is stored: the records bucket
// holds json.Marshal(r) of the record as Append canonicalized it (the
// record as it reads back: encoding/json turns invalid UTF-8 into U+FFFD),
// and decoding those bytes and encoding again gives the same bytes. So a
// verifier recomputes a leaf with LeafData of a record read from the store.
//
// # Reading
//
// List, Capture, Record, Records, OpenBody, Size, TreeHash and HashReader
// read in bbolt read transactions and copy what they return out of them.
// RawRecords, StoredHashRange, ResponseCaptures and CheckIndexes (raw.go,
// check.go) return what is stored without decoding it, for a verifier.
// WriteTo writes a consistent snapshot of the database while appends go
// on; Options.DBPath opens such a snapshot, with the live blobs.
// Before bbolt maps the file, Open checks it against bbolt's meta pages
// (filecheck.go): an empty or truncated file is ErrDamaged, not a SIGBUS.
// A store opened ReadOnly while `telltale serve` holds the file fails with
// ErrLocked after Options.Timeout. errors.go lists the sentinel errors.
package store
