// Package store keeps Telltale's records: an append-only, tamper-evident
// log of every intercepted request and response, written before the
// request is forwarded.
//
// # Writing
//
// The proxy spools each body through a Body (NewBody), which hashes the
// whole wire body and keeps its first limit bytes, then calls Append. Every
// Append goes to one commit loop, which writes all appends queued so far
// (up to Options.MaxBatch) in a single bbolt transaction and wakes the
// callers when it has committed: group commit, so that the cost of a
// commit (two fsyncs) is shared by all concurrent appenders, and an idle
// store commits a lone append at once. If a commit fails, every append of
// the batch fails and none of it is visible. Append returns only once its
// record is durable; what Append acknowledged survives a kill -9.
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
//
// A blob is written to tmp, fsync'd, renamed into blobs and its directory
// fsync'd before the transaction of the record that points at it, so a
// durable record never points at a missing body. A blob that exists is
// not written again.
//
// # Buckets
//
// Integers in keys are big-endian uint64; times are unix nanoseconds as a
// big-endian uint64 with the sign bit flipped, so keys sort by time.
//
//	meta       "version" -> "1"
//	records    Seq -> the record, JSON (encoding/json of Record). The
//	           bucket's sequence is the number of records, the tree size.
//	hashes     stored hash index (tlog.StoredHashIndex) -> 32-byte hash
//	bodies     hex SHA-256 of stored bytes -> the bytes, for bodies of at
//	           most InlineMax bytes; each stored once
//	by_time    time ‖ Seq -> empty, for every record that opens a capture
//	           (request, tunnel, denied)
//	by_host    lowercase host ‖ 0x00 ‖ time ‖ Seq -> empty, for opening
//	           records with a Host
//	responses  capture Seq -> Seq of the response record that completed it
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
//	telltale-leaf/v1
//	seq <r.Seq>
//	capture <r.Capture>
//	kind <r.Kind>
//	meta <MetaHash(r)>
//	head <HeadHash(r.Head), or "-" when r.Head is nil>
//	body <r.Body.SHA256> <r.Body.Size>, or "-" when r.Body.SHA256 is ""
//	stored <r.Body.StoredKey()> <stored size>, or "-" when there is none
//
// MetaHash is the hex SHA-256 of the JSON encoding (encoding/json) of r
// with Head set to nil and Body to the zero BodyRef; HeadHash is the hex
// SHA-256 of the JSON encoding of r.Head. The stored size is
// r.Body.StoredSize when r.Body.Truncated, else r.Body.Size. The leaf
// hash is tlog.RecordHash(leaf data), that is SHA-256(0x00 ‖ leaf data).
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
// A store opened ReadOnly while `telltale serve` holds the file fails with
// ErrLocked after Options.Timeout. errors.go lists the sentinel errors.
package store
