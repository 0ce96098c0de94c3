// Package estate reviews the archives of several license servers' logs
// (package archive) from the object store alone: the license server that
// wrote a log may be gone. Verify checks one log end to end; Review checks
// every log an estate trusts and says, per license server, what its
// archive holds, when it last uploaded, how far behind it is, and any gap,
// fork or tampered object. Export copies one log's objects into a zip
// that Verify checks offline.
//
// Verify reads tiles, not whole logs, for the tree: the latest archived
// checkpoint's root is checked against its hash tiles
// (tlog.TileHashReader), and every earlier archived checkpoint by a
// consistency proof computed from those tiles. The entry bundles, the
// records and the bodies are then checked against the verified leaf
// hashes.
package estate
