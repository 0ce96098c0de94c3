package evidence

import (
	"encoding/json"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/telltale/telltale/store"
)

// BundleFormat is the format of a bundle, in its manifest: v2 bundles may
// hold v2 leaves (head fields, seals); VerifyBundle reads v1 bundles too.
const (
	BundleFormat   = "telltale-bundle/v2"
	BundleFormatV1 = "telltale-bundle/v1"
)

// The files of a bundle. Every file but the manifest and its signature is
// listed, with its SHA-256, in the manifest.
const (
	FileManifest    = "manifest.json"     // what is in the bundle, signed by manifest.sig
	FileManifestSig = "manifest.sig"      // signed note of manifest.json's SHA-256
	FileReadme      = "README.txt"        // how to check the bundle by hand
	FileKey         = "log.pub"           // the log's verifier key
	FileCheckpoint  = "checkpoint.txt"    // the signed checkpoint every capture is proven against
	FileCheckpoints = "checkpoints.jsonl" // earlier checkpoints, each proven consistent with it
	FileCaptures    = "captures.jsonl"    // one capture per line, with leaves and proofs
	FileSummary     = "summary.csv"       // one row per capture
	FileHAR         = "capture.har"       // the exchanges as HAR 1.2
	FileSums        = "SHA256SUMS"        // sha256sum -c input for every listed file but itself
	DirBodies       = "bodies/"           // bodies/<sha256>: stored bytes, named by their hash
	DirRedacted     = "redacted/"         // redacted/<sha256>: redacted copies of withheld bodies
)

// manifestSigTitle is the first line of manifest.sig's note text.
const manifestSigTitle = "telltale bundle manifest"

// Manifest is manifest.json.
type Manifest struct {
	Format     string         `json:"format"` // BundleFormat
	Tool       string         `json:"tool"`   // the exporting telltale's version
	ExportedAt string         `json:"exported_at"`
	Selection  Selection      `json:"selection"`
	Log        LogKey         `json:"log"`
	Checkpoint CheckpointInfo `json:"checkpoint"`
	Captures   int            `json:"captures"`
	Records    int            `json:"records"`
	// Withheld lists every logged part the bundle does not ship as logged,
	// and why; captures.jsonl says the same per record.
	Withheld []Withheld `json:"withheld"`
	// Anchors lists the outside anchors of the checkpoints the bundle
	// carries (anchors_bundle.go); empty when it carries none.
	Anchors []AnchorInfo `json:"anchors"`
	// Reconciliation is the buyer's measurement (FileMeasured) against
	// the figures the captures reported, when the export was given one:
	// the caller's JSON (export_attach.go), signed with the manifest.
	Reconciliation json.RawMessage `json:"reconciliation,omitempty"`
	// Pseudonyms are the pseudonyms of a pseudonymised bundle, each with
	// a salted commitment to the identifier it stands for
	// (export_pseudonym.go); empty otherwise.
	Pseudonyms []PseudonymInfo `json:"pseudonyms,omitempty"`
	Files      []FileInfo      `json:"files"` // sorted by name
}

// Selection is what the export was asked for.
type Selection struct {
	Host     string   `json:"host,omitempty"`
	Endpoint string   `json:"endpoint,omitempty"` // as EndpointOf writes it
	Since    string   `json:"since,omitempty"`
	Until    string   `json:"until,omitempty"`
	IDs      []string `json:"ids,omitempty"`
	Redact   bool     `json:"redact"`
	// Pseudonymise: identifiers of people and devices are withheld, and
	// stable pseudonyms shown instead (export_pseudonym.go).
	Pseudonymise  bool     `json:"pseudonymise,omitempty"`
	RedactFields  []string `json:"redact_fields,omitempty"`
	RedactHeaders []string `json:"redact_headers,omitempty"`
}

// LogKey names the key that signs the log.
type LogKey struct {
	Origin      string `json:"origin"`
	Key         string `json:"key"`         // note verifier key, as in log.pub
	Fingerprint string `json:"fingerprint"` // see Fingerprint
}

// CheckpointInfo repeats what checkpoint.txt signs.
type CheckpointInfo struct {
	File     string    `json:"file"` // FileCheckpoint
	TreeSize uint64    `json:"tree_size"`
	RootHash tlog.Hash `json:"root_hash"`
	Time     string    `json:"time"`
}

// Withheld is a logged part the bundle does not ship: the leaf still
// commits to it by SHA256, so whoever holds it can prove it is the one.
type Withheld struct {
	Capture string   `json:"capture"`
	Seq     uint64   `json:"seq"`
	Part    string   `json:"part"`   // "request head", "response body", ...
	SHA256  string   `json:"sha256"` // what the leaf commits to
	Reason  string   `json:"reason"` // "redacted", "pruned", or why it could not be redacted
	Fields  []string `json:"fields,omitempty"`
	Copy    string   `json:"copy,omitempty"` // bundle file of the redacted copy, for a body
}

// Withholding reasons.
const (
	ReasonRedacted = "redacted"
	ReasonPruned   = "pruned"
	// ReasonPseudonymised: the body carries identifiers of people or
	// devices and ships as a pseudonymised copy (export_pseudonym.go).
	ReasonPseudonymised = "pseudonymised"
)

// FileInfo is one listed file.
type FileInfo struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Line is one line of captures.jsonl: a capture as `show --json` prints it
// (rebuilt from the records below, with redacted copies where parts are
// withheld) and the records that prove it.
type Line struct {
	ID      string        `json:"id"`
	Capture store.Capture `json:"capture"`
	Records []Entry       `json:"records"`
}

// Entry is one record: its leaf, its inclusion proof against the bundle's
// checkpoint, and the parts the leaf commits to by hash.
type Entry struct {
	Seq       uint64      `json:"seq"`
	LeafIndex uint64      `json:"leaf_index"`
	Leaf      string      `json:"leaf"`  // the leaf data (store/doc.go)
	Proof     []tlog.Hash `json:"proof"` // RFC 6962 audit path, leaf first, base64
	// Meta is the exact JSON whose SHA-256 is the leaf's meta line.
	Meta string `json:"meta"`
	// Head is the exact JSON whose SHA-256 is a v1 leaf's head line;
	// absent when the record has no head, the head is withheld, or the
	// leaf is v2.
	Head *string `json:"head,omitempty"`
	// HeadRedacted is a copy of a withheld v1 head with secret values
	// replaced. It is not what was logged and does not hash to the leaf.
	HeadRedacted *store.Head `json:"head_redacted,omitempty"`
	// HeadFields are the fields of a v2 head, whose commitments give the
	// leaf's head line: every field in clear with its salt, but a secret
	// one, of which only the commitment is shipped.
	HeadFields []HeadField `json:"head_fields,omitempty"`
	// Body is the bundle file of the stored bytes (DirBodies + the leaf's
	// stored hash); "" when there are none or they are withheld.
	Body string `json:"body,omitempty"`
	// BodyRedacted is the bundle file of a redacted copy of a withheld
	// body; BodyRedactedDecoded is the content coding (gzip, br, ...)
	// removed from the copy so that it could be redacted.
	BodyRedacted        string `json:"body_redacted,omitempty"`
	BodyRedactedDecoded string `json:"body_redacted_decoded,omitempty"`
	// Seal is set for a body that held secrets when it was captured: the
	// leaf's body line is the SHA-256 of its text (store.SealText).
	Seal *EntrySeal `json:"seal,omitempty"`
	// Withheld lists this record's withheld parts.
	Withheld []Withheld `json:"withheld,omitempty"`
}

// EntrySeal is a sealed body's seal. With the body shipped it opens the
// seal's body commitment: Salt, SHA256 and Size; with the body redacted
// they are absent, and the redacted copy is the one the seal's copy line
// names.
type EntrySeal struct {
	Text   string `json:"text"`
	Salt   string `json:"salt,omitempty"` // hex
	SHA256 string `json:"sha256,omitempty"`
	Size   int64  `json:"size,omitempty"`
}

// CheckpointLine is one line of checkpoints.jsonl: an earlier stored
// checkpoint and the proof that the bundle's checkpoint extends it.
type CheckpointLine struct {
	Index uint64      `json:"index"`
	Note  string      `json:"note"`
	Proof []tlog.Hash `json:"proof"`
}
