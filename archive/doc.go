// Package archive copies a Telltale log to S3-compatible object storage
// with Object Lock, so that its evidence outlives the machine that
// captured it, and reads such an archive back (package estate verifies
// and reviews it).
//
// # Layout
//
// Under <prefix>/<log origin>/ (the origin is the first line of the log's
// checkpoints, telltale/<hostname>):
//
//	log.pub                         the log's verifier key (note format)
//	checkpoint                      the latest archived signed checkpoint
//	                                (the one key written more than once:
//	                                each version is a new locked version)
//	checkpoints/<index>             every signed checkpoint, as signed
//	checkpoints/<index>.<kind>/<h>  its anchors: rfc3161, witness,
//	                                cosignatures; h is the anchor's hex
//	                                SHA-256, so a later cosignature is a
//	                                new object, never a rewrite
//	tile/<L>/<N>[.p/<W>]            C2SP tlog-tiles hash tiles (height 8)
//	tile/entries/<N>[.p/<W>]        entry bundles: each leaf's data
//	                                (store.LeafData) as a big-endian
//	                                uint16 length and the bytes
//	records/<N>[.p/<W>]             the stored records of the same
//	                                leaves, as a big-endian uint32 length
//	                                and the record's JSON as stored
//	blobs/sha256/<hex>              stored bodies, named by their SHA-256,
//	                                each once however many records name it
//
// So <prefix>/<origin>/ is a tlog-tiles static log that any tlog-tiles
// client can check inclusion and consistency against, and the records
// and bodies let a reviewer read every capture without the license
// server. Tiles, entry bundles and records are written in chunks of
// whole tiles; the bodies a chunk names go after its records; a
// checkpoint goes once every tile of its tree is there.
//
// # Writing once
//
// Every object but checkpoint is written with If-None-Match: *, a
// SHA-256 checksum header (S3 requires a checksum on a PUT with Object
// Lock parameters) and an explicit per-object retention: mode
// COMPLIANCE (or GOVERNANCE), retain-until the capture time of the
// newest record it holds plus Options.Retention (and at least a day from
// now). An object that is already there is compared by checksum: the
// same bytes are a resumed push, different bytes are ErrConflict (a
// fork, or another log under the same origin), reported and never
// overwritten. Telltale never deletes.
//
// # State
//
// How far the archive got is in the store (store.ArchiveState): the
// archiver resumes from there after a crash, writing again what a kill
// left half done (the same bytes, so the bucket takes them as there).
package archive
