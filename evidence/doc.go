// Package evidence turns Telltale's store into evidence a third party can
// check without trusting Telltale: signed checkpoints of the log, a full
// verification of a store, and export bundles that verify offline.
//
// # The log
//
// The store keeps every record as one leaf of an RFC 6962 Merkle tree
// (store/doc.go has the leaf encoding); a leaf commits to the record's
// metadata, head and body by SHA-256, so a part can be withheld or
// redacted while the rest still verifies. The hashing and proofs are
// golang.org/x/mod/sumdb/tlog's.
//
// # Checkpoints
//
// SignTree signs the tree's size and root hash with the log's Ed25519 key
// (certs.OpenSigner: DATA/ca/log.key) as a C2SP tlog-checkpoint signed
// note (golang.org/x/mod/sumdb/note) and stores it in the store's
// checkpoints bucket:
//
//	telltale/licsrv01             origin: the key's name
//	1234                          tree size
//	3q2+7w...=                    root hash, base64
//	time 2026-04-15T10:00:00.000000000Z
//	index-leaf 9Fx1...=           SHA-256 of the index record's text, base64
//
//	— telltale/licsrv01 AbCd...   signature line(s)
//
// Before it signs, SignTree appends the capture index to the log as a
// record of its own (store.KindIndex, index_leaf.go): per host and per
// endpoint, how many captures the log holds and the Merkle root of their
// numbers and times, so that a bundle of one host, endpoint or time range
// proves it left none out, and the index is covered by the tree, every
// consistency proof, timestamp and witness. The checkpoint's tree ends
// with that record; its index-leaf line names it. Successive index
// records extend each other: a capture once listed never leaves its list.
// Checkpoints signed before the index was a leaf have four lines, or an
// "index <root>" line that signs the index without logging it (index.go,
// telltale-index/v1 and v2), and still verify; no two checkpoints of one
// tree size may differ.
//
// `telltale serve` signs one at start (when the log grew while it was
// down), once new captures settle (evidence.checkpoint_debounce), every
// evidence.checkpoint_interval at the latest and at shutdown, and logs each
// one in full, so that copies outside the machine (syslog, a ticket, an
// e-mail) can later be compared: a log that was rewritten cannot be
// consistent with a checkpoint that was witnessed before.
//
// # Anchors
//
// Whoever holds the log key could rebuild the tree and sign it again, so
// checkpoints are anchored outside the key holder (anchors.go): a TSA's
// RFC 3161 timestamp over each signed note (timestamp.go), kept in the
// store's anchors bucket and shipped in bundles as timestamps/<n>.tsr,
// whose genTime must be within a few minutes of the time the checkpoint
// claims (timestamp_lag.go); the cosignatures of C2SP witnesses, which
// cosign a checkpoint only once it is proven to extend the last one they
// saw (cosign.go, cosign_verify.go), shipped as cosignatures/<n>.txt; and
// a copy posted to a JSON webhook, a notification (witness.go).
//
// # Verify
//
// Verify checks a whole store: every record against its logged leaf hash,
// every stored body against its SHA-256, every stored tree hash, every
// checkpoint's signature and root, each checkpoint's consistency with the
// latest (tlog.ProveTree, tlog.CheckTree), and the indexes. It reports
// every failure with the capture and record it is about, and notes what is
// not a failure: a body pruned by retention ("body pruned"), records not
// yet covered by a checkpoint.
//
// # Bundles
//
// Export writes a zip (bundle.go lists the files): the selected captures in
// captures.jsonl, each record with its leaf, its inclusion proof against
// the latest checkpoint (which covers the whole log, so a selection is
// proven against the full log) and its exact parts; the bodies under
// bodies/<sha256>; the same exchanges as HAR 1.2 and as a CSV summary; the
// signed checkpoint and the earlier ones with consistency proofs; a README
// for checking by hand; and manifest.json, which lists every other file's
// SHA-256 and is signed by manifest.sig. With redaction (Redactor), a head
// or body holding a secret is shipped as its hash only, plus a redacted
// copy marked as such; the leaf still verifies, and the manifest lists
// what was withheld.
//
// VerifyBundle checks a bundle offline, against a key the user trusts (the
// bundle's own proves nothing, and the report says so), with bounded work
// for a hostile file. It proves checkpoints kept elsewhere consistent
// with the bundle's, or reports them FORKED (kept.go). It remakes the capture views, capture.har and summary.csv
// from the proven records and compares bytes, so no file can say anything
// the log does not.
package evidence
