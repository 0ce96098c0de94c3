package admin

// ArchiveView is how far the object-store archive (package archive) is
// behind the log, for the evidence page: GET /api/evidence carries it as
// "archive" when Options.Archive is set.
type ArchiveView struct {
	Bucket     string  `json:"bucket"`
	Archived   uint64  `json:"archived"`   // records in the archive
	Size       uint64  `json:"size"`       // records in the log
	Checkpoint uint64  `json:"checkpoint"` // index of the latest archived checkpoint
	LagSeconds float64 `json:"lag_seconds"`
	// Error is the last push's error, "" when it worked.
	Error string `json:"error,omitempty"`
}
